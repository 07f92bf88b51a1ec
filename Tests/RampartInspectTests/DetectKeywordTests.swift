@testable import RampartInspect
import RampartRules
import Testing

/// Each keyword's evaluation against Suricata 7's documented behaviour (docs.suricata.io,
/// "Payload Keywords"; `DetectEngineContentInspection` for windows and backtracking),
/// one rule over one buffer at a time.
@Suite("Detection: keyword semantics")
struct DetectKeywordTests {
    /// Whether a rule with `options` matches `buffer` (every inspection over it, in the
    /// buffer its sticky keyword names).
    static func matches(_ options: String, _ buffer: [UInt8], proto: String = "tcp") throws -> Bool {
        let set = try EngineRun.compile("alert \(proto) any any -> any any (msg:\"t\"; \(options) sid:1;)")
        let scratch = DetectionScratch(set: set, windowCapacity: 64)
        let r = set.rules[0]
        return buffer.withUnsafeBytes { b in
            scratch.beginInspection()
            for insp in r.rule.inspections where insp.buffer != .base64Data { scratch.setSource(insp.buffer, b) }
            for (i, insp) in r.rule.inspections.enumerated() {
                guard let bytes = scratch.bytes(of: r.variants[i]) else { return false }
                var e = InspectionEvaluator(steps: insp.steps, programs: r.programs[i], buffer: bytes, set: set,
                                            matchData: scratch.matchData, variables: scratch.variables, budget: 3000,
                                            scratch: scratch)
                if e.run() == nil { return false }
            }
            return true
        }
    }

    static func matches(_ options: String, _ text: String, proto: String = "tcp") throws -> Bool {
        try matches(options, Array(text.utf8), proto: proto)
    }

    @Test("content: anywhere, case-sensitive unless nocase; hex bytes are literal")
    func content() throws {
        #expect(try Self.matches(#"content:"evil";"#, "an evil payload"))
        #expect(try !Self.matches(#"content:"evil";"#, "an EVIL payload"))
        #expect(try Self.matches(#"content:"evil"; nocase;"#, "an EVIL payload"))
        #expect(try Self.matches(#"content:"|00 01|x|7c|";"#, [0x41, 0x00, 0x01, 0x78, 0x7C]))
        #expect(try !Self.matches(#"content:"|00 01|x|7c|";"#, [0x00, 0x01, 0x78]))
    }

    @Test("offset and depth bound the search from the buffer's start (depth counts from offset)")
    func offsetDepth() throws {
        #expect(try Self.matches(#"content:"abc"; offset:2; depth:3;"#, "xxabc"))
        #expect(try !Self.matches(#"content:"abc"; offset:2; depth:3;"#, "xxxabc"))
        #expect(try !Self.matches(#"content:"abc"; offset:3;"#, "xxabc"))
        #expect(try Self.matches(#"content:"abc"; depth:3;"#, "abcdef"))
        #expect(try !Self.matches(#"content:"abc"; depth:3;"#, "xabc"))
    }

    @Test("distance and within place a content after the previous match; a failure retries the previous content's next occurrence")
    func relative() throws {
        #expect(try Self.matches(#"content:"a"; content:"b"; distance:1; within:1;"#, "a1b"))
        #expect(try !Self.matches(#"content:"a"; content:"b"; distance:1; within:1;"#, "ab"))
        // Backtracking: the first "a" is followed by "a", the second by "b".
        #expect(try Self.matches(#"content:"a"; content:"b"; distance:1; within:1;"#, "a1a2b"))
        // A negative distance looks back.
        #expect(try Self.matches(#"content:"bc"; content:"ab"; distance:-3; within:2;"#, "xabcx"))
        #expect(try Self.matches(#"content:"GET"; content:"/x"; distance:0;"#, "GET /x"))
        #expect(try !Self.matches(#"content:"/x"; content:"GET"; distance:0;"#, "GET /x"))
    }

