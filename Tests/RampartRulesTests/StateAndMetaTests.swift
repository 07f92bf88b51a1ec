import Testing
@testable import RampartRules

@Suite("flow, flowbits, xbits, flowint, thresholds and the rule's meta")
struct StateAndMetaTests {
    @Test("flow options")
    func flow() throws {
        let r = try #require(RuleFixture.rule(#"flow:established,from_server,only_stream; sid:1;"#))
        #expect(r.flow.state == .established && r.flow.side == .toClient && r.flow.sideIsExplicit && r.flow.stream == .onlyStream)
        let s = try #require(RuleFixture.rule(#"flow:stateless,to_server,no_frag; sid:1;"#))
        #expect(s.flow.state == .stateless && s.flow.side == .toServer && s.flow.fragment == .noFragmented)
    }

    @Test("flowbits, xbits, flowint and noalert")
    func state() throws {
        let r = try #require(RuleFixture.rule(#"flowbits:isset,a|b; flowbits:set,c; flowbits:noalert; xbits:set,x.y,track ip_pair,expire 15; flowint:count,+,1; flowint:count,>,3; sid:1;"#))
        #expect(r.state == [
            .flowbit(FlowbitOperation(command: .isSet, names: ["a", "b"])),
            .flowbit(FlowbitOperation(command: .set, names: ["c"])),
            .xbit(XbitOperation(command: .set, name: "x.y", track: .pair, expireSeconds: 15)),
            .flowint(FlowintOperation(name: "count", op: .add, value: .number(1))),
            .flowint(FlowintOperation(name: "count", op: .greater, value: .number(3))),
        ])
        #expect(r.noAlert)
        #expect(r.state.map(\.isCondition) == [true, false, false, false, true])
    }

    @Test("threshold, detection_filter and tag")
    func thresholds() throws {
        let r = try #require(RuleFixture.rule(#"threshold: type both, count 1, seconds 600, track by_src; tag:session,5,packets; sid:1;"#))
        #expect(r.threshold == Threshold(kind: .both, track: .bySource, count: 1, seconds: 600))
        #expect(r.tags == [SessionTag(scope: .session, count: 5, metric: .packets)])
        let d = try #require(RuleFixture.rule(#"detection_filter:track by_dst, count 4, seconds 20; sid:1;"#))
        #expect(d.detectionFilter == DetectionFilter(track: .byDestination, count: 4, seconds: 20))
    }

    @Test("packet conditions")
    func packetConditions() throws {
        let r = try #require(RuleFixture.rule(#"dsize:9<>18; itype:8; icode:0; flags:S,12; ip_proto:41; stream_size:server,<,5; ttl:<10; window:!1024; sid:1;"#))
        #expect(r.conditions == [
            .dsize(.between(9, 18)), .icmpType(.equal(8)), .icmpCode(.equal(0)),
            .tcpFlags(TCPFlagsCondition(mode: .exactly, flags: 0x02, ignored: 0xC0)), .ipProtocol(.equal(41)),
            .streamSize(side: "server", condition: .less(5)), .ttl(.less(10)), .tcpWindow(negated: true, 1024),
        ])
        #expect(NumericCondition.between(9, 18).matches(10) && !NumericCondition.between(9, 18).matches(9))
    }

    @Test("meta: msg escapes, sid, rev, gid, classtype with its priority, priority wins, reference, metadata, target")
    func meta() throws {
        let config = try ClassificationConfig.parse("# c\nconfig classification: trojan-activity,A Network Trojan was detected, 1\n", file: "c").get()
        let r = try RuleFixture.parse(#"msg:"ET \"quoted\" \; semi"; reference:url,example.com/a?b=c; reference:cve,2021-44228; classtype:trojan-activity; metadata:created_at 2024_01_01, signature_severity Major; target:dest_ip; sid:2000001; rev:7; gid:1;"#, classifications: config).get()
        #expect(r.message == #"ET "quoted" ; semi"#)
        #expect(r.sid == 2_000_001 && r.rev == 7 && r.gid == 1)
        #expect(r.classification?.description == "A Network Trojan was detected" && r.priority == 1)
        #expect(r.references == [RuleReference(type: "url", value: "example.com/a?b=c"), RuleReference(type: "cve", value: "2021-44228")])
        #expect(r.metadata == [RuleMetadata(key: "created_at", value: "2024_01_01"), RuleMetadata(key: "signature_severity", value: "Major")])
        #expect(r.target == .destination)
        let p = try RuleFixture.parse(#"priority:2; classtype:trojan-activity; sid:1;"#, classifications: config).get()
        #expect(p.priority == 2)
        let u = try RuleFixture.parse(#"classtype:no-such-class; sid:1;"#, classifications: config).get()
        #expect(u.priority == 3 && u.classification?.description == "Unknown Classtype")
    }

    @Test("malformed state, threshold and meta keywords are refused",
          arguments: [
            (#"flow:to_server,to_client; sid:1;"#, "flow", "conflicts"),
            (#"flow:established; flow:to_server; sid:1;"#, "flow", "only one flow"),
            (#"flow:sideways; sid:1;"#, "flow", "unknown option"),
            (#"flowbits:sett,a; sid:1;"#, "flowbits", "unknown command"),
            (#"flowbits:set; sid:1;"#, "flowbits", "needs a name"),
            (#"flowbits:,; sid:1;"#, "flowbits", "unknown command"),
            (#"xbits:set,a,track host; sid:1;"#, "xbits", "track ip_src"),
            (#"threshold:type limit, track by_src, count 1; sid:1;"#, "threshold", "seconds"),
            (#"threshold:type sometimes, track by_src, count 1, seconds 2; sid:1;"#, "threshold", "type limit"),
            (#"threshold:type limit, track by_src, count 1, seconds 2; detection_filter:track by_src, count 1, seconds 2; sid:1;"#, "detection_filter", "cannot go together"),
            (#"dsize:>65535; sid:1;"#, "dsize", "can never match"),
            (#"dsize:10<>11; sid:1;"#, "dsize", "strictly between"),
            (#"dsize:3; content:"abcd"; sid:1;"#, "dsize", "can never match"),
            (#"dsize:<7; content:"abcd"; content:"efgh"; distance:0; sid:1;"#, "dsize", "need 8 bytes"),
            (#"dsize:6; content:"ab"; offset:5; sid:1;"#, "dsize", "need 7 bytes"),
            (#"flags:SX; sid:1;"#, "flags", "not a TCP flag"),
            (#"msg:unquoted; sid:1;"#, "msg", "double-quoted"),
            (#"sid:0;"#, "sid", "out of range"),
            (#"sid:1; sid:2;"#, "sid", "only one sid"),
            (#"msg:"no sid";"#, "sid", "no sid"),
            (#"priority:0; sid:1;"#, "priority", "out of range"),
            (#"reference:nocomma; sid:1;"#, "reference", "TYPE,ID"),
            (#"target:both; sid:1;"#, "target", "src_ip or dest_ip"),
            (#"classtype:9bad; sid:1;"#, "classtype", "not a classtype name"),
            (#"asn1:oversize_length 10; sid:1;"#, "asn1", "not implemented"),
            (#"contnet:"a"; sid:1;"#, "contnet", "not a Suricata 7 keyword"),
            (#"nocase:1; content:"a"; sid:1;"#, "nocase", "takes no value"),
            (#"content:"a" sid:1;"#, "content", "does not close"),
          ])
    func malformed(_ options: String, _ keyword: String, _ expected: String) throws {
        let p = try #require(RuleFixture.problem(options))
        #expect(p.keyword == keyword, "\(p)")
        #expect(p.message.contains(expected), "\(p)")
        #expect(p.file == "test.rules" && p.line == 7)
    }

    @Test("text that is not a rule is refused with what was expected",
          arguments: [
            ("alert tcp any any -> any any", "expected '('"),
            ("alert tcp any any -> any any (sid:1", "expected ')'"),
            ("alert tcp any any -> any any (sid:1)", "expected ';'"),
            ("alert tcp any any", "expected the direction"),
            ("alert tcp any any -> any any (sid:1;\u{01})", "control character"),
            ("alert tcp any any -> any any (:x; sid:1;)", "expected a keyword"),
          ])
    func notARule(_ text: String, _ expected: String) {
        guard case .failure(let p) = RuleParser.parse(text, location: RuleLocation(file: "f", line: 3)) else {
            Issue.record("accepted: \(text)"); return
        }
        #expect(p.message.contains(expected), "\(p)")
        #expect(p.line == 3)
    }
}
