import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-signatures-e2e.sh against the built `rampart-firewall`: the real
/// firewall with `spec.rules` in network namespaces; curl requests a drop rule, a reject rule
/// and an alert rule name must be dropped, reset and logged (root only).
@Suite("Firewall signatures inline, end to end", .serialized)
struct FirewallSignaturesEndToEndTests {
    @Test("drop and reject rules stop their requests before pod B sees them; alerts say blocked or allowed")
    func inline() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-signatures-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
