import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/scaleout-e2e.sh against the built `rampart-firewall` and `rampart-node`:
/// two nodes running the real agent with `balancing: hash`, three real firewalls, pods on
/// both nodes, all in network namespaces (root only; about 70 s).
@Suite("Several firewalls end to end", .serialized)
struct ScaleOutEndToEndTests {
    @Test func sessionsSpreadFailOverAndOnlyTheJoinersShareMoves() throws {
        try TestShell.runEndToEnd(
            script: "scripts/scaleout-e2e.sh", executables: ["rampart-firewall", "rampart-node"],
            packageRoot: AgentKubeTests.packageRoot, test: "scale-out end-to-end", expecting: ["scaleout-e2e: all passed"])
    }
}
