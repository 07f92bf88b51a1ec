import Testing
@testable import RampartInspect

/// A blocked MCP request is answered with a JSON-RPC error that carries the request's own
/// `id` (JSON-RPC 2.0 § 5: `null` only when the id could not be read), so the client's
/// session matches it to the call it made; a batch gets one error per message, in an array.
@Suite struct AIMCPErrorTests {
    static func ids(_ body: String) -> ([String], Bool) {
        let t = AIParsingTests.request(.mcp, body)
        return (t.requestIDList, t.requestIsBatch)
    }

    @Test func requestIDsAreRead() {
        #expect(Self.ids(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"rm","arguments":{"id":99}}}"#) == (["7"], false))
        #expect(Self.ids(#"{"jsonrpc":"2.0","method":"tools/call","id":"req-\"a,b\"","params":{"name":"rm"}}"#)
            == ([#""req-\"a,b\"""#], false))
        #expect(Self.ids(#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"x"}}]"#)
            == (["1", #""two""#], true))
        // A notification has no id.
        #expect(Self.ids(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == ([], false))
        // An id too long to keep is not kept (the error then says null, as the spec allows).
        let long = String(repeating: "x", count: 80)
        #expect(Self.ids(#"{"jsonrpc":"2.0","id":"\#(long)","method":"tools/call"}"#) == ([], false))
    }

    @Test func errorCarriesTheID() {
        func body(_ ids: [String], batch: Bool = false) -> String {
            let r = String(decoding: AIDecision.blockResponse(.mcp, reason: "tool-not-allowed", requestIDs: ids, batch: batch), as: UTF8.self)
            #expect(r.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
            let parts = r.components(separatedBy: "\r\n\r\n")
            #expect(r.contains("Content-Length: \(parts[1].utf8.count)\r\n"))
            return parts[1]
        }
        #expect(body(["7"]).hasPrefix(#"{"jsonrpc":"2.0","id":7,"error":{"code":-32001,"#))
        #expect(body([#""abc""#]).hasPrefix(#"{"jsonrpc":"2.0","id":"abc","error""#))
        #expect(body([]).hasPrefix(#"{"jsonrpc":"2.0","id":null,"error""#))
        let batch = body(["1", #""two""#], batch: true)
        #expect(batch.hasPrefix(#"[{"jsonrpc":"2.0","id":1,"error""#) && batch.contains(#"},{"jsonrpc":"2.0","id":"two","error""#)
            && batch.hasSuffix("}]"))
    }

    @Test func blockedToolCallInTheEngineAnswersWithItsID() throws {
        let policy = AIEngineTests.policy("tool-not-allowed: block").replacingOccurrences(
            of: #"models: ["gpt-4o*", "claude-*"]"#, with: #"tools: [get_weather]"#)
        var c = try AIEngineTests.Conversation(policy: policy)
        c.connect()
        let headers = "Accept: application/json, text/event-stream\r\nMcp-Session-Id: s1\r\n"
        #expect(c.post("/mcp", #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
                       headers: headers) == .forward)
        #expect(c.answer(#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"s","version":"1"}}}"#) == .forward)
        #expect(c.post("/mcp", #"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"delete_everything","arguments":{}}}"#,
                       headers: headers) == .respond)
        let response = String(decoding: c.engine.aiResponse ?? [], as: UTF8.self)
        #expect(response.contains(#"{"jsonrpc":"2.0","id":42,"error":{"code":-32001,"message":"Request blocked by the Rampart firewall's AI security profile: tool-not-allowed"}}"#),
                "\(response)")
    }
}
