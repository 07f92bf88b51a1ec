import Testing
@testable import RampartInspect

/// `AIEventTemplate`: an event that repeats the last one read in full but for its text is read
/// without parsing, and must leave the transcript exactly as the full reading would. Each
/// stream here is read twice, with the template and with every event parsed, in pieces of
/// every size from 1 to 64 bytes and whole, and the two transcripts compared after every piece.
@Suite struct AIEventTemplateTests {
    /// Reads `body` both ways in pieces of `piece` bytes (0: whole); the template's hits.
    @discardableResult
    static func compare(_ body: String, operation: AIOperation = .chatCompletions, framing: AIStreamFraming = .serverSentEvents,
                        piece: Int, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        let fast = AIStreamDecoder(eventCapacity: 4096)
        let full = AIStreamDecoder(eventCapacity: 4096)
        full.usesTemplate = false
        let a = AITranscript(capacity: 8192, maxSegments: 16)
        let b = AITranscript(capacity: 8192, maxSegments: 16)
        fast.reset(framing)
        full.reset(framing)
        let schema = AIExchangeParser.responseSchema(operation, streamed: true)
        let bytes = Array(body.utf8)
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i < raw.count {
                let j = piece == 0 ? raw.count : min(raw.count, i + piece)
                fast.feed(UnsafeRawBufferPointer(rebasing: raw[i..<j]), schema: schema, into: a)
                full.feed(UnsafeRawBufferPointer(rebasing: raw[i..<j]), schema: schema, into: b)
                #expect(a.sameReading(as: b), "differs after byte \(j) (pieces of \(piece))", sourceLocation: sourceLocation)
                i = j
            }
        }
        fast.finish(schema: schema, into: a)
        full.finish(schema: schema, into: b)
        #expect(a.sameReading(as: b), "differs at the end (pieces of \(piece))", sourceLocation: sourceLocation)
        #expect(full.template.hits == 0)
        return fast.template.hits
    }

    static func openAI(_ deltas: [String], id: (Int) -> String = { _ in "chatcmpl-1" }, extra: String = "") -> String {
        var out = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
        for (k, d) in deltas.enumerated() {
            out += "data: {\"id\":\"\(id(k))\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(d)\"},\"finish_reason\":null}]\(extra)}\n\n"
        }
        out += "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}\n\ndata: [DONE]\n\n"
        return out
    }

    static func anthropic(_ deltas: [String]) -> String {
        var out = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
        out += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
        for d in deltas {
            out += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\(d)\"}}\n\n"
        }
        out += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        out += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
        for d in ["{\\\"loc", "ation\\\": ", "\\\"Paris\\\"}"] {
            out += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\(d)\"}}\n\n"
        }
        out += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":15}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        return out
    }

    static let words = ["The", " key", " is", " AKIA", "IOSFODNN7", "EXAMPLE", " and", " the card", " 4111 1111", " 1111 1111", " é", "", " ✓", " end."]

    @Test("OpenAI chunks: the deltas after the first are read from the template, the transcript the same as parsed, in any pieces")
    func openAIChunks() {
        let body = Self.openAI(Self.words)
        for piece in [0, 1, 2, 3, 5, 7, 13, 64] {
            #expect(Self.compare(body, piece: piece) >= Self.words.count - 2, "pieces of \(piece)")
        }
    }

    @Test("Anthropic events: text deltas from the template; tool input, block ends and usage read in full and the same")
    func anthropicEvents() {
        let body = Self.anthropic(Self.words)
        for piece in [0, 1, 4, 9, 64] {
            #expect(Self.compare(body, operation: .messages, piece: piece) >= Self.words.count - 2, "pieces of \(piece)")
        }
    }

    @Test("what the template must not read: escapes, quotes, another id, a read value that changes, a tool call's arguments, a new segment")
    func fallsBack() {
        // Escapes in the text (a newline, a quote, a backslash, a \u escape, a backslash before
        // the closing quote) are read from the template too, decoded as the full reading decodes them.
        let escaped = Self.openAI(["a\\n", "b\\\"c", "\\u00e9", "plain", "again", "x\\\\", "\\\\\\\"", "\\ud83d\\ude00", "end"])
        for piece in [0, 1, 6] { #expect(Self.compare(escaped, piece: piece) >= 6, "pieces of \(piece)") }
        // An event whose text never ends but whose escaped quote is followed by what follows the
        // text in the others: the text ends where the scanner ends it (not at `\"`), so it is
        // read in full and found cut short, as the full reading finds it.
        let cut = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ab\\\"},\"finish_reason\":null}]}\n\n"
        let words = Self.openAI(Array(Self.words.prefix(4)))
        let tricked = String(words[..<words.range(of: "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],")!.lowerBound]) + cut
        for piece in [0, 3] { Self.compare(tricked, piece: piece) }
        // A different id in each event: a string nobody reads, so the events still follow the template.
        #expect(Self.compare(Self.openAI(Self.words, id: { "chatcmpl-\($0)" }), piece: 0) >= Self.words.count - 2)
        // An id with an escape in it is no part that may differ: parsed.
        #expect(Self.compare(Self.openAI(Self.words, id: { "c\\u00e9-\($0)" }), piece: 0) == 0)
        // A member that changes after the delta (OpenAI's `obfuscation` padding): parsed.
        #expect(Self.compare(Self.openAI(Self.words, extra: ",\"obfuscation\":\"x\""), piece: 0) >= Self.words.count - 2)
        var varying = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
        for (k, w) in Self.words.enumerated() {
            varying += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(w)\"}}],\"obfuscation\":\"\(String(repeating: "z", count: k))\"}\n\n"
        }
        // Its contents are a string nobody reads: a hole in the template, so the events after
        // the first are still read from it; with a backslash in it, they are parsed.
        #expect(Self.compare(varying, piece: 0) >= Self.words.count - 2)
        for piece in [1, 3] { Self.compare(varying, piece: piece) }
        #expect(Self.compare(varying.replacingOccurrences(of: "zz", with: "z\\\\"), piece: 0) < Self.words.count - 4)
        // Tool-call arguments: each delta a capture of its own, then text again.
        var tools = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]}}]}\n\n"
        for a in ["{\\\"q\\\":", " \\\"rampart\\\"", "}"] {
            tools += "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\(a)\"}}]}}]}\n\n"
        }
        for w in Self.words { tools += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(w)\"}}]}\n\n" }
        for piece in [0, 1, 8] { Self.compare(tools, piece: piece) }
        // What follows the delta differs in a value that is read (the tokens so far): parsed.
        var counted = ""
        for (k, w) in Self.words.enumerated() {
            counted += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(w)\"}}],\"obfuscation\":\"\(String(repeating: "o", count: k))\",\"usage\":{\"completion_tokens\":\(k % 10)}}\n\n"
        }
        for piece in [0, 5] { Self.compare(counted, piece: piece) }
        var countedFirst = ""
        for (k, w) in Self.words.enumerated() {
            countedFirst += "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(w)\"}}],\"usage\":{\"completion_tokens\":\(k % 10)},\"obfuscation\":\"\(String(repeating: "o", count: k))\"}\n\n"
        }
        for piece in [0, 5] { Self.compare(countedFirst, piece: piece) }
        // MCP over SSE: each event's structured content is captured into a segment of its own
        // (it merges with nothing before it), so an event that opened a segment is no template.
        var mcp = ""
        for (k, w) in Self.words.enumerated() {
            if k % 5 == 0 {
                mcp += "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"structuredContent\":{\"note\":\"\(w)\"},\"content\":[{\"type\":\"text\",\"text\":\"\(w)\"}]}}\n\n"
            }
            mcp += "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"structuredContent\":{\"note\":\"\(w)\"}}}\n\n"
        }
        for piece in [0, 3] { Self.compare(mcp, operation: .mcp, piece: piece) }
        // A quote in the part that differs (a delta ending the string early) is parsed, not templated.
        let broken = Self.openAI(["one", "tw\"o", "three"])
        for piece in [0, 2] { Self.compare(broken, piece: piece) }
    }

    @Test("NDJSON (Ollama) and events longer than the template's buffer are read in full, the same")
    func others() {
        var ollama = ""
        for w in Self.words {
            ollama += "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"\(w)\"},\"done\":false}\n"
        }
        ollama += "{\"model\":\"llama3\",\"done\":true,\"eval_count\":12}\n"
        for piece in [0, 1, 10] { #expect(Self.compare(ollama, operation: .ollamaChat, framing: .jsonLines, piece: piece) >= Self.words.count - 2) }
        // Ollama as it writes: a new timestamp each line, before the text (a string nobody reads).
        var stamped = ""
        for (k, w) in Self.words.enumerated() {
            stamped += "{\"model\":\"llama3\",\"created_at\":\"2026-12-05T01:0\(k % 10):00.\(k * 7919)Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\(w)\"},\"done\":false}\n"
        }
        stamped += "{\"model\":\"llama3\",\"created_at\":\"2026-12-05T01:09:00Z\",\"done\":true,\"prompt_eval_count\":4,\"eval_count\":12}\n"
        for piece in [0, 7] { #expect(Self.compare(stamped, operation: .ollamaChat, framing: .jsonLines, piece: piece) >= Self.words.count - 2) }
        // The Responses API: a sequence number (a number nobody reads) before each delta.
        var responses = ""
        for (k, w) in Self.words.enumerated() {
            responses += "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":\(k + 3),\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"\(w)\",\"logprobs\":[],\"obfuscation\":\"\(String(repeating: "q", count: k % 4))\"}\n\n"
        }
        responses += "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":99,\"response\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":9}}}\n\n"
        for piece in [0, 4] { #expect(Self.compare(responses, operation: .responses, piece: piece) >= Self.words.count - 2) }
        // A number read (the tokens so far) before the text differs each event: parsed.
        var tokensFirst = ""
        for (k, w) in Self.words.enumerated() {
            tokensFirst += "{\"model\":\"llama3\",\"eval_count\":\(k),\"message\":{\"role\":\"assistant\",\"content\":\"\(w)\"},\"done\":false}\n"
        }
        for piece in [0, 9] { Self.compare(tokensFirst, operation: .ollamaChat, framing: .jsonLines, piece: piece) }
        let long = Self.openAI(["a", "b", "c"], id: { _ in String(repeating: "i", count: AIEventTemplate.capacity) })
        #expect(Self.compare(long, piece: 0) == 0)
    }

    @Test("random streams: shapes, escapes and pieces mixed, the template's reading always the full one")
    func random() {
        var rng = SystemRandomNumberGenerator()
        let shapes: [(Int, String) -> String] = [
            { _, d in "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(d)\"},\"finish_reason\":null}]}\n\n" },
            { k, d in "data: {\"id\":\"c\(k % 3)\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(d)\"}}]}\n\n" },
            { _, d in "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\(d)\"}}]}\n\n" },
            { _, d in "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\(d)\"}}]}}]}\n\n" },
            { _, d in "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"\(d)\"}}]}\n\n" },
            { _, _ in ": keep-alive\n\n" },
            { _, d in "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(d)\"}}],\n\n" },
        ]
        let pieces = ["a", " b", "\\n", "\\\"", "é", "", " 4111", "-----BEGIN", "\\u0041", "xyz", " "]
        for _ in 0..<200 {
            var body = ""
            let count = Int.random(in: 1...30, using: &rng)
            for k in 0..<count {
                let d = (0..<Int.random(in: 0...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
                body += shapes[Int.random(in: 0..<(k % 5 == 4 ? shapes.count : 3), using: &rng)](k, d)
            }
            Self.compare(body, piece: Int.random(in: 0...40, using: &rng))
        }
    }
}
