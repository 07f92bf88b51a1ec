import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-signatures-e2e.sh against the built `rampart-firewall`: the real
/// firewall with `spec.rules` in network namespaces; curl requests a drop rule, a reject rule
/// and an alert rule name must be dropped, reset and logged (root only).
@Suite("Firewall signatures inline, end to end", .serialized)
struct FirewallSignaturesEndToEndTests {
    @Test("drop and reject rules stop their requests before pod B sees them; alerts say blocked or allowed")
    func inline() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-signatures-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
