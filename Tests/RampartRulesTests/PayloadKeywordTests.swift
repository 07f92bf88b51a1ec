import Testing
@testable import RampartRules

@Suite("pcre, byte_test, byte_jump, byte_extract, byte_math, isdataat, base64")
struct PayloadKeywordTests {
    @Test("pcre flags, negation and relative")
    func pcreFlags() throws {
        let r = try #require(RuleFixture.rule(#"content:"a"; pcre:!"/^b(c|d)\x41/smixAEGRO"; sid:1;"#))
        guard case .pcre(let p) = r.inspections[0].steps[1] else { Issue.record("no pcre step"); return }
        #expect(p.expression == #"^b(c|d)\x41"# && p.negated)
        #expect(p.dotAll && p.multiline && p.caseless && p.extended && p.anchored && p.dollarEndOnly && p.ungreedy && p.relative && p.overrideMatchLimits)
    }

    @Test("pcre buffer flags put the expression on their buffer",
          arguments: [("U", InspectionBuffer.httpURI), ("I", .httpURIRaw), ("H", .httpHeader), ("D", .httpHeaderRaw),
                      ("M", .httpMethod), ("C", .httpCookie), ("P", .httpRequestBody), ("Q", .fileData),
                      ("S", .httpStatCode), ("Y", .httpStatMessage), ("V", .httpUserAgent), ("W", .httpHost), ("Z", .httpHostRaw)])
    func bufferFlags(_ flag: String, _ buffer: InspectionBuffer) throws {
        let r = try #require(RuleFixture.rule("pcre:\"/x/\(flag)\"; sid:1;"))
        #expect(r.inspections.map(\.buffer) == [buffer])
        #expect(r.application == .http1)  // Suricata sets HTTP/1 for every pcre buffer flag
    }

    @Test("a pcre inside a sticky buffer stays there; quotes are optional")
    func pcreInSticky() throws {
        let r = try #require(RuleFixture.rule(#"http.uri; content:"/a"; pcre:/\/b$/R; sid:1;"#))
        #expect(r.inspections.count == 1 && r.inspections[0].steps.count == 2)
    }

