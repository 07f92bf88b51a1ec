import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/scaleout-e2e.sh against the built `rampart-firewall` and `rampart-node`:
/// two nodes running the real agent with `balancing: hash`, three real firewalls, pods on
/// both nodes, all in network namespaces (root only; about 70 s).
@Suite("Several firewalls end to end", .serialized)
struct ScaleOutEndToEndTests {
    @Test func sessionsSpreadFailOverAndOnlyTheJoinersShareMoves() throws {
        guard getuid() == 0 else {
            print("skipped: the scale-out end-to-end test needs root (network namespaces)")
            return
        }
        let root = AgentKubeTests.packageRoot
        let firewall = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: root), "rampart-firewall is not built")
        let agent = try #require(TestShell.executable(named: "rampart-node", packageRoot: root), "rampart-node is not built")
        let (status, output) = try TestShell.run("scripts/scaleout-e2e.sh '\(firewall.path)' '\(agent.path)'", in: root)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("scaleout-e2e: all passed"), "\(output)")
    }
}
