import Foundation
import Testing

/// Issue 11, "Fail-closed by default", as a user meets it: `rampart policy validate` refuses
/// a file without a policy and warns about one that allows everything; `rampart inspect`
/// without --policy says that it allows everything, and with a starved App-ID says so.
@Suite("Fail-closed commands")
struct FailClosedCommandTests {
    static func write(_ text: String, name: String) throws -> (URL, URL) {
        let directory = try RampartProcess.temporaryDirectory()
        let file = directory.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return (directory, file)
    }

    @Test("policy validate refuses an empty or comment-only file with exit 2, saying what to add")
    func validateRefusesNoPolicy() throws {
        for text in ["", "# nothing here yet\n"] {
            let (directory, file) = try Self.write(text, name: "empty.yaml")
            defer { try? FileManager.default.removeItem(at: directory) }
            let result = try RampartProcess.run(["policy", "validate", file.path])
            #expect(result.status == 2)
            #expect(result.stderr.contains("\(file.path):1:1: no policy:"))
            #expect(result.stderr.contains("kind: SecurityPolicy"))
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("policy validate warns (exit 0) about a policy that allows everything")
    func validateWarnsAllowAll() throws {
        let text = """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: open}
            spec:
              rules:
                - {name: anything, action: allow}
              defaults:
                intrazone: {action: allow}
                interzone: {action: allow}
            """
        let (directory, file) = try Self.write(text, name: "open.yaml")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try RampartProcess.run(["policy", "validate", file.path])
        #expect(result.status == 0)
        #expect(result.stderr.contains("\(file.path):6:"))
        #expect(result.stderr.contains("warning: rule 'anything' allows every session"))
        #expect(result.stderr.contains("warning: defaults.intrazone and defaults.interzone both allow"))
        #expect(result.stdout.contains("valid"))
        let sample = try RampartProcess.run(["policy", "validate", RampartProcess.path("Samples/policy.yaml")])
        #expect(sample.status == 0 && !sample.stderr.contains("warning"))
    }
}
