import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-attacks-e2e.sh against the built `rampart-firewall` (root only):
/// crafted fragments, overlaps, wrong checksums and a fragment flood sent from a pod's
/// namespace through the real firewall (issue 19). Each of its attacks got through before.
@Suite("Firewall attacks end to end", .serialized)
struct FirewallAttackEndToEndTests {
    /// "" runs one worker per core (two here), "1" a single worker.
    @Test(arguments: ["", "1"])
    func attacksThroughTheFirewallAreStopped(_ workers: String) throws {
        guard getuid() == 0 else {
            print("skipped: the firewall attack test needs root (network namespaces)")
            return
        }
        let binary = try #require(
            TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot), "rampart-firewall is not built")
        let (status, output) = try TestShell.run(
            "E2E_WORKERS=\(workers) scripts/firewall-attacks-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
