import Foundation
import Testing
@testable import RampartRules

@Suite("fast pattern choice, as Suricata 7 makes it")
struct FastPatternTests {
    @Test("an app-layer buffer (priority 2) is preferred over the payload (3) and the method (4)")
    func bufferPriority() throws {
        let r = try #require(RuleFixture.rule(#"content:"a much longer payload pattern"; http.method; content:"POST"; http.uri; content:"/x"; sid:1;"#))
        #expect(r.fastPattern?.pattern == RuleFixture.bytes("/x") && r.fastPattern?.explicit == false)
        #expect(r.inspections[r.fastPattern!.inspection].buffer == .httpURI)
    }

    @Test("the longest content wins, then the strongest by PatternStrength, then the first")
    func longestThenStrongest() throws {
        let r = try #require(RuleFixture.rule(#"content:"ab"; content:"aaaa"; content:"|01 02 03 04|"; sid:1;"#))
        #expect(r.fastPattern?.pattern == [1, 2, 3, 4])  // 4 distinct non-letters beat "aaaa"
        #expect(FastPatternSelection.patternStrength(RuleFixture.bytes("aaaa")) == 6)
        #expect(FastPatternSelection.patternStrength([1, 2, 3, 4]) == 22)  // 0x01 scores 4, the others 6
    }

    @Test("negated contents are used only when there is no other; relative neighbours make a second look necessary")
    func negatedAndSufficiency() throws {
        let r = try #require(RuleFixture.rule(#"content:!"nope"; content:"yes"; sid:1;"#))
        #expect(r.fastPattern?.pattern == RuleFixture.bytes("yes") && r.fastPattern?.isSufficient == true)
        let n = try #require(RuleFixture.rule(#"content:!"nope"; sid:1;"#))
        #expect(n.fastPattern?.pattern == RuleFixture.bytes("nope") && n.fastPattern?.isSufficient == false)
        let rel = try #require(RuleFixture.rule(#"content:"abc"; content:"d"; distance:0; sid:1;"#))
        #expect(rel.fastPattern?.pattern == RuleFixture.bytes("abc") && rel.fastPattern?.isSufficient == false)
        let none = try #require(RuleFixture.rule(#"dsize:0; sid:1;"#))
        #expect(none.fastPattern == nil)
    }
}

@Suite("loading rule files")
struct RuleSetLoaderTests {
    @Test("lines: comments counted as commented out, continuations joined, line numbers kept")
    func lines() {
        let text = """
        # a comment
        #alert tcp any any -> any any (sid:9;)
        alert tcp any any -> any any (msg:"a"; \\
          content:"x"; sid:1;)

        alert tcp any any -> any any (msg:"b"; sid:2; bogus;)
        """
        var loader = RuleSetLoader()
        loader.add(text: text, file: "a.rules")
        let (set, report) = loader.finish()
        #expect(report.enabled == 2 && report.commentedOut == 1 && report.loaded == 1)
        #expect(set.rules.first?.location == RuleLocation(file: "a.rules", line: 3))
        #expect(report.refused.map { "\($0.file):\($0.line) \($0.reason)" } == ["a.rules:6 unknown keyword bogus"])
        #expect(report.reasons.first?.reason == "unknown keyword bogus")
    }

    @Test("a duplicate gid:sid keeps the higher rev and refuses the other")
    func duplicates() {
        var loader = RuleSetLoader()
        loader.add(text: "alert tcp any any -> any any (sid:5; rev:1;)\nalert tcp any any -> any any (sid:5; rev:3;)\n", file: "d.rules")
        let (set, report) = loader.finish()
        #expect(set.rules.map(\.rev) == [3])
        #expect(report.refused.count == 1 && report.refused[0].line == 1 && report.refused[0].reason == "conflict sid")
    }

    @Test("variables resolve at load; an undefined one is refused with its name")
    func variablesAtLoad() throws {
        var loader = RuleSetLoader()
        loader.add(text: "alert tcp $HOME_NET any -> $NOWHERE any (sid:1;)\nalert tcp $HOME_NET any -> any $HTTP_PORTS (sid:2;)\n", file: "v.rules")
        let (set, report) = loader.finish()
        #expect(report.refused.first?.reason == "missing $NOWHERE")
        let r = try #require(set.rules.first)
        #expect(r.resolved.destinationPorts == PortSet(ranges: [80...80]))
        #expect(!r.resolved.source.isAny && r.resolved.destination.isAny)
    }

