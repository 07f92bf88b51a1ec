import Foundation
import RampartTestSupport
import Testing

/// Runs scripts/firewall-files-e2e.sh against the built `rampart-firewall`: the real
/// firewall with `spec.files` and a file blocking profile in network namespaces; curl
/// downloads of EICAR and of an executable from python http.servers must be cut with the
/// profile and pass whole without it, each logged as a fileinfo record (root only).
@Suite("Firewall file blocking inline, end to end", .serialized)
struct FirewallFilesEndToEndTests {
    @Test("EICAR and an executable are cut by the file blocking profile, pass whole without it; fileinfo says which")
    func inline() throws {
        try TestShell.runEndToEnd(
            script: "scripts/firewall-files-e2e.sh", executables: ["rampart-firewall"], packageRoot: Fixtures.packageRoot,
            test: "firewall end-to-end")
    }
}
