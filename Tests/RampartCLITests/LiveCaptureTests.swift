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

    @Test("App-ID names the traffic of real servers recorded now, on standard and other ports")
    func appIDOnFreshRecordings() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let scripts = try FileManager.default.contentsOfDirectory(atPath: RampartProcess.path("scripts/appid"))
            .filter { $0.hasSuffix(".sh") && $0 != "lib.sh" && $0 != "http-example.sh" }.sorted()
        #expect(scripts.count >= 8)
        var labelled = 0
        var correct = 0
        var wrong: [String] = []
        let unnamed: Set<String> = ["unknown-tcp", "unknown-udp", "incomplete", "insufficient-data"]
        var mislabelled: [String] = []
        for script in scripts {
            let recorded = try RampartProcess.shell("set -euo pipefail; scripts/appid/\(script) '\(directory.path)'")
            #expect(recorded.status == 0, "\(script) failed: \(recorded.output)")
            guard recorded.status == 0 else { continue }
            let name = String(script.dropLast(3))
            let labels = try String(contentsOf: directory.appendingPathComponent("\(name).labels"), encoding: .utf8)
                .split(separator: "\n").reduce(into: [String: String]()) { table, line in
                    let parts = line.split(separator: " ")
                    if parts.count == 3 { table["\(parts[0].uppercased()) \(parts[1])"] = String(parts[2]) }
                }
            let result = try RampartProcess.run(["inspect", directory.appendingPathComponent("\(name).pcap").path, "--quiet"])
            #expect(result.status == 0)
            for flow in try RampartProcess.events(result.stdout) where flow["event_type"] as? String == "flow" {
                guard let proto = flow["proto"] as? String, let port = flow["dest_port"] as? Int,
                      let expected = labels["\(proto) \(port)"] else { continue }
                labelled += 1
                let got = flow["app_proto"] as? String ?? ""
                if got == expected {
                    correct += 1
                } else {
                    wrong.append("\(name): \(proto)/\(port) expected \(expected), got \(got)")
                    if !unnamed.contains(got) { mislabelled.append(wrong.last!) }
                }
            }
        }
        let leftovers = try RampartProcess.shell("ip netns list | grep -c '^rpa-[0-9]*-\\(cli\\|srv\\)' || true")
        #expect(leftovers.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(labelled >= 60)
        #expect(Double(correct) >= 0.99 * Double(labelled), "\(correct)/\(labelled) correct; wrong: \(wrong)")
        #expect(mislabelled.isEmpty, "mislabelled: \(mislabelled)")
    }
}
