import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-h2-e2e.sh against the built `rampart-firewall`: the real
/// firewall with a file blocking and an AI security profile in network namespaces; curl
/// over cleartext HTTP/2 (prior knowledge and upgrade) to an h2c server: EICAR cut with the
/// profile and whole without it, a prompt injection blocked, each recorded (root only).
@Suite("Firewall HTTP/2 bodies inline, end to end", .serialized)
struct FirewallHTTP2BodiesEndToEndTests {
    @Test("over h2c EICAR is cut by the file blocking profile, a prompt injection is blocked; records say so")
    func inline() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-h2-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
