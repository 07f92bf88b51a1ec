import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-dns-e2e.sh against the built `rampart-firewall`: the DNS security
/// profile with dnsmasq, dig, the glibc resolver, curl and real iodine and dns2tcp tunnels in
/// network namespaces (root only; about 90 s).
@Suite("Firewall DNS security, end to end", .serialized)
struct FirewallDNSSecurityEndToEndTests {
    @Test("blocked and sinkholed names, DGA, DNS over TCP, iodine and dns2tcp alerted then blocked, events and metrics")
    func dnsSecurity() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-dns-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
