import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-e2e.sh against the built `rampart-firewall`: network namespaces,
/// a kernel VXLAN device, policy routing, curl and python's http.server (root only).
@Suite("Firewall end to end", .serialized)
struct FirewallEndToEndTests {
    /// "" runs one worker per core (two here), "1" a single worker handling signals itself.
    @Test(arguments: ["", "1"])
    func curlThroughTheFirewallObeysPolicyAndReloads(_ workers: String) throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-e2e.sh", executables: ["rampart-firewall"], environment: ["E2E_WORKERS": workers],
            packageRoot: Fixtures.packageRoot, test: "firewall end-to-end")
    }
}