    @Test("a file that is not UTF-8 refuses the rules holding bad bytes and loads the rest")
    func badUTF8() {
        var bytes = Array("alert tcp any any -> any any (sid:1;)\nalert tcp any any -> any any (msg:\"".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array("\"; sid:2;)\n".utf8)
        var loader = RuleSetLoader()
        loader.add(bytes: bytes, file: "b.rules")
        let (_, report) = loader.finish()
        #expect(report.loaded == 1 && report.refused.first?.sid == 2 && report.refused.first?.message.contains("UTF-8") == true)
    }

    @Test("classification.config lines are checked")
    func classification() {
        guard case .failure(let p) = ClassificationConfig.parse("config classification: a,b\n", file: "c.config") else {
            Issue.record("accepted a line with two fields"); return
        }
        #expect(p.line == 1 && p.message.contains("three"))
    }

    @Test("the parser never traps: seeded mutations of valid rules are parsed or refused")
    func mutations() {
        let seeds = [
            #"alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:"m"; flow:established,to_server; http.method; content:"POST"; http.uri; content:"/a|2e|php"; fast_pattern; pcre:"/\/a\.php\?id=[0-9]+$/U"; byte_test:1,>,3,0,relative; threshold:type limit, track by_src, count 1, seconds 60; classtype:trojan-activity; sid:1; rev:2;)"#,
            #"alert dns any any -> any any (dns.query; dotprefix; content:".x.example"; endswith; bsize:<40; xbits:set,a,track ip_src,expire 5; sid:2;)"#,
            #"alert tcp [10.0.0.0/8,!10.1.0.0/16] [1:1024,!80] <> any any (content:"|00 01|"; depth:4; byte_extract:2,0,len; content:"x"; distance:len; isdataat:!1,relative; sid:3;)"#,
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state & 0x7FFF_FFFF)
        }
        let alphabet = Array(#" ;:,"|\!$[]()-<>/0123456789abcdefxyzAZ"#.utf8)
        var parsed = 0, refused = 0
        for _ in 0..<3000 {
            var b = Array(seeds[next() % seeds.count].utf8)
            for _ in 0..<(1 + next() % 4) {
                let i = next() % b.count
                switch next() % 3 {
                case 0: b[i] = alphabet[next() % alphabet.count]
                case 1: b.remove(at: i)
                default: b.insert(alphabet[next() % alphabet.count], at: i)
                }
                if b.isEmpty { b = [0x61] }
            }
            switch RuleParser.parse(String(decoding: b, as: UTF8.self), location: RuleLocation(file: "m", line: 1)) {
            case .success: parsed += 1
            case .failure(let p):
                refused += 1
                #expect(!p.message.isEmpty && p.file == "m")
            }
        }
        #expect(parsed + refused == 3000 && parsed > 0 && refused > 0)
    }
}

@Suite("ET Open 2024-04 (from ../shared/data)")
struct ETOpenLoadTests {
    @Test("at least 95 % of ET Open's enabled rules load, and every refused rule has a file, line, sid and reason")
    func etOpen() throws {
        let folder = RuleFixture.etOpenRules.path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".rules") }.sorted() ?? []
        guard !names.isEmpty else {
            print("skipped: ET Open is not at \(folder) (see /work/shared/data/README.md)")
            return
        }
        let config = try ClassificationConfig.parse(String(contentsOfFile: folder + "/classification.config", encoding: .utf8),
                                                    file: "classification.config").get()
        var loader = RuleSetLoader(classifications: config)
        for n in names {
            loader.add(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + n))), file: n)
        }
        let (set, report) = loader.finish()
        #expect(report.enabled == 24_827, "the snapshot holds 24,827 enabled rules")
        #expect(report.loaded + report.refused.count == report.enabled)
        #expect(report.shareLoaded >= 0.95, "loaded \(report.loaded) of \(report.enabled)")
        for p in report.refused {
            #expect(!p.file.isEmpty && p.line > 0 && p.sid != nil && p.keyword != nil && !p.message.isEmpty, "\(p)")
        }
        #expect(report.unknownClasstypes.isEmpty)
        // Spot checks of what the matcher will run.
        let bySID = Dictionary(set.rules.map { ($0.sid, $0) }, uniquingKeysWith: { a, _ in a })
        let withPattern = set.rules.filter { $0.fastPattern != nil }.count
        #expect(Double(withPattern) / Double(set.rules.count) > 0.9)
        #expect(bySID.values.allSatisfy { $0.classification != nil && !$0.message.isEmpty })
    }
}
