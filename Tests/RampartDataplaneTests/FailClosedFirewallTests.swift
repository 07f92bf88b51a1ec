import Foundation
import Testing
import RampartInspect
import RampartPolicy
import RampartTestSupport
@testable import RampartDataplane

/// Issue 11: the firewall starts only with a policy. A configuration without a
/// SecurityPolicy document is invalid (exit 2, like every configuration error), and says
/// where and what to add.
@Suite("Firewall refuses to start without a policy")
struct FailClosedFirewallTests {
    static let firewallOnly = """
        apiVersion: rampart.io/v1
        kind: FirewallConfiguration
        metadata: {name: edge}
        spec:
          listen: 127.0.0.1:0
          admin: off
        """

    @Test("a configuration with only a FirewallConfiguration document is refused at file:1:1")
    func parseRefuses() {
        #expect(throws: PolicyErrors.self) { try ConfigurationFile.parse(Self.firewallOnly, file: "fw.yaml") }
        do {
            _ = try ConfigurationFile.parse(Self.firewallOnly, file: "fw.yaml")
        } catch {
            #expect(error.errors.count == 1)
            let message = error.errors.first?.description ?? ""
            #expect(message.hasPrefix("fw.yaml:1:1: no policy: rampart-firewall starts only with a policy"))
            #expect(message.contains("beside its FirewallConfiguration"))
            #expect(message.contains("kind: SecurityPolicy"))
        }
        #expect(throws: PolicyErrors.self) { try ConfigurationFile.parse("# comments only\n", file: "fw.yaml") }
    }

    @Test("rampart-firewall exits 2 on a configuration without a policy, before opening any socket")
    func executableExits2() throws {
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-fw-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("firewall.yaml")
        try Self.firewallOnly.write(to: config, atomically: true, encoding: .utf8)
        for extra in [["--check"], []] {
            let result = try TestShell.run(
                "'\(binary.path)' --config '\(config.path)' \(extra.joined(separator: " ")) 2>&1; echo \"exit=$?\"",
                in: Fixtures.packageRoot)
            #expect(result.output.contains("exit=2"))
            #expect(result.output.contains("\(config.path):1:1: no policy: rampart-firewall starts only with a policy"))
        }
    }

    @Test("/metrics shows every limit, summed over workers")
    func limitMetrics() {
        var a = FirewallSnapshot(), b = FirewallSnapshot()
        a.engine.limits.count(.appIDBuffersPerSource)
        b.engine.limits.count(.appIDBuffersPerSource)
        b.engine.limits.count(.sessionsPerTunnelSource)
        b.engine.limits.count(.fragmentTable)
        a.engine.appIDUnbuffered = 2
        b.engine.appIDUnbuffered = 3
        let text = FirewallSnapshot.sum([a, b]).prometheusText()
        #expect(text.contains("rampart_limit_reached_total{limit=\"appid_buffers_per_source\"} 2\n"))
        #expect(text.contains("rampart_limit_reached_total{limit=\"sessions_per_tunnel_source\"} 1\n"))
        #expect(text.contains("rampart_limit_reached_total{limit=\"fragment_table\"} 1\n"))
        #expect(text.contains("rampart_limit_reached_total{limit=\"session_table\"} 0\n"))
        #expect(text.contains("rampart_appid_unbuffered_sessions_total 5\n"))
    }
}
