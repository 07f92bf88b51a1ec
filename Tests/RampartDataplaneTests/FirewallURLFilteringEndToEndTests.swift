import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-urls-e2e.sh against the built `rampart-firewall`: the real firewall
/// with `spec.lists` and a URL filtering profile in network namespaces; curl to a blocked
/// host must get the block page, openssl s_client with a blocked SNI must be reset, and the
/// same traffic without the profile must pass (root only).
@Suite("Firewall URL filtering inline, end to end", .serialized)
struct FirewallURLFilteringEndToEndTests {
    @Test("block pages and TLS resets by category, continue, events and metrics; without the profile everything passes")
    func urlFiltering() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-urls-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
