import Foundation
import Testing

/// Whether this machine can run the tests that record real traffic.
enum LiveEnvironment {
    static var canRun: Bool {
        getuid() == 0 && ["/usr/bin/tcpdump", "/usr/bin/curl", "/usr/bin/dig", "/usr/bin/iperf3"]
            .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// End to end with real programs: records fresh captures with scripts/make-captures.sh
/// (curl, python http.server, nginx, dnsmasq and dig, openssl, iperf3, ping, socat) in
/// network namespaces the script creates and removes, then inspects them.
///
/// Needs root (network namespaces) and the tools scripts/setup.sh installs; skipped
/// otherwise, and says so.
@Suite("Live captures from real programs", .enabled(if: LiveEnvironment.canRun, "needs root and scripts/setup.sh"))
struct LiveCaptureTests {
    @Test("traffic recorded now is inspected into the sessions the programs made")
    func recordAndInspect() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recorded = try RampartProcess.shell("set -euo pipefail; scripts/make-captures.sh '\(directory.path)'")
        #expect(recorded.status == 0, "make-captures.sh failed: \(recorded.output)")
        // The script's namespaces are gone again.
        let leftovers = try RampartProcess.shell("ip netns list | grep -c '^rp-[0-9]*-\\(cli\\|srv\\)' || true")
        #expect(leftovers.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0")

        let http = try RampartProcess.run(["inspect", directory.appendingPathComponent("http.pcap").path, "--quiet"])
        #expect(http.status == 0)
        let flows = try RampartProcess.events(http.stdout).filter { $0["event_type"] as? String == "flow" }
        let web = flows.filter { $0["proto"] as? String == "TCP" }
        #expect(web.count == 5)
        for flow in web {
            let counters = try #require(flow["flow"] as? [String: Any])
            #expect((counters["pkts_toserver"] as? Int ?? 0) > 0)
            #expect((counters["pkts_toclient"] as? Int ?? 0) > 0)
            #expect(flow["src_ip"] as? String == "10.77.0.1")
        }

        let dns = try RampartProcess.run(["inspect", directory.appendingPathComponent("dns.pcap").path, "--quiet"])
        let queries = try RampartProcess.events(dns.stdout).filter { $0["event_type"] as? String == "flow" && $0["dest_port"] as? Int == 53 }
        #expect(queries.count == 6)

        let fragments = try RampartProcess.run(["inspect", directory.appendingPathComponent("fragments.pcap").path])
        #expect(fragments.stderr.contains("datagrams reassembled"))
        #expect(!fragments.stderr.contains(" 0 datagrams reassembled"))

        let pcapng = try RampartProcess.run(["inspect", directory.appendingPathComponent("sample.pcapng").path, "--quiet"])
        let pcap = try RampartProcess.run(["inspect", directory.appendingPathComponent("sample.pcap").path, "--quiet"])
        #expect(pcapng.status == 0 && pcap.status == 0)
        #expect(pcapng.stdout == pcap.stdout)
    }
}
