import Foundation
import RampartJSON
import RampartTestSupport
import Testing
@testable import RampartManager

/// Runtime audits over EVE records as the firewall writes them: each audit kind fires when
/// it should and not on known traffic, the learning window, the bounds (profiles and entries
/// per profile, filled), the tag history for ends without tags, and proposed policy that
/// validates as `rampart policy validate` does.
@Suite("Runtime audits: profiles, audit kinds, bounds, proposed policy")
struct RuntimeAuditTests {
    static let map: [String: [String]] = [
        "10.244.1.1": ["cluster:lab", "ns:shop", "pod:shop/web-1", "workload:web", "label:app=web"],
        "10.244.2.1": ["cluster:lab", "ns:shop", "pod:shop/db-0", "workload:db"],
        "10.244.3.1": ["cluster:lab", "ns:other", "pod:other/cli-1", "workload:cli"],
    ]

    /// A time `seconds` after 10:00, as EVE writes it.
    static func at(_ seconds: Int) -> String {
        let minute = seconds / 60, second = seconds % 60
        return "2026-12-04T\(String(format: "%02d", 10 + minute / 60)):\(String(format: "%02d", minute % 60)):\(String(format: "%02d", second)).000000+0000"
    }

    static func flow(_ seconds: Int, _ src: String, _ dest: String, port: Int = 5432, app: String = "postgresql", action: String = "allow") -> LogRecord {
        LogRecord(eve: eveFlow(time: at(seconds), src: src, dest: dest, port: port, app: app, action: action, rule: "r"), firewall: "fw-1") { map[$0] }!
    }

    static func settings(learning: Double = 60) -> AuditSettings {
        var settings = AuditSettings()
        settings.learningSeconds = learning
        settings.scanPeers = 5
        settings.scanPorts = 5
        settings.scanWindowSeconds = 10
        return settings
    }

    func what(_ audits: [LogRecord]) -> [String] { audits.map { $0.rule ?? "?" } }

    @Test func learnsThenAuditsOnlyWhatIsNew() throws {
        let lines = LogLines()
        let auditor = RuntimeAuditor(settings: Self.settings()) { line in lines.append(line) }
        // Learning: web → db:5432 postgresql, cli → web:80 http.
        #expect(auditor.observe([Self.flow(0, "10.244.1.1", "10.244.2.1"), Self.flow(5, "10.244.3.1", "10.244.1.1", port: 80, app: "http")]).isEmpty)
        #expect(auditor.observe([Self.flow(30, "10.244.1.1", "10.9.9.9", port: 443, app: "ssl")]).isEmpty, "still learning")
        // After the window: known traffic, many times, raises nothing.
        let known = (0 ..< 20).map { Self.flow(100 + $0, "10.244.1.1", "10.244.2.1") } + [Self.flow(130, "10.244.3.1", "10.244.1.1", port: 80, app: "http")]
        #expect(auditor.observe(known).isEmpty)
        // A new external destination, on a port and application web has used (learned 443/ssl): only new-destination.
        var audits = auditor.observe([Self.flow(200, "10.244.1.1", "10.8.8.8", port: 443, app: "ssl")])
        #expect(what(audits) == ["new-destination"])
        let eve = try JSONValue.parse(audits[0].json)
        #expect(eve["event_type"]?.stringValue == "audit" && eve["audit"]?["what"]?.stringValue == "new-destination")
        #expect(eve["audit"]?["cluster"]?.stringValue == "lab" && eve["audit"]?["namespace"]?.stringValue == "shop" && eve["audit"]?["workload"]?.stringValue == "web")
        #expect(eve["audit"]?["evidence"]?["peer"]?.stringValue == "address:10.8.8.8" && eve["audit"]?["evidence"]?["flow_id"]?.intValue == 1)
        #expect(audits[0].source.workload == "shop/web" && audits[0].destination.ip == "10.8.8.8")
        // Once seen, it is known.
        #expect(auditor.observe([Self.flow(210, "10.244.1.1", "10.8.8.8", port: 443, app: "ssl")]).isEmpty)
        // A new port to a known peer: new-port (outbound) for web, new-port inbound for db.
        audits = auditor.observe([Self.flow(220, "10.244.1.1", "10.244.2.1", port: 5433)])
        #expect(what(audits) == ["new-port", "new-port"])
        #expect(audits.map { $0.source.workload ?? "" } == ["shop/web", "shop/db"])
        // A new application on a known peer and port.
        audits = auditor.observe([Self.flow(230, "10.244.1.1", "10.244.2.1", port: 5432, app: "mysql")])
        #expect(what(audits) == ["new-application", "new-application"])
        // A new source of db (cli, never seen talking to it): new-destination for cli, new-source for db.
        audits = auditor.observe([Self.flow(240, "10.244.3.1", "10.244.2.1")])
        #expect(what(audits).sorted() == ["new-application", "new-destination", "new-port", "new-source"], "\(what(audits))")
        #expect(auditor.metrics().contains("rampart_manager_audits_total{what=\"new-destination\"} 2"))
    }

