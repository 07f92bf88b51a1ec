import Foundation
import RampartNode
import Testing

/// Plugin installation on temporary folders: the primary's conflist is edited in one
/// place only, re-running changes nothing, and uninstall gives back the original bytes.
@Suite struct ConflistInstallTests {
    static let calico = """
        {
          "name": "k8s-pod-network",
          "cniVersion": "0.3.1",
          "plugins": [
            {
              "type": "calico",
              "log_level": "info",
              "ipam": {"type": "calico-ipam", "note": "brackets ] and braces } in a \\"string\\""},
              "policy": {"type": "k8s"}
            },
            {"type": "portmap", "snat": true, "capabilities": {"portMappings": true}}
          ]
        }

        """

    static let entry = PluginEntry(type: "rampart-cni", fields: [
        ("firewallEndpoints", .strings(["10.0.0.50"])), ("vni", .integer(7)), ("agentSocket", .string("/run/rampart/node.sock")),
    ])

    func folders() throws -> (root: String, bin: String, conf: String, plugin: String) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-node-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: "\(root)/net.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/bin", withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho plugin\n".utf8).write(to: URL(fileURLWithPath: "\(root)/rampart-cni"))
        return (root, "\(root)/bin", "\(root)/net.d", "\(root)/rampart-cni")
    }

    @Test func installAppendsLastAndIsIdempotent() throws {
        let f = try folders()
        defer { try? FileManager.default.removeItem(atPath: f.root) }
        try Data(Self.calico.utf8).write(to: URL(fileURLWithPath: "\(f.conf)/10-calico.conflist"))
        try Data("{\"cniVersion\": \"1.0.0\", \"name\": \"other\", \"plugins\": [{\"type\": \"bridge\"}]}".utf8)
            .write(to: URL(fileURLWithPath: "\(f.conf)/20-other.conflist"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(f.conf)/05-single.conf"))
        let installation = PluginInstallation(binDirectory: f.bin, confDirectory: f.conf, pluginBinary: f.plugin, entry: Self.entry)

        let first = try installation.install()
        #expect(first.conflist == "\(f.conf)/10-calico.conflist")
        #expect(first.conflistChanged && first.binaryChanged)
        let edited = try String(contentsOfFile: "\(f.conf)/10-calico.conflist", encoding: .utf8)
        #expect(try ConflistEditor.pluginTypes(Array(edited.utf8), path: "x") == ["calico", "portmap", "rampart-cni"])
        #expect(edited.contains("    {\"type\": \"portmap\", \"snat\": true, \"capabilities\": {\"portMappings\": true}},\n    {\"type\": \"rampart-cni\""))
        let parsed = try JSONSerialization.jsonObject(with: Data(edited.utf8)) as? [String: Any]
        let plugins = parsed?["plugins"] as? [[String: Any]]
        #expect(plugins?.last?["vni"] as? Int == 7)
        #expect(plugins?.last?["firewallEndpoints"] as? [String] == ["10.0.0.50"])
        #expect(FileManager.default.isExecutableFile(atPath: "\(f.bin)/rampart-cni"))
        #expect(installation.isInstalled())

        let second = try installation.install()
        #expect(!second.conflistChanged && !second.binaryChanged)
        #expect(try String(contentsOfFile: "\(f.conf)/10-calico.conflist", encoding: .utf8) == edited)
        // The other conflist is not the primary: untouched.
        #expect(try String(contentsOfFile: "\(f.conf)/20-other.conflist", encoding: .utf8).contains("bridge\"}]}"))

        let removed = try installation.uninstall()
        #expect(removed.conflistChanged)
        #expect(try String(contentsOfFile: "\(f.conf)/10-calico.conflist", encoding: .utf8) == Self.calico)
        #expect(!(try installation.uninstall()).conflistChanged)
        #expect(FileManager.default.fileExists(atPath: "\(f.bin)/rampart-cni"), "the binary stays for DEL of existing pods")
        _ = try installation.uninstall(removeBinary: true)
        #expect(!FileManager.default.fileExists(atPath: "\(f.bin)/rampart-cni"))
    }

    @Test func changedEntryIsReplacedAndMovedToTheEnd() throws {
        let original = Array("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"ptp\"}]}\n".utf8)
        let installed = try #require(try ConflistEditor.inserting(Self.entry, into: original, path: "x"))
        #expect(String(decoding: installed, as: UTF8.self).contains("[{\"type\":\"ptp\"}, {\"type\": \"rampart-cni\""))
        // The primary rewrote its list with ours in the middle, and our settings changed.
        var newer = Self.entry
        newer.fields[1] = ("vni", .integer(8))
        let shuffled = Array("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"ptp\"},\(Self.entry.json),{\"type\":\"portmap\"}]}\n".utf8)
        let fixed = try #require(try ConflistEditor.inserting(newer, into: shuffled, path: "x"))
        #expect(try ConflistEditor.pluginTypes(fixed, path: "x") == ["ptp", "portmap", "rampart-cni"])
        #expect(String(decoding: fixed, as: UTF8.self).contains("\"vni\": 8"))
        #expect(try ConflistEditor.inserting(newer, into: fixed, path: "x") == nil)
        let back = try #require(try ConflistEditor.removing(type: "rampart-cni", from: installed, path: "x"))
        #expect(back == original)
    }

    @Test func refusesWhatIsNotAConflist() throws {
        #expect(throws: NodeError.self) { try ConflistEditor.inserting(Self.entry, into: Array("[1,2]".utf8), path: "x") }
        #expect(throws: NodeError.self) { try ConflistEditor.inserting(Self.entry, into: Array("{\"plugins\": []}".utf8), path: "x") }
        #expect(throws: NodeError.self) { try ConflistEditor.inserting(Self.entry, into: Array("{\"plugins\": [".utf8), path: "x") }
        let f = try folders()
        defer { try? FileManager.default.removeItem(atPath: f.root) }
        let installation = PluginInstallation(binDirectory: f.bin, confDirectory: f.conf, pluginBinary: nil, entry: Self.entry)
        #expect(throws: NodeError.self) { try installation.install() }
    }
}
