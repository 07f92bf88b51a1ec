import Testing
@testable import RampartInspect

/// The AI parsers: each API's request, answer and stream into a transcript with role and origin.
@Suite struct AIParsingTests {
    struct Piece: Equatable, CustomStringConvertible {
        var role: String
        var origin: String
        var text: String
        var name = false
        var description: String { "\(role)/\(origin)\(name ? " name" : ""): \(text)" }
    }

    static func pieces(_ t: AITranscript) -> [Piece] {
        (0..<t.segmentCount).map {
            Piece(role: t[$0].role.name, origin: t[$0].origin.name, text: String(decoding: t.bytes(of: $0), as: UTF8.self),
                  name: t[$0].isName)
        }
    }

    static func request(_ op: AIOperation, _ body: String) -> AITranscript {
        let t = AITranscript()
        Array(body.utf8).withUnsafeBytes { AIExchangeParser.parseRequest(op, body: $0, into: t) }
        return t
    }

    static func response(_ op: AIOperation, _ body: String, contentType: String? = nil, chunk: Int = 0) -> AITranscript {
        let t = AITranscript()
        let stream = AIStreamDecoder()
        let bytes = Array(body.utf8)
        let ct = contentType.map { Array($0.utf8) }
        if chunk > 0 {
            // Fed in pieces, as packets bring it.
            t.reset(); t.operation = op; t.isResponse = true; t.stream = true
            let framing = bytes.withUnsafeBytes { b in
                ct.map { c in c.withUnsafeBytes { AIExchangeParser.framing(op, contentType: $0, body: b) } }
                    ?? AIExchangeParser.framing(op, contentType: nil, body: b)
            }!
            stream.reset(framing)
            let schema = AIExchangeParser.responseSchema(op, streamed: true)
            var i = 0
            while i < bytes.count {
                let j = min(bytes.count, i + chunk)
                bytes[i..<j].withUnsafeBytes { stream.feed($0, schema: schema, into: t) }
                i = j
            }
            stream.finish(schema: schema, into: t)
            return t
        }
        bytes.withUnsafeBytes { b in
            if let ct {
                ct.withUnsafeBytes { AIExchangeParser.parseResponse(op, contentType: $0, body: b, stream: stream, into: t) }
            } else {
                AIExchangeParser.parseResponse(op, contentType: nil, body: b, stream: stream, into: t)
            }
        }
        return t
    }

