import RampartPolicy

extension AIInspectionSettings {
    /// The settings a policy's AI security profile asks for: detectors whose action is
    /// `allow` are not run at all.
    init(_ profile: AISecurityProfile) {
        self.init()
        injection = profile.action(.promptInjection) != .allow
        injectionThreshold = Float(profile.injectionThreshold)
        secrets = profile.action(.secret) != .allow
        personalData = profile.action(.personalData) != .allow
        responses = profile.responses
        maxPromptBytes = profile.maxPromptBytes
        maxStreamBytes = profile.maxStreamBytes
        maxStreamEvents = profile.maxStreamEvents
        models = profile.models.map(AIAllowList.init)
        tools = profile.tools.map(AIAllowList.init)
        requestsPerMinute = profile.requestsPerMinute
        tokensPerMinute = profile.tokensPerMinute
    }
}

extension AIDetectionKind {
    /// The policy's name of this kind (`actions:` keys).
    var policyName: AIDetectionName {
        switch self {
        case .promptInjection: .promptInjection
        case .secret: .secret
        case .personalData: .personalData
        case .modelNotAllowed: .modelNotAllowed
        case .toolNotAllowed: .toolNotAllowed
        case .rateLimit: .rateLimit
        case .oversizedPrompt: .oversizedPrompt
        case .runawayStream: .runawayStream
        case .url: .url
        }
    }
}

/// What an AI security profile decides for one exchange: the strongest action among its
/// detections (block over alert over allow), and the API-shaped error a block answers with.
enum AIDecision {
    static func action(_ found: AIDetections, profile: AISecurityProfile) -> AIAction {
        var worst = AIAction.allow
        for k in 0..<found.count {
            switch profile.action(found.items[k].kind.policyName) {
            case .block: return .block
            case .alert: worst = .alert
            case .allow: break
            }
        }
        return worst
    }

    /// The HTTP response a blocked request is answered with, shaped as the API's own errors
    /// so SDKs raise their usual exception (OpenAI's `PermissionDeniedError`, Anthropic's
    /// `PermissionDeniedError`): HTTP 403 and the provider's error JSON; MCP gets a JSON-RPC
    /// error carrying the request's `id` (JSON-RPC 2.0 § 5: `null` only when the id could not
    /// be read), one error per message of a batch, in an array. `reason` names the detection
    /// kinds (no detected text).
    static func blockResponse(_ operation: AIOperation, reason: String, requestIDs: [String] = [], batch: Bool = false)
        -> [UInt8] {
        let message = "Request blocked by the Rampart firewall's AI security profile: \(reason)"
        let body: String
        switch operation.provider {
        case .anthropic:
            body = #"{"type":"error","error":{"type":"permission_error","message":"\#(message)"}}"#
        case .mcp:
            func error(_ id: String) -> String {
                #"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32001,"message":"\#(message)"}}"#
            }
            if batch {
                body = "[" + (requestIDs.isEmpty ? ["null"] : requestIDs).map(error).joined(separator: ",") + "]"
            } else {
                body = error(requestIDs.first ?? "null")
            }
        case .ollama:
            body = #"{"error":"\#(message)"}"#
        case .openAI:
            body = #"{"error":{"message":"\#(message)","type":"permission_error","param":null,"code":"rampart_ai_blocked"}}"#
        }
        let bytes = Array(body.utf8)
        let head = "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n"
            + "Cache-Control: no-store\r\nConnection: close\r\nX-Rampart-AI: blocked\r\n\r\n"
        return Array(head.utf8) + bytes
    }

    /// The event that ends a blocked stream, in the stream's own framing: an SSE `error`
    /// event (Anthropic's shape, which OpenAI's SDK also raises on), or an Ollama error line.
    static func streamError(_ operation: AIOperation, reason: String) -> [UInt8] {
        let message = "Stream ended by the Rampart firewall's AI security profile: \(reason)"
        switch operation.provider {
        case .ollama:
            return Array(#"{"error":"\#(message)"}"#.utf8) + [0x0A]
        default:
            return Array("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"permission_error\",\"message\":\"\(message)\"}}\n\n".utf8)
        }
    }
}
