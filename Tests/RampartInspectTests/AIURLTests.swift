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
}
