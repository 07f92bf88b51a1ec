import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-attacks-e2e.sh against the built `rampart-firewall` (root only):
/// crafted fragments, overlaps, wrong checksums and a fragment flood sent from a pod's
/// namespace through the real firewall (issue 19). Each of its attacks got through before.
@Suite("Firewall attacks end to end", .serialized)
struct FirewallAttackEndToEndTests {
    /// "" runs one worker per core (two here), "1" a single worker.
    @Test(arguments: ["", "1"])
    func attacksThroughTheFirewallAreStopped(_ workers: String) throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-attacks-e2e.sh", executables: ["rampart-firewall"], environment: ["E2E_WORKERS": workers],
            packageRoot: Fixtures.packageRoot, test: "firewall attack")
    }
}
