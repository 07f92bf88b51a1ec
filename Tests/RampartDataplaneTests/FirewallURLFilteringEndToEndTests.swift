import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-urls-e2e.sh against the built `rampart-firewall`: the real firewall
/// with `spec.lists` and a URL filtering profile in network namespaces; curl to a blocked
/// host must get the block page, openssl s_client with a blocked SNI must be reset, and the
/// same traffic without the profile must pass (root only).
@Suite("Firewall URL filtering inline, end to end", .serialized)
struct FirewallURLFilteringEndToEndTests {
    @Test("block pages and TLS resets by category, continue, events and metrics; without the profile everything passes")
    func urlFiltering() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-urls-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
