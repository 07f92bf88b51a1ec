import Foundation
import Testing

/// `rampart inspect --rules` over real attack-shaped traffic: Tests/Captures/threats.pcap,
/// recorded by scripts/make-threat-capture.sh (curl, Python and nmap against a Python HTTP
/// server in network namespaces), with the small rule file beside it
/// (Tests/Captures/threats.rules), one rule per evasion. Each rule must alert where its
/// traffic is, and the same traffic without rules must give no alert. As root, the capture
/// is recorded anew and checked the same way.
@Suite("Signatures over real traffic")
struct ThreatCaptureTests {
    static let rules = "Tests/Captures/threats.rules"

    /// Alerts by signature id in `rampart inspect CAPTURE --rules RULES`'s output.
    static func alerts(_ capture: String, rules: String?, quiet: Bool = true) throws -> (counts: [Int: Int], result: RampartProcess.Result) {
        var arguments = ["inspect", capture, "--no-progress"] + (quiet ? ["--quiet"] : [])
        if let rules { arguments += ["--rules", rules] }
        let run = try RampartProcess.run(arguments)
        var counts: [Int: Int] = [:]
        for e in try RampartProcess.events(run.stdout) where e["event_type"] as? String == "alert" {
            let alert = try #require(e["alert"] as? [String: Any])
            counts[alert["signature_id"] as? Int ?? 0, default: 0] += 1
        }
        return (counts, run)
    }

    static func check(_ capture: String) throws {
        let (counts, run) = try alerts(capture, rules: rules)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(counts[9000001] == 1, "http.uri percent-decoded and dot segments resolved")
        #expect(counts[9000002] == 1, "chunked body de-chunked")
        #expect(counts[9000003] == nil, "noalert")
        #expect(counts[9000004] == 1, "flowbits set by /login, read by /admin/ on the same connection")
        #expect(counts[9000005] == 3, "EICAR in the response body: plain, gzip, gzip in chunks")
        #expect(counts[9000006] == 1, "a pattern split between two segments")
        #expect(counts[9000007] == 1, "threshold limit: one alert for three probes")
        #expect((counts[9000008] ?? 0) >= 1, "nmap's scripting engine user agent")
        #expect(counts[9000009] == 1, "pcre over the raw request")
        #expect(Set(counts.keys).isSubset(of: Set(9000001...9000009)))
        // The same traffic without rules: no alert at all.
        let (none, plain) = try alerts(capture, rules: nil)
        #expect(plain.status == 0)
        #expect(none.isEmpty)
    }

    @Test("each rule alerts on the recorded traffic it describes, and nothing alerts without rules")
    func recorded() throws {
        try Self.check("Tests/Captures/threats.pcap")
    }

    @Test("the load summary names the rules and the time taken; an unreadable rules path exits 2")
    func summaryAndErrors() throws {
        let run = try RampartProcess.run(["inspect", "Tests/Captures/threats.pcap", "--rules", Self.rules, "--out", "/dev/null"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("rules: 9 enabled in 1 file, 9 parsed, 9 active"))
        #expect(run.stderr.contains("compiled in"))
        #expect(run.stderr.contains("alerts"))
        let missing = try RampartProcess.run(["inspect", "Tests/Captures/threats.pcap", "--rules", "/nonexistent.rules"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent.rules"))
    }

    @Test("ET Open loads and runs over the project's captures without error",
          .enabled(if: FileManager.default.fileExists(atPath: RampartProcess.path("../shared/data/et-open-2024-04/rules")),
                   "ET Open is not in ../shared/data"))
    func etOpen() throws {
        for capture in ["Samples/sample.pcap", "Tests/Captures/threats.pcap"] {
            let (counts, run) = try Self.alerts(capture, rules: "../shared/data/et-open-2024-04/rules", quiet: false)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("24,722 active"))
            // Real, expected alerts: the captures' servers are Python's http.server, and
            // threats.pcap holds an nmap scan (ET SCAN Possible Nmap User-Agent Observed).
            #expect((counts[2034636] ?? 0) > 0, "ET INFO Python SimpleHTTP ServerBanner")
            if capture.hasSuffix("threats.pcap") { #expect((counts[2024364] ?? 0) > 0) }
        }
    }

    @Test("traffic recorded now alerts the same way",
          .enabled(if: LiveEnvironment.canRun && FileManager.default.isExecutableFile(atPath: "/usr/bin/nmap"),
                   "needs root and scripts/setup.sh (nmap)"))
    func live() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let capture = directory.appendingPathComponent("threats.pcap").path
        let recorded = try RampartProcess.shell("set -euo pipefail; scripts/make-threat-capture.sh '\(capture)'")
        #expect(recorded.status == 0, "make-threat-capture.sh failed: \(recorded.output)")
        let leftovers = try RampartProcess.shell("ip netns list | grep -c '^rp-[0-9]*-t\\(cli\\|srv\\)' || true")
        #expect(leftovers.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        try Self.check(capture)
    }
}
