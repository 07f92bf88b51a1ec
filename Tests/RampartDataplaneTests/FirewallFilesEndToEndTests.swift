import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-files-e2e.sh against the built `rampart-firewall`: the real
/// firewall with `spec.files` and a file blocking profile in network namespaces; curl
/// downloads of EICAR and of an executable from python http.servers must be cut with the
/// profile and pass whole without it, each logged as a fileinfo record (root only).
@Suite("Firewall file blocking inline, end to end", .serialized)
struct FirewallFilesEndToEndTests {
    @Test("EICAR and an executable are cut by the file blocking profile, pass whole without it; fileinfo says which")
    func inline() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-files-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
