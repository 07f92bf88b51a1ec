import Foundation
import RampartTestSupport
import Testing

@Suite("rampart-manager command")
struct ManagerCommandTests {
    func manager(_ arguments: String) throws -> (status: Int32, output: String) {
        guard let binary = TestShell.executable(named: "rampart-manager", packageRoot: packageRoot) else {
            throw KubeTestServerError("rampart-manager is not built")
        }
        return try TestShell.run("'\(binary.path)' \(arguments)", in: packageRoot)
    }

    @Test func helpShowsExamples() throws {
        let (status, output) = try manager("--help")
        #expect(status == 0)
        #expect(output.contains("rampart-manager run --config"))
        for command in ["run", "validate", "rbac", "credentials", "audit"] {
            let (code, text) = try manager("\(command) --help")
            #expect(code == 0)
            #expect(text.contains("rampart-manager"), "\(command) --help has an example")
        }
    }

    @Test func validateReportsEveryProblemWithItsLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-bad-\(UUID().uuidString).yaml")
        try "apiVersion: rampart.io/v1\nkind: ManagerConfiguration\nspec:\n  clusters:\n    - name: BAD\n      id: 0\n      inCluster: true\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try manager("validate --config '\(file.path)'")
        #expect(status == 2)
        #expect(output.contains("\(file.path):5: cluster name 'BAD' must be"))
        #expect(output.contains("id must be 1..2048"))
    }

    @Test func rbacPrintsTheCommittedManifest() throws {
        let (status, output) = try manager("rbac")
        #expect(status == 0)
        #expect(output == (try String(contentsOf: packageRoot.appendingPathComponent("deploy/rbac.yaml"), encoding: .utf8)))
    }

    @Test func auditWithoutAStateFileSaysSo() throws {
        let (status, output) = try manager("audit --state /nonexistent/m.sqlite --address 10.0.0.1")
        #expect(status == 1)
        #expect(output.contains("no state file at /nonexistent/m.sqlite"))
    }
}
