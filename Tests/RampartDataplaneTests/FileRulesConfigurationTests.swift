import Foundation
import RampartDataplane
import RampartInspect
import RampartPolicy
import Testing

/// `spec.files`: the firewall's hash lists and YARA rules, read relative to the configuration
/// file with the policy, published with it (`PolicyRelease.Content.files`), refused with their
/// file:line when wrong.
@Suite("Firewall configuration: spec.files")
struct FileRulesConfigurationTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: p}
        spec:
          defaults:
            intrazone: {action: allow}
        """

    static func load(_ files: String, write: [String: String]) throws -> Result<ConfigurationFile, PolicyErrors> {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-files-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("yara"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in write { try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let config = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
              files: \(files)
            ---
            \(Self.policy)
            """
        let path = directory.appendingPathComponent("firewall.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            return .success(try ConfigurationFile.load(path: path))
        } catch {
            return .failure(error)
        }
    }

    @Test("hash lists and a folder of YARA rules are loaded and published with the policy")
    func loaded() throws {
        let result = try Self.load("{hashes: [a.sha256, b.hdb], yara: [yara], maxFiles: 16, scanBytes: 4096}", write: [
            "a.sha256": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f  eicar\n",
            "b.hdb": "44d88612fea8a8f36de82e1278abb02f:68:Eicar\n",
            "yara/one.yar": "rule one { condition: true }\n",
            "yara/two.yara": "rule two { condition: false }\n",
        ])
        let file = try result.get()
        let files = try #require(file.files)
        #expect(files.hashes.count == 2 && files.yara?.count == 2)
        #expect(files.summary == "2 hashes from 2 lists, 2 YARA rules from 2 files")
        #expect(file.firewall.files?.limits.maxFiles == 16 && file.firewall.files?.limits.scanBytes == 4096)
        #expect(PolicyRelease.Content(file).files === files)
        // Without spec.files nothing is tracked.
        let none = try ConfigurationFile.parse(Self.policy, file: "p.yaml")
        #expect(none.files == nil && none.firewall.files == nil)
    }

    @Test("a bad hash line, a YARA error, a missing file and a misspelt key refuse the configuration at their place")
    func refused() throws {
        func message(_ r: Result<ConfigurationFile, PolicyErrors>) -> String {
            if case .failure(let e) = r { return "\(e)" }
            return "loaded"
        }
        #expect(message(try Self.load("{hashes: [bad.txt]}", write: ["bad.txt": "# x\n  nothex\n"])).contains("bad.txt:2:3:"))
        #expect(message(try Self.load("{yara: [bad.yar]}", write: ["bad.yar": "rule a { condition: true }\nrule b { condition: $x }\n"]))
            .contains("bad.yar:2:"))
        #expect(message(try Self.load("{hashes: [missing.txt]}", write: [:])).contains("missing.txt"))
        #expect(message(try Self.load("{hashs: [a.txt]}", write: [:])).contains("did you mean 'hashes'"))
        #expect(message(try Self.load("{maxFiles: 0}", write: [:])).contains("spec.files.maxFiles must be between 1"))
    }
}
