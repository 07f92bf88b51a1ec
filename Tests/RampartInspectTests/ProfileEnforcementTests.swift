import Foundation
import RampartInspect
import RampartPolicy
import RampartRules
import RampartWire
import Testing

/// Threat and file blocking profiles enforced inline by the engine (as the firewall runs it:
/// `detection.blocking`), over conversations built segment by segment; the same traffic
/// without the profile is the control.
@Suite("Profiles: threat and file blocking, inline")
struct ProfileEnforcementTests {
    static let reset = Verdict.reset(toClient: true, toServer: true)

    static func policy(profiles: String) -> String {
        """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: p}
        spec:
          threatProfiles:
            - name: strict
              severity: {critical: reset-both, high: reset-both, medium: alert, low: alert, informational: allow}
              exceptions: [{sid: 30, action: allow}, {sid: 31, action: drop}]
          fileBlockingProfiles:
            - name: no-executables
              fileTypes: [{types: [executable], direction: download, action: block}, {types: [text], direction: upload, action: alert}]
              verdicts: {malicious: block}
          rules:
            - name: web
              action: allow
              services: [tcp/80, tcp/25]
              profiles: [\(profiles)]
        """
    }

    static func conversation(profiles: String, rules: String? = nil, files: FileInspection? = FileInspection(),
                             blocking: Bool = true) throws -> FilesEngineTests.Conversation {
        var c = try FilesEngineTests.Conversation(files: files, rules: rules) { $0.detection.blocking = blocking }
        let document = try PolicyLoader.load(yaml: policy(profiles: profiles), file: "p.yaml")
        var sink = EngineRun.Collector()
        c.engine.replacePolicy(try PolicyMatcher(document, tags: []), rematch: true, sink: &sink)
        return c
    }

    static let rules = """
        alert http any any -> any any (msg:"high: priority 1"; flow:to_server; http.uri; content:"/high"; priority:1; sid:10;)
        alert http any any -> any any (msg:"medium: priority 2"; flow:to_server; http.uri; content:"/medium"; priority:2; sid:11;)
        drop http any any -> any any (msg:"low drop"; flow:to_server; http.uri; content:"/lowdrop"; priority:3; sid:12;)
        alert http any any -> any any (msg:"critical by ET metadata"; flow:to_server; http.uri; content:"/crit"; priority:3; metadata:signature_severity Critical; sid:13;)
        alert http any any -> any any (msg:"exception allow"; flow:to_server; http.uri; content:"/excepted"; priority:1; sid:30;)
        alert http any any -> any any (msg:"exception drop"; flow:to_server; http.uri; content:"/forced"; priority:4; sid:31;)
        """

