import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-tools-e2e.sh against the built `rampart-firewall`: real attack
/// tools from Debian (nmap's SYN scan, version detection and http-sql-injection script,
/// sqlmap, curl with Log4Shell, traversal, Shellshock and PHP exploit strings) against a
/// vulnerable app in a pod's namespace, through the firewall with ET Open's rules: alerted
/// and passed as ET ships them, alerted and blocked as drop/reject rules, untouched without
/// them (root only; skipped when ET Open is not beside the repository).
@Suite("Firewall against real attack tools, end to end", .serialized)
struct FirewallToolsEndToEndTests {
    @Test("each tool trips its ET Open sids; drop and reject keep it from the app; without the rules nothing alerts")
    func tools() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-tools-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
