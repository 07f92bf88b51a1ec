import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-ai-e2e.sh against the built `rampart-firewall`: the real firewall
/// with an AI security profile in network namespaces, a local model server speaking the
/// OpenAI and Anthropic APIs and MCP, and the real SDKs as clients (root only; skipped with
/// its reason when the SDKs are missing).
@Suite("Firewall AI security profiles inline, end to end", .serialized)
struct FirewallAIEndToEndTests {
    @Test("the OpenAI and Anthropic SDKs and an MCP client through the firewall: benign passes, injections get the API's 403, records name both pods")
    func aiSecurity() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-ai-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
