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
        try TestShell.runEndToEnd(
            script: "scripts/audits-e2e.sh", executables: ["rampart-manager"], passing: .folder, packageRoot: packageRoot,
            test: "runtime audits end-to-end")
    }
}
