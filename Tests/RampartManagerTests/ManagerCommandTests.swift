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
        try "apiVersion: rampart.io/v1\nkind: ManagerConfiguration\nspec:\n  clusters:\n    - name: BAD\n      clusterID: 0\n      inCluster: true\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try manager("validate --config '\(file.path)'")
        #expect(status == 2)
        #expect(output.contains("\(file.path):5:13: cluster name 'BAD' must be"))
        #expect(output.contains(":6:18: cluster 'BAD': clusterID must be 1..2048"))
    }

    @Test func rbacPrintsTheCommittedManifest() throws {
        let (status, output) = try manager("rbac")
        #expect(status == 0)
        #expect(output == (try String(contentsOf: packageRoot.appendingPathComponent("deploy/rbac.yaml"), encoding: .utf8)))
    }

    @Test func runServesItsAPIAndStopsCleanlyOnSIGTERM() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-run-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = freePort()
        try """
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            spec: {listen: "127.0.0.1:\(port)", state: \(folder.path)/m.sqlite}
            """.write(to: folder.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        guard let binary = TestShell.executable(named: "rampart-manager", packageRoot: packageRoot) else {
            Issue.record("rampart-manager is not built"); return
        }
        let (status, output) = try TestShell.run("""
            true
            '\(binary.path)' run --config '\(folder.path)/m.yaml' 2>'\(folder.path)/log' & pid=$!
            for i in $(seq 100); do curl -sf http://127.0.0.1:\(port)/healthz && break; sleep 0.05; done
            curl -s http://127.0.0.1:\(port)/readyz; echo
            kill -TERM $pid; wait $pid; echo "exit $?"
            cat '\(folder.path)/log'
            """, in: packageRoot)
        #expect(status == 0)
        #expect(output.contains("ok\n"))
        #expect(output.contains("ready"))
        #expect(output.contains("exit 0"))
        #expect(output.contains(#""event":"stopping""#))
    }

    @Test func auditWithoutAStateFileSaysSo() throws {
        let (status, output) = try manager("audit --state /nonexistent/m.sqlite --address 10.0.0.1")
        #expect(status == 1)
        #expect(output.contains("no state file at /nonexistent/m.sqlite"))
    }
}