    @Test("negated content: the pattern must be absent from its window")
    func negation() throws {
        #expect(try Self.matches(#"content:"login"; content:!"admin";"#, "login user"))
        #expect(try !Self.matches(#"content:"login"; content:!"admin";"#, "login admin"))
        #expect(try Self.matches(#"content:"login"; content:!"admin"; distance:0; within:6;"#, "login xxxxxxxadmin"))
    }

    @Test("startswith and endswith anchor the content to the buffer's ends")
    func anchors() throws {
        #expect(try Self.matches(#"content:"GET /"; startswith;"#, "GET /index"))
        #expect(try !Self.matches(#"content:"GET /"; startswith;"#, " GET /index"))
        #expect(try Self.matches(#"content:".exe"; endswith;"#, "setup.exe"))
        #expect(try !Self.matches(#"content:".exe"; endswith;"#, "setup.exe.txt"))
        #expect(try Self.matches(#"content:"setup"; content:".exe"; distance:0; isdataat:!1,relative;"#, "setup.exe"))
    }

    @Test("isdataat: absolute N needs a byte at N; relative N needs N more bytes after the match")
    func isDataAt() throws {
        #expect(try Self.matches(#"content:"1"; isdataat:5;"#, "123456"))
        #expect(try !Self.matches(#"content:"1"; isdataat:5;"#, "12345"))
        #expect(try Self.matches(#"content:"ab"; isdataat:2,relative;"#, "ab12"))
        #expect(try !Self.matches(#"content:"ab"; isdataat:2,relative;"#, "ab1"))
        #expect(try Self.matches(#"content:"ab"; isdataat:!3,relative;"#, "ab12"))
    }

    @Test("pcre: PCRE2 semantics, R continues from the previous match (^ anchors there), ! negates")
    func pcre() throws {
        #expect(try Self.matches(#"pcre:"/^ab+c/";"#, "abbbc"))
        #expect(try !Self.matches(#"pcre:"/^ab+c/";"#, "xabbbc"))
        #expect(try Self.matches(#"pcre:"/select.+from/i";"#, "SELECT * FROM t"))
        #expect(try Self.matches(#"content:"x"; pcre:"/^y/R";"#, "xy"))
        #expect(try !Self.matches(#"content:"x"; pcre:"/^y/R";"#, "x y"))
        #expect(try Self.matches(#"content:"user="; pcre:!"/^admin/R";"#, "user=bob"))
        #expect(try !Self.matches(#"content:"user="; pcre:!"/^admin/R";"#, "user=admin"))
    }

    @Test("byte_test: binary big and little endian, text numbers, bitmask, relative")
    func byteTest() throws {
        #expect(try Self.matches("content:\"|01|\"; byte_test:2,>,256,0;", [0x01, 0x02]))
        #expect(try !Self.matches("content:\"|01|\"; byte_test:2,>,256,0;", [0x01, 0x00]))
        #expect(try Self.matches("content:\"|01|\"; byte_test:2,=,0x0201,0,little;", [0x01, 0x02]))
        #expect(try Self.matches("content:\"1\"; byte_test:3,=,123,0,string,dec;", "123abc"))
        #expect(try Self.matches("content:\"x\"; byte_test:2,=,0x1f,0,relative,string,hex;", "x1f"))
        #expect(try Self.matches("content:\"|1f|\"; byte_test:1,=,1,0,bitmask 0xF0;", [0x1F]))
        #expect(try Self.matches("content:\"|ff|\"; byte_test:1,&,0x80,0;", [0xFF]))
        #expect(try Self.matches("content:\"|7f|\"; byte_test:1,!&,0x80,0;", [0x7F]))
        // Not enough bytes: no match.
        #expect(try !Self.matches("content:\"|01|\"; byte_test:4,>,0,0;", [0x01, 0x02]))
    }

