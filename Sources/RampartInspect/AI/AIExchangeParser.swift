/// Reads AI API bodies into transcripts: the request by its operation's schema, the answer
/// whole or streamed. The entry point the engine and `rampart bench ai` use.
///
/// ```swift
/// let t = AITranscript()
/// AIExchangeParser.parseRequest(.chatCompletions, body: body, into: t)
/// t.modelName        // "gpt-4o-mini"
/// t[0].origin        // .system
/// ```
enum AIExchangeParser {
    static func requestSchema(_ operation: AIOperation) -> AIFieldSchema {
        switch operation {
        case .chatCompletions: OpenAIChatCompletions.request
        case .completions: OpenAICompletions.request
        case .responses: OpenAIResponses.request
        case .embeddings: OpenAIEmbeddings.request
        case .messages: AnthropicMessages.request
        case .ollamaChat, .ollamaGenerate: OllamaAPI.request
        case .mcp: MCPJSONRPC.request
        }
    }

    /// The schema of a whole answer, or of one event of a streamed one.
    static func responseSchema(_ operation: AIOperation, streamed: Bool) -> AIFieldSchema {
        switch operation {
        case .chatCompletions: streamed ? OpenAIChatCompletions.chunk : OpenAIChatCompletions.response
        case .completions: OpenAICompletions.response
        case .responses: streamed ? OpenAIResponses.event : OpenAIResponses.response
        case .embeddings: OpenAIEmbeddings.response
        case .messages: streamed ? AnthropicMessages.event : AnthropicMessages.response
        case .ollamaChat, .ollamaGenerate: OllamaAPI.response
        case .mcp: MCPJSONRPC.response
        }
    }

    static func parseRequest(_ operation: AIOperation, body: UnsafeRawBufferPointer, into t: AITranscript) {
        t.reset()
        t.operation = operation
        // Ollama streams unless told not to.
        t.stream = operation == .ollamaChat || operation == .ollamaGenerate
        AIExtractor.run(body, schema: requestSchema(operation), into: t)
    }

    /// How an answer is framed: by its Content-Type when it has one, else by its first bytes
    /// (Ollama's lines are JSON objects; `data:` starts an event stream); nil for one JSON body.
    static func framing(_ operation: AIOperation, contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer)
        -> AIStreamFraming? {
        if let contentType {
            if AIStreamDecoder.contains(contentType, "event-stream") { return .serverSentEvents }
            if AIStreamDecoder.contains(contentType, "ndjson") { return .jsonLines }
        }
        var i = 0
        while i < body.count && (body[i] == 0x20 || body[i] == 0x0A || body[i] == 0x0D) { i += 1 }
        if i < body.count && (body[i] == UInt8(ascii: "d") || body[i] == UInt8(ascii: "e") || body[i] == UInt8(ascii: ":")) {
            return .serverSentEvents
        }
        if operation == .ollamaChat || operation == .ollamaGenerate { return .jsonLines }
        return nil
    }

    /// Reads a whole answer (streamed or not) into `t`.
    static func parseResponse(_ operation: AIOperation, contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer,
                              stream: AIStreamDecoder, into t: AITranscript) {
        t.reset()
        t.operation = operation
        t.isResponse = true
        if let framing = framing(operation, contentType: contentType, body: body) {
            t.stream = true
            let schema = responseSchema(operation, streamed: true)
            stream.reset(framing)
            stream.feed(body, schema: schema, into: t)
            stream.finish(schema: schema, into: t)
        } else {
            AIExtractor.run(body, schema: responseSchema(operation, streamed: false), into: t)
        }
    }
}
