import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-ai-e2e.sh against the built `rampart-firewall`: the real firewall
/// with an AI security profile in network namespaces, a local model server speaking the
/// OpenAI and Anthropic APIs and MCP, and the real SDKs as clients (root only; skipped with
/// its reason when the SDKs are missing).
@Suite("Firewall AI security profiles inline, end to end", .serialized)
struct FirewallAIEndToEndTests {
    @Test("the OpenAI and Anthropic SDKs and an MCP client through the firewall: benign passes, injections get the API's 403, records name both pods")
    func aiSecurity() throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot),
                                  "rampart-firewall is not built")
        let (status, output) = try TestShell.run("scripts/firewall-ai-e2e.sh '\(binary.path)'", in: Fixtures.packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }
}