    @Test("byte_jump moves the cursor by the value read (multiplier, post_offset, from_beginning)")
    func byteJump() throws {
        #expect(try Self.matches(#"content:"|02|"; byte_jump:1,0; content:"Z"; distance:0; within:1;"#, [0x02, 0x61, 0x62, 0x5A]))
        #expect(try !Self.matches(#"content:"|01|"; byte_jump:1,0; content:"Z"; distance:0; within:1;"#, [0x01, 0x61, 0x62, 0x5A]))
        #expect(try Self.matches(#"content:"|01|"; byte_jump:1,0,multiplier 2; content:"Z"; distance:0; within:1;"#, [0x01, 0x61, 0x62, 0x5A]))
        #expect(try Self.matches(#"content:"|01|"; byte_jump:1,0,post_offset 1; content:"Z"; distance:0; within:1;"#, [0x01, 0x61, 0x62, 0x5A]))
        #expect(try Self.matches(#"content:"|03|"; byte_jump:1,0,from_beginning; content:"Z"; distance:0; within:1;"#, [0x03, 0x61, 0x62, 0x5A]))
        // A jump past the buffer fails.
        #expect(try !Self.matches(#"content:"|09|"; byte_jump:1,0;"#, [0x09, 0x61]))
    }

    @Test("byte_extract stores a value later keywords use as offset, depth, distance or a byte_test operand")
    func byteExtract() throws {
        #expect(try Self.matches(#"content:"|03|"; byte_extract:1,0,len; content:"abc"; offset:1; depth:len;"#, [0x03, 0x61, 0x62, 0x63]))
        #expect(try !Self.matches(#"content:"|02|"; byte_extract:1,0,len; content:"abc"; offset:1; depth:len;"#, [0x02, 0x61, 0x62, 0x63]))
        #expect(try Self.matches(#"content:"|05|"; byte_extract:1,0,n; byte_test:1,=,n,1;"#, [0x05, 0x05]))
        #expect(try Self.matches(#"content:"|02|"; byte_extract:1,0,skip,relative; content:"Z"; distance:skip; within:1;"#, [0x02, 0x02, 0x61, 0x62, 0x5A]))
    }

    @Test("byte_math computes into a variable")
    func byteMath() throws {
        #expect(try Self.matches(#"content:"|02|"; byte_math:bytes 1, offset 0, oper *, rvalue 2, result d; content:"Z"; offset:d; depth:1;"#, [0x02, 0x61, 0x62, 0x63, 0x5A]))
    }

    @Test("transforms run before the buffer's steps: dotprefix, url_decode, to_lowercase, compress_whitespace")
    func transforms() throws {
        #expect(try Self.matches(#"dns.query; dotprefix; content:".example.com"; endswith;"#, "www.example.com", proto: "dns"))
        #expect(try Self.matches(#"dns.query; dotprefix; content:".example.com"; endswith;"#, "example.com", proto: "dns"))
        #expect(try !Self.matches(#"dns.query; dotprefix; content:".example.com"; endswith;"#, "badexample.com", proto: "dns"))
        #expect(try Self.matches(#"http.uri.raw; url_decode; content:"/admin";"#, "/%61dmin", proto: "http"))
        #expect(try !Self.matches(#"http.uri.raw; content:"/admin";"#, "/%61dmin", proto: "http"))
        #expect(try Self.matches(#"http.user_agent; to_lowercase; content:"sqlmap";"#, "SQLMap/1.7", proto: "http"))
        #expect(try Self.matches(#"http.uri.raw; compress_whitespace; content:"a b";"#, "a  \t b", proto: "http"))
    }

