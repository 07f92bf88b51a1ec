import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-feeds-e2e.sh against the built `rampart-firewall`: an external
/// dynamic list served by Python's http.server and refreshed every 2 s while pod A keeps
/// making requests through the firewall in network namespaces; the served file changes and
/// within the refresh interval curl gets the block page and dig the sinkhole, other traffic
/// never fails, and with the server stopped the last good copy stays in force (root only).
@Suite("External dynamic list refreshed while traffic flows, end to end", .serialized)
struct FirewallListFeedEndToEndTests {
    @Test("a served list changes: blocked and sinkholed within the refresh, other traffic untouched; the source gone, the last good copy stays")
    func listRefreshedWhileTrafficFlows() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-feeds-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