    @Test func openAIChatRequest() {
        let t = Self.request(.chatCompletions, #"""
            {"model":"gpt-4o-mini","stream":true,"messages":[
              {"role":"system","content":"You are terse."},
              {"content":[{"type":"text","text":"caf\u00e9 \ud83d\ude00"},{"type":"image_url","image_url":{"url":"data:x"}},{"type":"text","text":"two"}],"role":"user"},
              {"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"q\":\"x\"}"}}]},
              {"role":"tool","tool_call_id":"c1","content":"result text"}]}
            """#)
        #expect(t.modelName == "gpt-4o-mini")
        #expect(t.stream)
        #expect(t.error == nil)
        #expect(Self.pieces(t) == [
            Piece(role: "system", origin: "system", text: "You are terse."),
            Piece(role: "user", origin: "user", text: "café 😀\ntwo"),
            Piece(role: "assistant", origin: "tool-call", text: "lookup", name: true),
            Piece(role: "assistant", origin: "tool-call", text: #"{"q":"x"}"#),
            Piece(role: "tool", origin: "tool-result", text: "result text"),
        ])
    }

    @Test func openAIChatAnswerAndStream() {
        let whole = Self.response(.chatCompletions, #"""
            {"model":"gpt-4o","choices":[{"message":{"role":"assistant","content":"Hello there"}}],"usage":{"prompt_tokens":12,"completion_tokens":3}}
            """#)
        #expect(Self.pieces(whole) == [Piece(role: "assistant", origin: "assistant", text: "Hello there")])
        #expect(whole.inputTokens == 12 && whole.outputTokens == 3 && !whole.stream)

        let sse = "data: {\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\r\n\r\n"
            + ": keep-alive comment\n\n"
            + "data: {\"choices\":[{\"delta\":{\"content\":\"lo \\u00e9\"}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}\n\n"
            + "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7}}\n\n"
            + "data: [DONE]\n\n"
        for chunk in [0, 1, 7, 64] {
            let t = Self.response(.chatCompletions, sse, contentType: "text/event-stream", chunk: chunk)
            #expect(Self.pieces(t) == [
                Piece(role: "assistant", origin: "assistant", text: "Hello é"),
                Piece(role: "assistant", origin: "tool-call", text: "f", name: true),
                Piece(role: "assistant", origin: "tool-call", text: #"{"a":1}"#),
            ], "chunk \(chunk)")
            #expect(t.streamEnded && t.inputTokens == 5 && t.outputTokens == 7 && t.events == 6)
        }
    }

    @Test func openAICompletionsResponsesEmbeddings() {
        let c = Self.request(.completions, #"{"model":"m","prompt":["one","two"]}"#)
        #expect(Self.pieces(c) == [Piece(role: "user", origin: "user", text: "one"), Piece(role: "user", origin: "user", text: "two")])
        let r = Self.request(.responses, #"""
            {"model":"gpt-5","instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"q"}]},
             {"type":"function_call_output","call_id":"c","output":"tool says"}]}
            """#)
        #expect(Self.pieces(r) == [
            Piece(role: "system", origin: "system", text: "be brief"),
            Piece(role: "user", origin: "user", text: "q"),
            Piece(role: "tool", origin: "tool-result", text: "tool says"),
        ])
        let stream = "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"model\":\"gpt-5\"}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi \"}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"you\"}\n\n"
            + "event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"delta\":\"{}\"}\n\n"
            + "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}}\n\n"
        let rs = Self.response(.responses, stream)
        #expect(Self.pieces(rs) == [
            Piece(role: "assistant", origin: "assistant", text: "Hi you"),
            Piece(role: "assistant", origin: "tool-call", text: "{}"),
        ])
        #expect(rs.modelName == "gpt-5" && rs.inputTokens == 3 && rs.outputTokens == 4 && rs.streamEnded)
        let e = Self.request(.embeddings, #"{"model":"text-embedding-3-small","input":"embed me"}"#)
        #expect(Self.pieces(e) == [Piece(role: "user", origin: "user", text: "embed me")])
    }

    @Test func anthropicMessages() {
        let t = Self.request(.messages, #"""
            {"model":"claude-sonnet-4-5","system":[{"type":"text","text":"sys"}],"messages":[
             {"role":"user","content":"plain"},
             {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"calc","input":{"expr":"1+1","opts":{"mode":"exact"}}}]},
             {"role":"user","content":[{"content":"the tool's output","type":"tool_result","tool_use_id":"t1"},{"type":"text","text":"and?"}]}]}
            """#)
        #expect(Self.pieces(t) == [
            Piece(role: "system", origin: "system", text: "sys"),
            Piece(role: "user", origin: "user", text: "plain"),
            Piece(role: "assistant", origin: "tool-call", text: "calc", name: true),
            Piece(role: "assistant", origin: "tool-call", text: "1+1 exact"),
            Piece(role: "user", origin: "tool-result", text: "the tool's output"),
            Piece(role: "user", origin: "user", text: "and?"),
        ])
        let stream = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-x\",\"usage\":{\"input_tokens\":9}}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"there\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"x\\\"\"}}\n\n"
            + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":3}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        let s = Self.response(.messages, stream, chunk: 5)
        #expect(Self.pieces(s) == [
            Piece(role: "assistant", origin: "assistant", text: "Hi there"),
            Piece(role: "assistant", origin: "tool-call", text: #"{"x""#),
        ])
        #expect(s.modelName == "claude-x" && s.inputTokens == 9 && s.outputTokens == 3 && s.streamEnded)
    }

    @Test func ollama() {
        let t = Self.request(.ollamaChat, #"{"model":"llama3.2","messages":[{"role":"user","content":"why is the sky blue?"}]}"#)
        #expect(t.stream)  // Ollama streams unless told not to
        #expect(Self.pieces(t) == [Piece(role: "user", origin: "user", text: "why is the sky blue?")])
        let lines = "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Ray\"},\"done\":false}\n"
            + "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"leigh\"},\"done\":true,\"prompt_eval_count\":26,\"eval_count\":2}\n"
        let r = Self.response(.ollamaChat, lines, chunk: 3)
        #expect(Self.pieces(r) == [Piece(role: "assistant", origin: "assistant", text: "Rayleigh")])
        #expect(r.inputTokens == 26 && r.outputTokens == 2 && r.streamEnded)
        let g = Self.request(.ollamaGenerate, #"{"model":"m","system":"s","prompt":"p","stream":false}"#)
        #expect(!g.stream)
        #expect(Self.pieces(g).map(\.origin) == ["system", "user"])
    }

    @Test func mcp() {
        let call = Self.request(.mcp, #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/etc/hosts"}}}"#)
        #expect(call.methodName == "tools/call")
        #expect(Self.pieces(call) == [
            Piece(role: "assistant", origin: "tool-call", text: "read_file", name: true),
            Piece(role: "assistant", origin: "tool-call", text: "/etc/hosts"),
        ])
        let list = Self.response(.mcp, #"""
            {"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"add","description":"Adds numbers.","inputSchema":{"type":"object","properties":{"a":{"type":"number","description":"first"}}}}]}}
            """#)
        #expect(Self.pieces(list) == [
            Piece(role: "tool", origin: "mcp-tool-description", text: "add", name: true),
            Piece(role: "tool", origin: "mcp-tool-description", text: "Adds numbers."),
            Piece(role: "tool", origin: "mcp-tool-description", text: "object number first"),
        ])
        // Streamable HTTP: the answer as an event stream.
        let sse = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"127.0.0.1 localhost\"}],\"isError\":false}}\n\n"
        let out = Self.response(.mcp, sse, contentType: "text/event-stream")
        #expect(Self.pieces(out) == [Piece(role: "tool", origin: "mcp-tool-output", text: "127.0.0.1 localhost")])
        let read = Self.response(.mcp, #"{"jsonrpc":"2.0","id":4,"result":{"contents":[{"uri":"file:///a","text":"file body"}]}}"#)
        #expect(Self.pieces(read).map(\.text) == ["file body"])
        let prompt = Self.response(.mcp, #"{"jsonrpc":"2.0","id":5,"result":{"messages":[{"role":"user","content":{"type":"text","text":"prompt text"}}]}}"#)
        #expect(Self.pieces(prompt).map(\.text) == ["prompt text"])
    }

    @Test func operations() {
        func op(_ path: String) -> AIOperation? { Array(path.utf8).withUnsafeBytes { AIOperation.classify(path: $0) } }
        #expect(op("/v1/chat/completions") == .chatCompletions)
        #expect(op("/openai/deployments/x/chat/completions?api-version=2024-10-21") == .chatCompletions)
        #expect(op("/v1/completions") == .completions)
        #expect(op("/v1/responses") == .responses)
        #expect(op("/v1/embeddings") == .embeddings)
        #expect(op("/v1/messages") == .messages)
        #expect(op("/api/chat") == .ollamaChat)
        #expect(op("/api/generate") == .ollamaGenerate)
        #expect(op("/mcp") == .mcp)
        #expect(op("/index.html") == nil)
    }

    @Test func malformedAndTruncated() {
        let bad = Self.request(.chatCompletions, #"{"model":"x",]"#)
        #expect(bad.error?.offset == 13)
        let cut = Self.request(.chatCompletions, #"{"model":"x","messages":[{"role":"user","content":"abc"#)
        #expect(cut.truncated && cut.error == nil)
        #expect(Self.pieces(cut) == [Piece(role: "user", origin: "user", text: "abc")])
        // Nesting beyond the scanner's depth is followed, not recorded: the scan stays in step.
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let d = Self.request(.chatCompletions, #"{"tools":"# + deep + #","messages":[{"role":"user","content":"after"}]}"#)
        #expect(d.error == nil)
        #expect(Self.pieces(d).map(\.text) == ["after"])
        let tooDeep = Self.request(.chatCompletions, String(repeating: "[", count: 200))
        #expect(tooDeep.error != nil)
    }

    @Test func boundedText() {
        let t = AITranscript(capacity: 16, maxSegments: 2)
        Array(#"{"messages":[{"role":"user","content":"0123456789abcdefghij"},{"role":"user","content":"x"},{"role":"user","content":"y"}]}"#.utf8)
            .withUnsafeBytes { AIExchangeParser.parseRequest(.chatCompletions, body: $0, into: t) }
        #expect(t.used <= 16)
        #expect(t.segmentCount == 2)
        #expect(t.droppedBytes > 0 && t.droppedSegments == 1)
        #expect(t.textBytes == 22)
    }
}