    @Test func aFanOutIsAScanOncePerWindow() {
        let auditor = RuntimeAuditor(settings: Self.settings(learning: 0)) { _ in }
        // Four peers in the window: not yet; the fifth: one scan (and new destinations).
        let sweep = (1 ... 4).map { Self.flow($0, "10.244.1.1", "10.50.0.\($0)", port: 22, app: "incomplete", action: "deny") }
        #expect(!what(auditor.observe(sweep)).contains("scan"))
        let fifth = auditor.observe([Self.flow(5, "10.244.1.1", "10.50.0.5", port: 22, app: "incomplete", action: "deny")])
        #expect(what(fifth).filter { $0 == "scan" }.count == 1)
        let scan = fifth.first { $0.rule == "scan" }!
        #expect(scan.json.contains("\"distinct_peers\":5") && scan.json.contains("\"sample_peers\":[\"address:10.50.0.1\""))
        // More in the same window: no second scan; a port sweep of one peer in the next window: one.
        #expect(!what(auditor.observe([Self.flow(6, "10.244.1.1", "10.50.0.6", port: 22, app: "incomplete")])).contains("scan"))
        let ports = (0 ..< 5).map { Self.flow(20 + $0, "10.244.1.1", "10.50.0.1", port: 1000 + $0, app: "incomplete") }
        #expect(what(auditor.observe(ports)).filter { $0 == "scan" }.count == 1)
        // Repeating the same connection fast is not a fan-out.
        let quiet = RuntimeAuditor(settings: Self.settings(learning: 0)) { _ in }
        #expect(!what(quiet.observe((0 ..< 50).map { _ in Self.flow(1, "10.244.1.1", "10.244.2.1") })).contains("scan"))
    }

    @Test func blockedNamesAndSinkholeConnectionsAreAuditedAtAnyTime() throws {
        let auditor = RuntimeAuditor(settings: Self.settings(learning: 86400)) { _ in }
        let dns = "{\"timestamp\":\"\(Self.at(1))\",\"flow_id\":7,\"event_type\":\"dns\",\"src_ip\":\"10.244.1.1\",\"src_port\":5353,"
            + "\"dest_ip\":\"10.96.0.10\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{\"type\":\"query\",\"rrname\":\"evil.example\",\"rrtype\":\"A\"},"
            + "\"rampart\":{\"dns\":{\"verdict\":\"sinkhole\",\"category\":\"malware\",\"reason\":\"category\"}}}"
        let clean = dns.replacing("\"verdict\":\"sinkhole\"", with: "\"verdict\":\"allow\"")
        let records = [clean, dns].map { LogRecord(eve: $0, firewall: "fw-1") { Self.map[$0] }! }
        let audits = auditor.observe(records)
        #expect(what(audits) == ["blocked-name"], "learning does not hide it; an allowed name raises nothing")
        let eve = try JSONValue.parse(audits[0].json)
        #expect(eve["audit"]?["evidence"]?["name"]?.stringValue == "evil.example" && eve["audit"]?["evidence"]?["category"]?.stringValue == "malware")
        let sinkholed = eveFlow(time: Self.at(2), src: "10.244.1.1", dest: "10.0.0.66", port: 80, app: "http", action: "allow")
            .replacing("\"rampart\":{", with: "\"rampart\":{\"sinkhole\":true,")
        #expect(what(auditor.observe([LogRecord(eve: sinkholed, firewall: "fw-1") { Self.map[$0] }!])) == ["sinkhole-connection"])
    }

    @Test func theProfileTableIsBoundedLoggedAndCounted() {
        let lines = LogLines()
        var settings = Self.settings(learning: 0)
        settings.maxProfiles = 3
        let auditor = RuntimeAuditor(settings: settings) { line in lines.append(line) }
        var records: [LogRecord] = []
        for index in 0 ..< 6 {
            let tags = ["cluster:lab", "ns:fill", "workload:w\(index)"]
            let line = eveFlow(time: Self.at(index), src: "10.60.0.\(index)", dest: "10.9.9.9", srcTags: tags)
            records.append(LogRecord(eve: line, firewall: "fw-1") { _ in nil }!)
        }
        _ = auditor.observe(records)
        #expect(auditor.identities().count == 3)
        #expect(auditor.metrics().contains("rampart_manager_audit_profiles 3\n") && auditor.metrics().contains("rampart_manager_audit_profiles_refused_total 3\n"))
        let full = lines.all.filter { $0.contains("audit-profiles-full") }
        #expect(full.count == 1 && full[0].contains("\"limit\":3"), "one line when it fills: \(full)")
    }