    @Test("base64_decode decodes from the cursor (relative) into base64_data, stopping at the first non-alphabet byte")
    func base64() throws {
        // "c2VjcmV0IHN0dWZm" is "secret stuff".
        #expect(try Self.matches(#"content:"b64="; base64_decode:relative; base64_data; content:"secret";"#, "x b64=c2VjcmV0IHN0dWZm"))
        #expect(try !Self.matches(#"content:"b64="; base64_decode:relative; base64_data; content:"secret";"#, "x b64=bm90aGluZw=="))
        #expect(try Self.matches(#"content:"b64="; base64_decode:bytes 8,relative; base64_data; content:"secret"; startswith; bsize:6;"#, "b64=c2VjcmV0IHN0dWZm"))
        #expect(try !Self.matches(#"content:"b64="; base64_decode:relative; base64_data; content:"stuff";"#, "b64=c2VjcmV0!IHN0dWZm"))
    }

    @Test("bsize checks the sticky buffer's length")
    func bsize() throws {
        #expect(try Self.matches(#"http.method; content:"GET"; bsize:3;"#, "GET", proto: "http"))
        #expect(try !Self.matches(#"http.method; content:"GET"; bsize:3;"#, "GETX", proto: "http"))
    }

    @Test("the buffer ordinal the scratch uses is the case's position in allCases")
    func ordinals() {
        for (i, b) in InspectionBuffer.allCases.enumerated() { #expect(DetectionScratch.ordinal(b) == i) }
    }

    @Test("http.uri is percent-decoded and dot segments resolved; the query is decoded, not resolved")
    func uriNormalisation() {
        func norm(_ s: String) -> String {
            let input = Array(s.utf8)
            var out = [UInt8](repeating: 0, count: input.count + 1)
            let n = input.withUnsafeBytes { i in out.withUnsafeMutableBytes { o in URINormalizer.normalize(i, into: o.baseAddress!) } }
            return String(decoding: out[0..<n], as: UTF8.self)
        }
        #expect(norm("/%61dmin") == "/admin")
        #expect(norm("/a/./b") == "/a/b")
        #expect(norm("/a/b/../c") == "/a/c")
        #expect(norm("/a/%2e%2e/etc/passwd") == "/etc/passwd")
        #expect(norm("/..") == "/")
        #expect(norm("/x?q=%27or%201=1") == "/x?q='or 1=1")
        #expect(norm("/x?a=/../b") == "/x?a=/../b")
        // Regressions found by Fuzz/uri (differential with RFC 3986's remove_dot_segments,
        // which libhtp implements): a target without a leading "/" lost the separator
        // ("a/../b" gave "ab"), and leading "../" and "./" were kept.
        #expect(norm("a/../b") == "/b")
        #expect(norm("a/..") == "/")
        #expect(norm("../../etc/passwd") == "etc/passwd")
        #expect(norm("./x/.") == "x/")
        #expect(norm("..") == "")
        #expect(norm("/a/..%2f..%2fb") == "/b")
        #expect(norm("/a%3f/../b?c") == "/b?c")
        #expect(norm("//..//./x#/../y") == "//x#/../y")
    }
}

@Suite("Detection: JA3")
struct JA3Tests {
    @Test("MD5 of RFC 1321's test suite")
    func md5() {
        #expect(MD5.hex([]) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8))
                == "57edf4a22be3c955ac49da2e2107b67a")
    }

    @Test("ja3.string and ja3.hash of the TLS capture's ClientHellos")
    func ja3OverCapture() throws {
        // The values tshark 4.0 computes for the two ClientHellos (tls.handshake.ja3).
        let rules = """
            alert tls any any -> any any (msg:"ja3 string"; ja3.string; content:"771,49196-49200-159-"; startswith; content:",0-11-10-35-22-23-13,29-23-30-25-24,0-1-2"; endswith; sid:1;)
            alert tls any any -> any any (msg:"ja3 hash a"; ja3.hash; content:"0149f47eabf9a20d0893e2a44e5a6323"; sid:2;)
            alert tls any any -> any any (msg:"ja3 hash b"; ja3.hash; content:"871a754af286dfb70c1b53c6887c62e0"; sid:3;)
            """
        let run = try EngineRun("Tests/Captures/tls.pcap", rules: rules)
        #expect(run.alerts.map(\.signatureID).sorted() == [1, 2, 3])
    }
}
