import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-dns-e2e.sh against the built `rampart-firewall`: the DNS security
/// profile with dnsmasq, dig, the glibc resolver, curl and real iodine and dns2tcp tunnels in
/// network namespaces (root only; about 90 s).
@Suite("Firewall DNS security, end to end", .serialized)
struct FirewallDNSSecurityEndToEndTests {
    @Test("blocked and sinkholed names, DGA, DNS over TCP, iodine and dns2tcp alerted then blocked, events and metrics")
    func dnsSecurity() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-dns-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
