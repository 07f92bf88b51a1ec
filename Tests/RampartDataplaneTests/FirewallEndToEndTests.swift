import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-e2e.sh against the built `rampart-firewall`: network namespaces,
/// a kernel VXLAN device, policy routing, curl and python's http.server (root only).
@Suite("Firewall end to end", .serialized)
struct FirewallEndToEndTests {
    static var executable: URL? {
        TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot)
    }

    /// "" runs one worker per core (two here), "1" a single worker handling signals itself.
    @Test(arguments: ["", "1"])
    func curlThroughTheFirewallObeysPolicyAndReloads(_ workers: String) throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(Self.executable, "rampart-firewall is not built")
        let (status, output) = try shell("E2E_WORKERS=\(workers) scripts/firewall-e2e.sh '\(binary.path)'")
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }

    func shell(_ command: String) throws -> (Int32, String) {
        try TestShell.run(command, in: Fixtures.packageRoot)
    }
}
