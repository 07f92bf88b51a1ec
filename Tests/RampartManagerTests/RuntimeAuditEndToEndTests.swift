import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/audits-e2e.sh against the built executables (root only): a real firewall in
/// network namespaces ships its flow records over TCP syslog to a real manager, whose
/// runtime audits stay silent while learning and on repeated known traffic, and raise one
/// new-destination audit for a destination the workload never used; the audit is found
/// through GET /audits, `rampart audits` and `rampart logs --event audit`, and the proposed
/// policy validates.
@Suite("Runtime audits end to end", .serialized)
struct RuntimeAuditEndToEndTests {
    @Test func aNewDestinationThroughTheRealFirewallIsAuditedOnce() throws {
        guard getuid() == 0 else {
            print("skipped: the runtime audits end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-manager", packageRoot: packageRoot), "rampart-manager is not built")
        let (status, output) = try TestShell.run("scripts/audits-e2e.sh '\(binary.deletingLastPathComponent().path)'", in: packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
