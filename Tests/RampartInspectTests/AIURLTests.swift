import RampartPolicy
import Testing
@testable import RampartInspect

/// URLs in model output checked against the URL filtering lists (`urlFiltering` in an AI
/// security profile): the URL scanner's edges, and in the engine an answer naming a listed
/// malware URL alerted (category and span in the `ai` record) or blocked, while a URL the
/// profile allows, or one in the user's own prompt, raises nothing.
@Suite struct AIURLTests {
    static func urls(_ text: String) -> [String] {
        var out: [String] = []
        Array(text.utf8).withUnsafeBytes { b in
            AIURLScanner.scan(b) { u in
                out.append(String(decoding: b[u.start..<(u.start + u.length)], as: UTF8.self) + " host="
                    + String(decoding: b[u.hostStart..<(u.hostStart + u.hostLength)], as: UTF8.self) + " path="
                    + String(decoding: b[u.pathStart..<(u.pathStart + u.pathLength)], as: UTF8.self))
            }
        }
        return out
    }

    @Test func scannerFindsURLsInProse() {
        #expect(Self.urls("See https://Evil.example/a/b?x=1. Or (http://user:pw@h.example:8080)!")
            == ["https://Evil.example/a/b?x=1 host=Evil.example path=/a/b?x=1", "http://user:pw@h.example:8080 host=h.example:8080 path="])
        #expect(Self.urls(#"[link](https://docs.example/x) and "http://q.example/""#)
            == ["https://docs.example/x host=docs.example path=/x", "http://q.example/ host=q.example path=/"])
        #expect(Self.urls("no links: http:/ broken, https:// and ftp://x.example").isEmpty)
        #expect(Self.urls(String(repeating: "http://a.example ", count: 40)).count == AIURLScanner.limit)
    }

    @Test func scannerFindsNamesWithoutAScheme() {
        #expect(Self.urls("Get it from evil.example/x?y=1, or www.evil.test. Mirror: files.Evil.COM:8443/a/b).")
            == ["evil.example/x?y=1 host=evil.example path=/x?y=1", "www.evil.test host=www.evil.test path=",
                "files.Evil.COM:8443/a/b host=files.Evil.COM:8443 path=/a/b"])
        #expect(Self.urls(#"(see "bit.ly/abc"), [docs.github.io](https://docs.github.io), `pkg.dev`; **x.ru**!"#)
            == ["bit.ly/abc host=bit.ly path=/abc", "docs.github.io host=docs.github.io path=",
                "https://docs.github.io host=docs.github.io path=", "pkg.dev host=pkg.dev path=",
                "x.ru host=x.ru path="])
        // A scheme glued to a word is still found; a name right after a URL too.
        #expect(Self.urls("xhttp://a.example/1 b.example") == ["http://a.example/1 host=a.example path=/1", "b.example host=b.example path="])
    }

    /// Words shaped like names that are not: file names (several are country TLDs left out
    /// on purpose), e-mail addresses, numbers, abbreviations, members in code, paths, and
    /// names glued to something longer.
    @Test func lookAlikesAreNotNames() {
        let files = "config.yaml main.swift README.md build.sh app.py lib.rs run.pl libssl.so main.cc Program.cs model.pt "
            + "setup.zip clip.mov Xcode.app Makefile.in index.html package.json archive.tar.gz photo.JPG"
        #expect(Self.urls(files).isEmpty)
        let mails = "write to alice@evil.com or bob.smith@corp.example (carol@mail.evil.org), mailto:dave@x.io"
        #expect(Self.urls(mails).isEmpty)
        let numbers = "version 1.2.3, v2.0.1 on 10.0.0.1 at 3.14 or 1.5x; e.g. this, i.e. that, a.m. and U.S.A."
        #expect(Self.urls(numbers).isEmpty)
        let code = "user.name user.id obj.pk df.at rect.top this.store google.cloud theme.bg self.ws np.int el.click"
        #expect(Self.urls(code).isEmpty)
        let glued = "/etc/evil.com ./evil.com C:\\x\\evil.com a=evil.com evil.com_x evil.com@x -evil.com evil.com-like "
            + "foo.evil.yaml m\u{00FC}nchen.example caf\u{00E9}.com evil.c0m e.evil"
        #expect(Self.urls(glued).isEmpty)
    }

    @Test func scannerSaysWhenATextHasMoreURLsThanItLooksAt() {
        func scan(_ text: String) -> (Int, Bool) {
            var n = 0
            let more = Array(text.utf8).withUnsafeBytes { AIURLScanner.scan($0) { _ in n += 1 } }
            return (n, more)
        }
        #expect(scan(String(repeating: "a.example ", count: AIURLScanner.limit)) == (AIURLScanner.limit, false))
        #expect(scan(String(repeating: "https://a.example ", count: AIURLScanner.limit) + "b.example") == (AIURLScanner.limit, true))
    }

    static func policy(_ urlAction: String) -> String {
        AIEngineTests.policy("url: \(urlAction)", extra: """
              urlFiltering: u
          urlFilteringProfiles:
            - name: u
              categories: {malware: block, news: alert, reference: allow}
              unknown: allow
        """)
    }

    static let answer = #"{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":"Download it from http://evil.example/payload.exe?token=abc, or read https://wiki.example/Topic."}}]}"#

    @Test func listedURLInAnAnswerIsAlertedWithItsCategory() throws {
        var c = try AIEngineTests.Conversation(policy: Self.policy("alert"))
        c.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware"), ("wiki.example", "reference")]))
        c.connect()
        // The user's own URL is not model output.
        #expect(c.post("/v1/chat/completions", #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Is http://evil.example/ safe?"}]}"#) == .forward)
        #expect(c.answer(Self.answer) == .forward)
        #expect(c.sink.ai.count == 1)
        let r = try #require(c.sink.ai.first)
        #expect(r.direction == "response" && r.action == "alerted")
        #expect(r.detections.count == 1)
        let d = try #require(r.detections.first)
        #expect(d.kind == "url" && d.type == "malware" && d.origin == "assistant" && d.action == "alert")
        #expect(d.span == "http://evil.example" + String(repeating: "*", count: "/payload.exe?token=abc".count))
    }

    @Test func blockedAndAllowedURLs() throws {
        var c = try AIEngineTests.Conversation(policy: Self.policy("block"))
        c.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware"), ("wiki.example", "reference")]))
        c.connect()
        #expect(c.post("/v1/chat/completions", AIEngineTests.benign) == .forward)
        #expect(c.answer(Self.answer) == .reset(toClient: true, toServer: true))
        #expect(c.sink.ai.first?.detections.map(\.kind) == ["url"])
        // Only the allowed URL: nothing raised.
        var ok = try AIEngineTests.Conversation(policy: Self.policy("block"))
        ok.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware"), ("wiki.example", "reference")]))
        ok.connect()
        #expect(ok.post("/v1/chat/completions", AIEngineTests.benign) == .forward)
        #expect(ok.answer(#"{"choices":[{"message":{"role":"assistant","content":"Read https://wiki.example/Topic and http://unlisted.example/."}}]}"#) == .forward)
        #expect(ok.sink.ai.isEmpty)
        // A URL in an MCP tool's output handed back to the model (a tool result in the request).
        var tool = try AIEngineTests.Conversation(policy: Self.policy("alert"))
        tool.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware")]))
        tool.connect()
        let withTool = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Summarise"},{"role":"tool","tool_call_id":"c1","content":"Fetched from https://sub.evil.example/x"}]}"#
        #expect(tool.post("/v1/chat/completions", withTool) == .forward)
        #expect(tool.sink.ai.first?.detections.map { "\($0.kind) \($0.type) \($0.origin ?? "")" } == ["url malware tool-result"])
    }

    @Test func unknownURLFilteringProfileIsAnError() {
        let yaml = AIEngineTests.policy("url: block", extra: "      urlFiltering: nope\n")
        #expect(throws: (any Error).self) { try PolicyLoader.load(yaml: yaml, file: "p.yaml") }
    }

    static func chat(_ content: String) -> String {
        #"{"model":"gpt-4o-mini","choices":[{"message":{"role":"assistant","content":""#
            + content + #""}}]}"#
    }

    @Test func everyRefusedURLOfASegmentIsRecorded() throws {
        var c = try AIEngineTests.Conversation(policy: Self.policy("alert"))
        c.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware"), ("ads.example", "news"),
                                                              ("wiki.example", "reference")]))
        c.connect()
        #expect(c.post("/v1/chat/completions", AIEngineTests.benign) == .forward)
        let text = "Try http://evil.example/a, wiki.example/b, then cdn.evil.example/payload?k=1 or www.ads.example."
        #expect(c.answer(Self.chat(text)) == .forward)
        let r = try #require(c.sink.ai.first)
        #expect(r.detections.map { "\($0.kind) \($0.type) \($0.span)" }
            == ["url malware http://evil.example**", "url malware cdn.evil.example************", "url news www.ads.example"])
        #expect(r.detections.allSatisfy { $0.note == nil })
        #expect(c.engine.statistics.limitCount(.aiURLDetections) == 0 && c.engine.statistics.limitCount(.aiURLsPerSegment) == 0)
    }

    @Test func refusedURLsPastEightAreCountedInANote() throws {
        var c = try AIEngineTests.Conversation(policy: Self.policy("alert"))
        c.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware")]))
        c.connect()
        #expect(c.post("/v1/chat/completions", AIEngineTests.benign) == .forward)
        let text = (0..<12).map { "h\($0).evil.example/x" }.joined(separator: " and ")
        #expect(c.answer(Self.chat(text)) == .forward)
        let r = try #require(c.sink.ai.first)
        #expect(r.detections.count == AIDetections.urlCapacity)
        #expect(r.detections.map(\.span).first == "h0.evil.example**")
        #expect(r.detections.last?.note == "4 more URLs refused, not listed (8 listed a message)")
        var line = JSONLine()
        r.writeEVE(into: &line)
        #expect(String(decoding: line.bytes, as: UTF8.self).contains(#""note":"4 more URLs refused, not listed (8 listed a message)""#))
        #expect(c.engine.statistics.limitCount(.aiURLDetections) == 1)
        #expect(c.sink.anomalies.contains { $0.event == .aiURLDetectionLimit })
    }

    @Test func urlsPastTheScanLimitAreCountedAsALimit() throws {
        var c = try AIEngineTests.Conversation(policy: Self.policy("block"))
        c.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware"), ("wiki.example", "reference")]))
        c.connect()
        #expect(c.post("/v1/chat/completions", AIEngineTests.benign) == .forward)
        // 32 allowed URLs hide the refused one behind them: not looked at, but counted and logged.
        let text = String(repeating: "wiki.example/p ", count: AIURLScanner.limit) + "evil.example/x"
        #expect(c.answer(Self.chat(text)) == .forward)
        #expect(c.sink.ai.isEmpty)
        #expect(c.engine.statistics.limitCount(.aiURLsPerSegment) == 1)
        #expect(c.sink.anomalies.contains { $0.event == .aiURLScanLimit })
        // Within the limit the same URL is found and blocks.
        var d = try AIEngineTests.Conversation(policy: Self.policy("block"))
        d.engine.adoptIndicators(try URLFilteringTests.store([("evil.example", "malware"), ("wiki.example", "reference")]))
        d.connect()
        #expect(d.post("/v1/chat/completions", AIEngineTests.benign) == .forward)
        let within = String(repeating: "wiki.example/p ", count: AIURLScanner.limit - 1) + "evil.example/x"
        #expect(d.answer(Self.chat(within)) == .reset(toClient: true, toServer: true))
        #expect(d.engine.statistics.limitCount(.aiURLsPerSegment) == 0)
    }
}