    @Test("severities and exceptions decide each match's action; EVE alert action says what happened")
    func threatProfile() throws {
        let cases: [(uri: String, verdict: Verdict, sids: [UInt32], actions: [String], severity: String?)] = [
            ("/high", Self.reset, [10], ["blocked"], "high"),
            ("/medium", .forward, [11], ["allowed"], "medium"),
            ("/lowdrop", .forward, [12], ["allowed"], "low"),   // a drop rule the profile turns into an alert
            ("/crit", Self.reset, [13], ["blocked"], "critical"),
            ("/excepted", .forward, [], [], nil),                 // allowed by exception: no alert
            ("/forced", .drop, [31], ["blocked"], "informational"),
        ]
        for c in cases {
            var conversation = try Self.conversation(profiles: "strict", rules: Self.rules, files: nil)
            let verdict = conversation.client(Array("GET \(c.uri) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(verdict == c.verdict, "\(c.uri)")
            #expect(conversation.sink.alerts.map(\.signatureID) == c.sids, "\(c.uri)")
            #expect(conversation.sink.alerts.map(\.action) == c.actions, "\(c.uri)")
            #expect(conversation.sink.alerts.first?.threatSeverity == c.severity ?? conversation.sink.alerts.first?.threatSeverity)
            if !c.sids.isEmpty { #expect(conversation.sink.alerts.first?.threatProfile == "strict", "\(c.uri)") }
        }
    }

    @Test("without a threat profile a signature keeps its own action (drop blocks, alert passes)")
    func noProfile() throws {
        var drop = try Self.conversation(profiles: "no-executables", rules: Self.rules, files: nil)
        #expect(drop.client(Array("GET /lowdrop HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .drop)
        #expect(drop.sink.alerts.map(\.action) == ["blocked"])
        var alert = try Self.conversation(profiles: "no-executables", rules: Self.rules, files: nil)
        #expect(alert.client(Array("GET /high HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .forward)
        #expect(alert.sink.alerts.map(\.action) == ["allowed"])
        #expect(alert.sink.alerts.first?.threatProfile == nil)
    }

    @Test("not inline (rampart inspect), profiles are not applied: every rule alerts as Suricata's IDS would")
    func idsIgnoresProfiles() throws {
        var c = try Self.conversation(profiles: "strict", rules: Self.rules, files: nil, blocking: false)
        #expect(c.client(Array("GET /excepted HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .forward)
        #expect(c.sink.alerts.map(\.signatureID) == [30])
    }

    static func pe() throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: "/usr/share/clamav-testfiles/clam.exe") { return [UInt8](data) }
        // Without clamav-testfiles: a DOS header whose PE header follows at 0x40.
        var bytes = [UInt8](repeating: 0, count: 600)
        bytes[0] = 0x4D; bytes[1] = 0x5A; bytes[0x3C] = 0x40
        bytes[0x40] = 0x50; bytes[0x41] = 0x45
        return bytes
    }

    @Test("an executable download is blocked by type in the first body segment: none of its bytes pass")
    func executableByType() throws {
        let body = try Self.pe()
        let response = FilesEngineTests.response("Content-Length: \(body.count)\r\n", body)
        let headerLength = response.count - body.count
        for profiles in ["no-executables", "strict"] {
            var c = try Self.conversation(profiles: profiles)
            c.client("GET /setup.exe HTTP/1.1\r\nHost: x\r\n\r\n")
            // The header block alone, then the body in 100-byte segments.
            let verdicts = c.server(response, pieces: [headerLength] + Array(repeating: 100, count: body.count / 100 + 1))
            c.finish()
            if profiles == "no-executables" {
                #expect(verdicts.first == .forward)
                #expect(verdicts.dropFirst().allSatisfy { $0 == Self.reset }, "\(verdicts)")
                let f = try #require(c.sink.files.first)
                #expect(f.action == "blocked" && f.profile == "no-executables" && f.profileAction == "block" && f.type == "pe")
                #expect(f.state == "TRUNCATED")
            } else {
                #expect(verdicts.allSatisfy { $0 == .forward })
                #expect(c.sink.files.first?.action == "allowed")
            }
        }
    }

    @Test("EICAR (a hash-list hit) is blocked at its last segment; without the profile it passes")
    func maliciousByVerdict() throws {
        let list = try FileHashList.parse("\(FilesEngineTests.eicarSHA256)  eicar\n", file: "bad.sha256")
        let gz = try FilesEngineTests.gzip(FilesEngineTests.eicar)
        for profiles in ["no-executables", "strict"] {
            for body in [FilesEngineTests.eicar, gz] {
                var c = try Self.conversation(profiles: profiles, files: FileInspection(hashes: list))
                c.client("GET /eicar.com HTTP/1.1\r\nHost: x\r\n\r\n")
                let headers = body == gz ? "Content-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n" : "Content-Length: 68\r\n"
                let response = FilesEngineTests.response(headers, body)
                let verdicts = c.server(response, pieces: Array(repeating: 20, count: response.count / 20 + 1))
                c.finish()
                let f = try #require(c.sink.files.first)
                #expect(f.verdict == "malicious")
                if profiles == "no-executables" {
                    #expect(verdicts.dropLast().allSatisfy { $0 == .forward } && verdicts.last == Self.reset, "\(verdicts)")
                    #expect(f.action == "blocked" && f.profileAction == "block")
                } else {
                    #expect(verdicts.allSatisfy { $0 == .forward })
                    #expect(f.action == "allowed")
                }
            }
        }
    }

    @Test("a type entry's direction is respected: a text upload alerts, a text download is untouched")
    func direction() throws {
        var c = try Self.conversation(profiles: "no-executables")
        c.client(Array("POST /notes HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nhello\n".utf8))
        c.server(FilesEngineTests.response("Content-Length: 6\r\n", Array("world\n".utf8)))
        c.finish()
        #expect(c.sink.files.map(\.profileAction) == ["alert", nil])
        #expect(c.sink.files.map(\.action) == ["allowed", "allowed"])
    }

    @Test("severity mapping: ET's signature_severity first, else Suricata's priority")
    func severityMapping() throws {
        func severity(_ options: String) throws -> ThreatSeverity {
            var loader = RuleSetLoader()
            loader.add(text: "alert tcp any any -> any any (msg:\"x\"; \(options) sid:1;)", file: "t.rules")
            let (set, _) = loader.finish()
            return ThreatSeverity(signature: try #require(set.rules.first))
        }
        #expect(try severity("priority:1;") == .high)
        #expect(try severity("priority:2;") == .medium)
        #expect(try severity("priority:3;") == .low)
        #expect(try severity("priority:4;") == .informational)
        #expect(try severity("") == .low)
        #expect(try severity("metadata:signature_severity Critical;") == .critical)
        #expect(try severity("priority:1; metadata:signature_severity Major;") == .high)
        #expect(try severity("priority:1; metadata:signature_severity Minor;") == .medium)
        #expect(try severity("priority:1; metadata:signature_severity Informational;") == .informational)
    }
}
