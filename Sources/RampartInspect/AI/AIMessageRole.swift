/// Who wrote a piece of text in an AI exchange, as the API says (`role`).
enum AIRole: UInt8, Sendable {
    case unknown, system, developer, user, assistant, tool

    /// The role named by a JSON string's raw bytes.
    init(_ raw: UnsafeRawBufferPointer) {
        if JSONText.equals(raw, "user") { self = .user }
        else if JSONText.equals(raw, "assistant") || JSONText.equals(raw, "model") { self = .assistant }
        else if JSONText.equals(raw, "system") { self = .system }
        else if JSONText.equals(raw, "developer") { self = .developer }
        else if JSONText.equals(raw, "tool") || JSONText.equals(raw, "function") || JSONText.equals(raw, "ipython") { self = .tool }
        else { self = .unknown }
    }

    var name: String {
        switch self {
        case .unknown: "unknown"
        case .system: "system"
        case .developer: "developer"
        case .user: "user"
        case .assistant: "assistant"
        case .tool: "tool"
        }
    }
}

/// Where a piece of text came from, which is what decides how much to trust it: the
/// operator's system prompt, the user, the model, or content the model reads indirectly
/// (tool results, MCP tool output and tool descriptions), where injections hide.
enum AIOrigin: UInt8, Sendable, CaseIterable {
    case system, user, assistant
    /// Arguments of a tool call the model (or an MCP client) makes.
    case toolCall
    /// A tool's answer handed back to the model (`role: tool`, `tool_result`, `function_call_output`).
    case toolResult
    /// What an MCP server returns: tool output, resource contents, prompt messages.
    case mcpToolOutput
    /// An MCP server's tool descriptions and input schemas (`tools/list`): read by the model as instructions.
    case mcpToolDescription

    var name: String {
        switch self {
        case .system: "system"
        case .user: "user"
        case .assistant: "assistant"
        case .toolCall: "tool-call"
        case .toolResult: "tool-result"
        case .mcpToolOutput: "mcp-tool-output"
        case .mcpToolDescription: "mcp-tool-description"
        }
    }

    /// Text that reaches the model from somewhere other than its operator or user.
    var isIndirect: Bool { self == .toolResult || self == .mcpToolOutput || self == .mcpToolDescription }

    /// The origin of plain message text written with `role`.
    static func of(_ role: AIRole) -> AIOrigin {
        switch role {
        case .system, .developer: .system
        case .assistant: .assistant
        case .tool: .toolResult
        case .user, .unknown: .user
        }
    }
}
