/// The API family an exchange belongs to (the `provider` of the `ai` record).
enum AIProvider: UInt8, Sendable {
    case openAI, anthropic, ollama, mcp

    var name: String {
        switch self {
        case .openAI: "openai-compatible"
        case .anthropic: "anthropic"
        case .ollama: "ollama"
        case .mcp: "mcp"
        }
    }
}

/// The operation a request names, from its method and path: what its body and its
/// answer look like.
enum AIOperation: UInt8, Sendable {
    case chatCompletions, completions, responses, embeddings
    case messages
    case ollamaChat, ollamaGenerate
    case mcp

    var provider: AIProvider {
        switch self {
        case .chatCompletions, .completions, .responses, .embeddings: .openAI
        case .messages: .anthropic
        case .ollamaChat, .ollamaGenerate: .ollama
        case .mcp: .mcp
        }
    }

    var name: String {
        switch self {
        case .chatCompletions: "chat.completions"
        case .completions: "completions"
        case .responses: "responses"
        case .embeddings: "embeddings"
        case .messages: "messages"
        case .ollamaChat: "chat"
        case .ollamaGenerate: "generate"
        case .mcp: "mcp"
        }
    }

    /// The operation of a POST to `path` (the request target, query allowed), or nil when
    /// the path names none. Suffixes, so a gateway's prefix (`/openai/v1/...`) is accepted;
    /// MCP is named by App-ID (any path), passed as `mcp`.
    static func classify(path: UnsafeRawBufferPointer, mcp: Bool = false) -> AIOperation? {
        var end = path.count
        for k in 0..<path.count where path[k] == UInt8(ascii: "?") || path[k] == UInt8(ascii: "#") { end = k; break }
        while end > 1 && path[end - 1] == UInt8(ascii: "/") { end -= 1 }
        let p = UnsafeRawBufferPointer(rebasing: path[0..<end])
        func ends(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard p.count >= n else { return false }
            for k in 0..<n where p[p.count - n + k] != s.utf8Start[k] { return false }
            return true
        }
        if ends("/chat/completions") { return .chatCompletions }
        if ends("/v1/completions") || ends("/engines/completions") { return .completions }
        if ends("/v1/responses") { return .responses }
        if ends("/embeddings") { return .embeddings }
        if ends("/v1/messages") { return .messages }
        if ends("/api/chat") { return .ollamaChat }
        if ends("/api/generate") { return .ollamaGenerate }
        if mcp || ends("/mcp") { return .mcp }
        return nil
    }
}
