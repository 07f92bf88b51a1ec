import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-h2-e2e.sh against the built `rampart-firewall`: the real
/// firewall with a file blocking and an AI security profile in network namespaces; curl
/// over cleartext HTTP/2 (prior knowledge and upgrade) to an h2c server: EICAR cut with the
/// profile and whole without it, a prompt injection blocked, each recorded (root only).
@Suite("Firewall HTTP/2 bodies inline, end to end", .serialized)
struct FirewallHTTP2BodiesEndToEndTests {
    @Test("over h2c EICAR is cut by the file blocking profile, a prompt injection is blocked; records say so")
    func inline() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-h2-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