    @Test func aProfileIsBoundedAndSaysSoOnce() {
        let lines = LogLines()
        var settings = Self.settings(learning: 0)
        settings.maxEntriesPerProfile = 4
        settings.scanPeers = 1000
        settings.scanPorts = 1000
        let auditor = RuntimeAuditor(settings: settings) { line in lines.append(line) }
        let records = (0 ..< 7).map { Self.flow($0, "10.244.1.1", "10.70.0.\($0)", port: 80, app: "http") }
        let audits = auditor.observe(records)
        let profile = auditor.profile(WorkloadProfile.Identity(cluster: "lab", namespace: "shop", name: "web"))!
        #expect(profile.connections.count == 4 && profile.dropped == 3)
        #expect(what(audits).filter { $0 == "profile-full" }.count == 1)
        #expect(!audits.contains { $0.rule == "new-destination" && $0.destination.ip == "10.70.0.5" }, "not learned, not audited one by one")
        #expect(lines.all.filter { $0.contains("audit-profile-full") }.count == 1)
        #expect(auditor.metrics().contains("rampart_manager_audit_entries_dropped_total 3\n"))
    }

    @Test func endsWithoutTagsAreNamedFromTheTagHistory() {
        let asked = LogLines()
        let auditor = RuntimeAuditor(settings: Self.settings(), history: { address, time in
            asked.append("\(address)@\(time)")
            return address == "10.244.9.9" ? ["cluster:lab", "ns:gone", "pod:gone/old-1", "workload:old"] : nil
        }, log: { _ in })
        let record = LogRecord(eve: eveFlow(time: Self.at(0), src: "10.244.9.9", dest: "10.244.2.1"), firewall: "fw-1") { Self.map[$0] }!
        _ = auditor.observe([record])
        #expect(auditor.identities().map(\.description) == ["lab/gone/old", "lab/shop/db"])
        let db = auditor.profile(WorkloadProfile.Identity(cluster: "lab", namespace: "shop", name: "db"))!
        #expect(db.peers[.inbound]?.keys.map(\.description) == ["workload:lab/gone/old"])
        #expect(asked.all == ["10.244.9.9@\(record.time)"], "asked once, for the untagged end, at the record's time")
    }

    @Test func aProfileBecomesAValidProposalAgainstTheCommittedPolicy() throws {
        let auditor = RuntimeAuditor(settings: Self.settings()) { _ in }
        _ = auditor.observe([
            Self.flow(0, "10.244.1.1", "10.244.2.1"), Self.flow(1, "10.244.1.1", "10.8.8.8", port: 443, app: "ssl"),
            Self.flow(2, "10.244.3.1", "10.244.1.1", port: 80, app: "http"), Self.flow(3, "10.244.1.1", "10.9.9.9", port: 22, app: "ssh", action: "deny"),
            Self.flow(4, "10.244.1.1", "10.244.2.1", port: 5432, app: "incomplete"),
        ])
        let web = auditor.profile(WorkloadProfile.Identity(cluster: "lab", namespace: "shop", name: "web"))!
        // Against no policy: a document of its own.
        let alone = PolicyProposal.make(profile: web, current: nil)
        #expect(alone.valid, "\(alone.errors)\n\(alone.text)")
        #expect(alone.rules == ["audit-lab-shop-web-from-other-cli", "audit-lab-shop-web-to-10.8.8.8", "audit-lab-shop-web-to-shop-db"], "\(alone.rules)")
        #expect(alone.text.contains("match: \"cluster:lab and ns:shop and workload:db\"") && !alone.text.contains("10.244.2.1"), "peers by tags, not addresses")
        #expect(!alone.text.contains("10.9.9.9"), "a denied connection is not proposed")
        #expect(alone.text.contains("applications: [any]\n"), "incomplete next to postgresql: any application on the port seen")
        // Against the sample policy: rules first in its rules, groups after its groups; a diff.
        let sample = try String(contentsOfFile: packageRoot.appendingPathComponent("Samples/policy.yaml").path, encoding: .utf8)
        let commit = PolicyCommit(id: 3, target: "all", time: 0, author: "ops", message: "m", source: "api", text: sample, diff: "", rules: 0)
        let proposal = PolicyProposal.make(profile: web, current: commit)
        #expect(proposal.valid, "\(proposal.errors)")
        #expect(proposal.base == 3 && proposal.diff.contains("--- commit 3") && proposal.diff.contains("+    - name: audit-lab-shop-web-to-shop-db"))
        #expect(!proposal.diff.contains("\n-"), "only additions")
        let check = try PolicyCheck.validate(proposal.text, file: "p.yaml")
        let before = try PolicyCheck.validate(sample, file: "s.yaml")
        #expect(check.rules == before.rules + 3)
        // Committed, the same profile proposes nothing new.
        let again = PolicyProposal.make(profile: web, current: PolicyCommit(id: 4, target: "all", time: 0, author: "ops", message: "m", source: "api",
                                                                            text: proposal.text, diff: "", rules: 0))
        #expect(again.rules.isEmpty && again.diff.isEmpty && again.valid)
    }
}