    @Test("malformed pcre is refused with what was expected",
          arguments: [
            (#"pcre:"/(unclosed/"; sid:1;"#, RuleProblem.Kind.regex, "missing closing parenthesis"),
            (#"pcre:"/a/K"; sid:1;"#, .invalidValue, "unknown flag 'K'"),
            (#"pcre:"/a/UH"; sid:1;"#, .conflict, "only one buffer flag"),
            (#"pcre:"/Evil/W"; sid:1;"#, .conflict, "lower case"),
            (#"pcre:"/a/R"; sid:1;"#, .conflict, "needs a content or pcre before it"),
            (#"http.uri; content:"a"; pcre:"/a/H"; sid:1;"#, .conflict, "inside the sticky buffer"),
            (#"pcre:"abc"; sid:1;"#, .invalidValue, "/EXPRESSION/FLAGS"),
          ])
    func malformedPCRE(_ options: String, _ kind: RuleProblem.Kind, _ expected: String) throws {
        let p = try #require(RuleFixture.problem(options))
        #expect(p.kind == kind && p.keyword == "pcre", "\(p)")
        #expect(p.message.contains(expected), "\(p)")
    }

    @Test("byte_test, byte_jump, byte_extract and byte_math with variables used later")
    func byteKeywords() throws {
        let r = try #require(RuleFixture.rule(#"content:"|00|"; byte_extract:2,1,size,relative,little,multiplier 2,align 4; byte_test:4,!&,0x80,size,relative,big,bitmask 0xff00; byte_jump:size,0,relative,string,hex,from_beginning,post_offset -2,multiplier 3; byte_math:bytes 2, offset 0, oper <<, rvalue size, result shifted, relative, endian little; isdataat:shifted,relative; sid:1;"#))
        let steps = r.inspections[0].steps
        #expect(r.byteVariables == ["size", "shifted"])
        guard case .byteExtract(let e) = steps[1], case .byteTest(let t) = steps[2], case .byteJump(let j) = steps[3],
              case .byteMath(let m) = steps[4], case .isDataAt(let d) = steps[5] else { Issue.record("steps \(steps)"); return }
        #expect(e.reading.count == .literal(2) && e.offset == 1 && e.variable == 0 && e.relative && e.reading.endian == .little && e.multiplier == 2 && e.align == 4)
        #expect(t.op == .bitwiseAnd && t.negated && t.value == .literal(0x80) && t.offset == .variable(index: 0) && t.bitmask == 0xFF00)
        #expect(j.reading.count == .variable(index: 0) && j.reading.stringBase == .hexadecimal && j.origin == .beginning && j.postOffset == -2 && j.multiplier == 3)
        #expect(m.op == .shiftLeft && m.rvalue == .variable(index: 0) && m.variable == 1 && m.reading.endian == .little)
        #expect(d.position == .variable(index: 1) && d.relative && !d.negated)
    }

    @Test("relative byte keywords without a sticky buffer follow the last match's buffer")
    func relativePlacement() throws {
        let r = try #require(RuleFixture.rule(#"content:"x"; http_client_body; byte_test:1,>,5,0,relative; byte_test:1,>,5,0; sid:1;"#))
        #expect(r.inspections.map(\.buffer) == [.payload, .httpRequestBody])
        #expect(r.inspections[0].steps.count == 1 && r.inspections[1].steps.count == 2)
    }

    @Test("base64_decode then base64_data")
    func base64() throws {
        let r = try #require(RuleFixture.rule(#"http.uri; content:"q="; base64_decode:bytes 30, offset 0, relative; base64_data; content:"cmd"; sid:1;"#))
        #expect(r.inspections.map(\.buffer) == [.httpURI, .base64Data])
        #expect(r.inspections[0].steps[1] == .base64Decode(Base64Decode(bytes: 30, offset: 0, relative: true)))
    }

    @Test("malformed byte keywords are refused",
          arguments: [
            (#"byte_test:9,=,1,0; sid:1;"#, "byte_test", "up to 8 bytes"),
            (#"byte_test:2,~,1,0; sid:1;"#, "byte_test", "unknown operator"),
            (#"byte_test:2,=,1; sid:1;"#, "byte_test", "COUNT,[!]OPERATOR,VALUE,OFFSET"),
            (#"byte_test:2,=,1,0,hex; sid:1;"#, "byte_test", "needs 'string'"),
            (#"byte_jump:2,0,from_end,from_beginning; sid:1;"#, "byte_jump", "cannot go together"),
            (#"byte_jump:2,0,wobble; sid:1;"#, "byte_jump", "unknown option"),
            (#"byte_extract:2,0,9bad; sid:1;"#, "byte_extract", "not a variable name"),
            (#"byte_extract:2,0,v,align 3; sid:1;"#, "byte_extract", "align must be 2 or 4"),
            (#"byte_math:bytes 2, offset 0, oper %, rvalue 1, result r; sid:1;"#, "byte_math", "unknown oper"),
            (#"byte_math:bytes 2, offset 0; sid:1;"#, "byte_math", "needs bytes, offset, oper, rvalue and result"),
            // Found by Fuzz/rules: an empty option between commas trapped.
            (#"byte_math:bytes 2, , offset 0, oper +, rvalue 1, result r; sid:1;"#, "byte_math", "empty option"),
            (#"base64_decode:bytes 3, ,relative; sid:1;"#, "base64_decode", "unknown option"),
            (#"isdataat:x; sid:1;"#, "isdataat", "neither a number nor a variable"),
            (#"base64_decode:bytes x; sid:1;"#, "base64_decode", "expected a number"),
          ])
    func malformedByteKeywords(_ options: String, _ keyword: String, _ expected: String) throws {
        let p = try #require(RuleFixture.problem(options))
        #expect(p.keyword == keyword, "\(p)")
        #expect(p.message.contains(expected), "\(p)")
    }
}
