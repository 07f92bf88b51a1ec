import Testing
@testable import RampartRules

@Suite("content and its modifiers")
struct ContentKeywordTests {
    func onlyContent(_ r: Rule, _ i: Int = 0, _ j: Int = 0) -> ContentMatch? { r.inspections[i].steps[j].content }

    @Test("hex bytes, escapes and negation")
    func bytesAndNegation() throws {
        let r = try #require(RuleFixture.rule(#"content:"GET |20 2F|a\;b\"c\\d\:e|0d0A|"; content:!"x"; sid:1;"#))
        let c = try #require(onlyContent(r))
        #expect(c.bytes == RuleFixture.bytes("GET  /a;b\"c\\d:e\r\n"))
        #expect(!c.negated)
        #expect(try #require(onlyContent(r, 0, 1)).negated)
    }

    @Test("nocase, offset, depth, distance, within, startswith, endswith, rawbytes land on the right content")
    func modifiers() throws {
        let r = try #require(RuleFixture.rule(#"content:"abc"; nocase; offset:2; depth:10; content:"def"; distance:-1; within:8; content:"g"; startswith; content:"h"; endswith; rawbytes; sid:1;"#))
        let s = r.inspections[0].steps.compactMap(\.content)
        #expect(s[0].nocase && s[0].offset == .literal(2) && s[0].depth == .literal(10))
        #expect(s[1].distance == .literal(-1) && s[1].within == .literal(8) && !s[1].nocase)
        #expect(s[2].startsWith && s[3].endsWith && s[3].rawBytes)
        #expect(r.inspections.count == 1 && r.inspections[0].buffer == .payload)
    }

    @Test("isdataat:!1,relative right after a content is endswith, as in Suricata")
    func isdataatEndsWith() throws {
        let r = try #require(RuleFixture.rule(#"content:"end"; isdataat:!1,relative; sid:1;"#))
        #expect(r.inspections[0].steps.count == 1)
        #expect(try #require(onlyContent(r)).endsWith)
    }

    @Test("fast_pattern, fast_pattern:only and fast_pattern:OFFSET,LENGTH")
    func fastPatternForms() throws {
        let a = try #require(RuleFixture.rule(#"content:"aaaa"; content:"bb"; fast_pattern; sid:1;"#))
        #expect(a.inspections[0].steps[1].content?.fastPattern == .chosen)
        #expect(a.fastPattern?.pattern == RuleFixture.bytes("bb") && a.fastPattern?.explicit == true)
        let b = try #require(RuleFixture.rule(#"content:"only"; fast_pattern:only; sid:1;"#))
        #expect(b.fastPattern?.isSufficient == true)
        let c = try #require(RuleFixture.rule(#"content:"0123456789"; fast_pattern:2,4; sid:1;"#))
        #expect(c.fastPattern?.pattern == RuleFixture.bytes("2345") && c.fastPattern?.isSufficient == false)
    }

    @Test("modifiers take byte_extract variables")
    func variables() throws {
        let r = try #require(RuleFixture.rule(#"content:"L"; byte_extract:2,0,len,relative; content:"x"; distance:0; within:len; sid:1;"#))
        #expect(r.byteVariables == ["len"])
        #expect(r.inspections[0].steps[2].content?.within == .variable(index: 0))
    }

