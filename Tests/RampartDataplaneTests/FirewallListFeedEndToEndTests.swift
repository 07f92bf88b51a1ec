import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-feeds-e2e.sh against the built `rampart-firewall`: an external
/// dynamic list served by Python's http.server and refreshed every 2 s while pod A keeps
/// making requests through the firewall in network namespaces; the served file changes and
/// within the refresh interval curl gets the block page and dig the sinkhole, other traffic
/// never fails, and with the server stopped the last good copy stays in force (root only).
@Suite("External dynamic list refreshed while traffic flows, end to end", .serialized)
struct FirewallListFeedEndToEndTests {
    @Test("a served list changes: blocked and sinkholed within the refresh, other traffic untouched; the source gone, the last good copy stays")
    func listRefreshedWhileTrafficFlows() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-feeds-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
