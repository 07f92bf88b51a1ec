import Foundation
import RampartCNI
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `rampart-node` executable end to end: `install`/`uninstall` on temporary folders,
/// and `run` against the local API test server until SIGTERM (tunnel management off, so
/// no root and no network namespace are needed).
@Suite(.serialized) struct NodeCommandTests {
    static let packageRoot = AgentKubeTests.packageRoot

    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-node-\(UUID().uuidString.prefix(8))").path
        for sub in ["bin", "net.d"] { try FileManager.default.createDirectory(atPath: "\(path)/\(sub)", withIntermediateDirectories: true) }
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: "\(path)/rampart-cni"))
        try Data("{\"cniVersion\": \"1.0.0\", \"name\": \"k8s\", \"plugins\": [{\"type\": \"ptp\"}]}\n".utf8)
            .write(to: URL(fileURLWithPath: "\(path)/net.d/10-ptp.conflist"))
        return path
    }

    func writeConfiguration(_ f: String, kubeconfig: String) throws {
        let yaml = """
            apiVersion: rampart.io/v1
            kind: NodeConfiguration
            metadata: {name: test}
            spec:
              nodeName: node-a
              kubeconfig: \(kubeconfig)
              clusterID: 7
              firewalls: [10.0.0.50]
              tunnel: {manage: false}
              cni: {binDir: \(f)/bin, confDir: \(f)/net.d, pluginBinary: \(f)/rampart-cni}
              socket: \(f)/node.sock
              state: \(f)/attachments.json
              metrics: 127.0.0.1:0
              events: \(f)/events.json
              healthInterval: 0.2

            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: "\(f)/node.yaml"))
    }

    @Test func installAndUninstallCommands() throws {
        let executable = try #require(TestShell.executable(named: "rampart-node", packageRoot: Self.packageRoot))
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f) }
        try writeConfiguration(f, kubeconfig: "\(f)/none")
        let original = try String(contentsOfFile: "\(f)/net.d/10-ptp.conflist", encoding: .utf8)
        let first = try TestShell.run("'\(executable.path)' install --config '\(f)/node.yaml'", in: Self.packageRoot)
        #expect(first.status == 0 && first.output.contains("rampart-cni added"))
        let second = try TestShell.run("'\(executable.path)' install --config '\(f)/node.yaml'", in: Self.packageRoot)
        #expect(second.status == 0 && second.output.contains("unchanged; binary unchanged"))
        #expect(try String(contentsOfFile: "\(f)/net.d/10-ptp.conflist", encoding: .utf8).contains("\"agentSocket\": \"\(f)/node.sock\""))
        let removed = try TestShell.run("'\(executable.path)' uninstall --conf-dir '\(f)/net.d' --bin-dir '\(f)/bin'", in: Self.packageRoot)
        #expect(removed.status == 0)
        #expect(try String(contentsOfFile: "\(f)/net.d/10-ptp.conflist", encoding: .utf8) == original)
        let bad = try TestShell.run("'\(executable.path)' run --config '\(f)/missing.yaml'", in: Self.packageRoot)
        #expect(bad.status == 2)
    }

    @Test func runServesThePluginUntilSIGTERM() throws {
        let executable = try #require(TestShell.executable(named: "rampart-node", packageRoot: Self.packageRoot))
        let server = try KubeTestServer.start(packageRoot: Self.packageRoot)
        defer { server.stop() }
        let f = try folder()
        defer { try? FileManager.default.removeItem(atPath: f) }
        try writeConfiguration(f, kubeconfig: server.kubeconfig)
        // The inner shell writes its own pid, then becomes the agent (exec): that pid is the agent's.
        let (status, output) = try TestShell.run(
            "( sh -c 'echo $$ >\"$1\"/pid; exec \"$2\" run --config \"$1\"/node.yaml' sh '\(f)' '\(executable.path)' "
                + ">'\(f)/agent.log' 2>&1; echo $? >'\(f)/exit' ) </dev/null &",
            in: Self.packageRoot)
        #expect(status == 0, "\(output)")
        // The file exists a moment before the shell has written the number into it.
        func pidText() -> String { ((try? String(contentsOfFile: "\(f)/pid", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(eventually(5) { Int32(pidText()) != nil })
        let pidText = pidText()
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)), "agent did not start: \(output)")
        defer { kill(pid, SIGKILL) }

        let client = AgentClient(socketPath: "\(f)/node.sock", timeout: .seconds(2))
        let ready = eventually(20) { (try? client.send(.status))?.ready == true }
        let log = (try? String(contentsOfFile: "\(f)/agent.log", encoding: .utf8)) ?? ""
        #expect(ready, "agent log: \(log)")
        let conflist = try String(contentsOfFile: "\(f)/net.d/10-ptp.conflist", encoding: .utf8)
        #expect(conflist.contains("{\"type\": \"ptp\"}, {\"type\": \"rampart-cni\""))
        #expect(FileManager.default.fileExists(atPath: "\(f)/bin/rampart-cni"))

        kill(pid, SIGTERM)
        let exited = eventually(10) { FileManager.default.fileExists(atPath: "\(f)/exit") }
        let after = (try? String(contentsOfFile: "\(f)/agent.log", encoding: .utf8)) ?? ""
        #expect(exited, "agent log: \(after)")
        let exit = (try? String(contentsOfFile: "\(f)/exit", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(exit == "0")
    }
}