    @Test("malformed or conflicting content is refused with the option's column and what was expected",
          arguments: [
            (#"content:"abc"; depth:2; sid:1;"#, "depth", "smaller than the content"),
            (#"content:"abc"; within:2; sid:1;"#, "within", "smaller than the content"),
            (#"content:"abc"; offset:1; distance:2; sid:1;"#, "distance", "cannot go with offset"),
            (#"content:"abc"; distance:1; depth:5; sid:1;"#, "depth", "cannot go with distance"),
            (#"nocase; content:"a"; sid:1;"#, "nocase", "needs a content before it"),
            (#"content:"a"; nocase; nocase; sid:1;"#, "nocase", "already has nocase"),
            (#"content:"|4G|"; sid:1;"#, "content", "not a hex digit"),
            (#"content:"|41"; sid:1;"#, "content", "not closed"),
            (#"content:"a\x"; sid:1;"#, "content", "not an escape"),
            (#"content:abc; sid:1;"#, "content", "must be double-quoted"),
            (#"content:"abc; sid:1;"#, "content", "does not close"),
            (#"content:"a"; fast_pattern; content:"b"; fast_pattern; sid:1;"#, "fast_pattern", "only one content"),
            (#"content:!"a"; fast_pattern:only; sid:1;"#, "fast_pattern", "negated"),
            (#"content:"abc"; fast_pattern:2,5; sid:1;"#, "fast_pattern", "runs past"),
            (#"content:"a"; fast_pattern:only; content:"b"; distance:0; sid:1;"#, "distance", "fast_pattern:only"),
            (#"content:"a"; within:len; sid:1;"#, "within", "neither a number nor a variable"),
            (#"content:"a"; offset:x1; sid:1;"#, "offset", "neither a number nor a variable"),
            (#"content:"a"; depth:70000; sid:1;"#, "depth", "out of range"),
          ])
    func malformed(_ options: String, _ keyword: String, _ expected: String) throws {
        let p = try #require(RuleFixture.problem(options))
        #expect(p.keyword == keyword, "\(p)")
        #expect(p.message.contains(expected), "\(p)")
        #expect(p.column > 30 && p.line == 7 && p.sid == 1)
    }

    @Test("the column points at the offending option")
    func column() throws {
        let options = #"msg:"x"; content:"abc"; depth:2; sid:1;"#
        let p = try #require(RuleFixture.problem(options))
        let prefix = RuleFixture.header + " ("
        #expect(p.column == prefix.count + 1 + options.distance(from: options.startIndex, to: options.firstRange(of: "depth")!.lowerBound))
        #expect(p.description.hasPrefix("test.rules:7:\(p.column): sid 1 depth: "))
    }
}

@Suite("sticky buffers, legacy content modifiers and transforms")
struct BufferTests {
    @Test("sticky buffers scope the keywords after them; pkt_data returns to the payload")
    func sticky() throws {
        let r = try #require(RuleFixture.rule(#"content:"p1"; http.uri; content:"/a"; nocase; http.host; content:"h.example"; pkt_data; content:"p2"; http.uri; content:"b"; distance:0; sid:1;"#))
        #expect(r.inspections.map(\.buffer) == [.payload, .httpURI, .httpHost])
        #expect(r.inspections[0].steps.compactMap(\.content).map(\.bytes) == [RuleFixture.bytes("p1"), RuleFixture.bytes("p2")])
        #expect(r.inspections[1].steps.compactMap(\.content).map(\.bytes) == [RuleFixture.bytes("/a"), RuleFixture.bytes("b")])
        #expect(r.inspections[1].steps[0].content?.nocase == true)
        #expect(r.application == .http && r.flow.side == .toServer && !r.flow.sideIsExplicit)
    }

    @Test("legacy modifiers move the payload's last content into their buffer, modifiers before and after apply")
    func legacyModifiers() throws {
        let r = try #require(RuleFixture.rule(#"content:"GET"; http_method; content:"/x"; nocase; http_uri; content:"y"; distance:0; http_uri; sid:1;"#))
        #expect(r.inspections.map(\.buffer) == [.httpMethod, .httpURI])
        let uri = r.inspections[1].steps.compactMap(\.content)
        #expect(uri.map(\.bytes) == [RuleFixture.bytes("/x"), RuleFixture.bytes("y")])
        #expect(uri[0].nocase && uri[1].distance == .literal(0))
    }

    @Test("every ET Open buffer keyword spelling maps to its buffer",
          arguments: [("http.uri", InspectionBuffer.httpURI), ("http.uri.raw", .httpURIRaw), ("http.method", .httpMethod),
                      ("http.request_body", .httpRequestBody), ("http.response_body", .httpResponseBody),
                      ("http.header", .httpHeader), ("http.cookie", .httpCookie), ("http.user_agent", .httpUserAgent),
                      ("http.stat_code", .httpStatCode), ("http.request_line", .httpRequestLine), ("http.start", .httpStart),
                      ("http.server", .httpServer), ("http.content_type", .httpContentType), ("http.referer", .httpReferer),
                      ("http.accept", .httpAccept), ("http.header_names", .httpHeaderNames), ("http.location", .httpLocation),
                      ("file.data", .fileData), ("file_data", .fileData), ("tls.sni", .tlsSNI), ("tls_sni", .tlsSNI),
                      ("tls.cert_subject", .tlsCertSubject), ("tls.cert_issuer", .tlsCertIssuer), ("tls.certs", .tlsCerts),
                      ("ja3.hash", .ja3Hash), ("ja3_hash", .ja3Hash), ("ja4.hash", .ja4Hash), ("dns.query", .dnsQuery),
                      ("dns_query", .dnsQuery), ("ssh_proto", .sshProto)])
    func spellings(_ keyword: String, _ buffer: InspectionBuffer) throws {
        let r = try #require(RuleFixture.rule("\(keyword); content:\"1a\"; sid:1;"))
        #expect(r.inspections.map(\.buffer) == [buffer])
    }

    @Test("uricontent is content moved to http.uri, as in Suricata 7")
    func uricontent() throws {
        let r = try #require(RuleFixture.rule(#"uricontent:"/cgi-bin/"; nocase; sid:1;"#))
        #expect(r.inspections.map(\.buffer) == [.httpURI] && r.inspections[0].steps[0].content?.nocase == true)
    }

    @Test("transforms belong to their sticky buffer; one after matches opens the transformed buffer")
    func transforms() throws {
        let r = try #require(RuleFixture.rule(#"dns.query; dotprefix; content:".evil.example"; endswith; sid:1;"#, header: "alert dns any any -> any any"))
        #expect(r.inspections[0].transforms == [.dotPrefix])
        let s = try #require(RuleFixture.rule(#"dns.query; content:"rs-"; startswith; dotprefix; content:".rustdesk.com"; sid:1;"#, header: "alert dns any any -> any any"))
        #expect(s.inspections.map(\.transforms) == [[], [.dotPrefix]])
        let x = try #require(RuleFixture.rule(#"http.uri; xor:"0d0a"; content:"a"; sid:1;"#))
        #expect(x.inspections[0].transforms == [.xor(key: [0x0D, 0x0A])])
    }

    @Test("bsize and urilen are checks on their buffer")
    func sizes() throws {
        let r = try #require(RuleFixture.rule(#"http.host; bsize:<20; content:"a.b"; urilen:5<>10,raw; sid:1;"#))
        #expect(r.inspections[0].steps[0] == .bufferSize(.less(20)))
        #expect(r.inspections[1].buffer == .httpURIRaw && r.inspections[1].steps[0] == .bufferSize(.between(5, 10)))
    }

    @Test("buffer misuse is refused, naming the keyword",
          arguments: [
            (#"http.uri; content:"a"; http_uri; sid:1;"#, "http_uri", "cannot follow a sticky buffer"),
            (#"http.uri; http.host; content:"a"; sid:1;"#, "http.host", "has no match keyword"),
            (#"http.uri; sid:1;"#, "http.uri", "has no match keyword"),
            (#"http.host; content:"Evil.com"; sid:1;"#, "http.host", "lower case"),
            (#"http.host; content:"evil.com"; nocase; sid:1;"#, "http.host", "nocase is refused"),
            (#"http.method; content:"GET "; sid:1;"#, "http.method", "space"),
            (#"http.uri; content:"a"; http.stat_code; content:"200"; sid:1;"#, "http.stat_code", "both directions"),
            (#"flow:to_client; http.uri; content:"a"; sid:1;"#, "flow", "conflicts"),
            (#"tls.sni; content:"a"; sid:1;"#, "tls.sni", "for tls, but the rule is for dns"),
            (#"dotprefix; content:"a"; sid:1;"#, "dotprefix", "needs a sticky buffer"),
            (#"dsize:10; http.uri; content:"a"; sid:1;"#, "dsize", "packet keyword"),
            (#"http.uri; bsize:2; content:"abc"; sid:1;"#, "http.uri", "can never match"),
            (#"bsize:2; sid:1;"#, "bsize", "needs a sticky buffer"),
            (#"strip_whitespace; sid:1;"#, "strip_whitespace", "needs a sticky buffer"),
            (#"http.uri; strip_whitespace; content:"a b"; sid:1;"#, "content", "whitespace"),
            (#"base64_data; content:"a"; sid:1;"#, "base64_data", "base64_decode"),
          ])
    func misuse(_ options: String, _ keyword: String, _ expected: String) throws {
        let header = options.hasPrefix("tls") ? "alert dns any any -> any any" : RuleFixture.header
        let p = try #require(RuleFixture.problem(options, header: header))
        #expect(p.keyword == keyword, "\(p)")
        #expect(p.message.contains(expected), "\(p)")
    }
}
