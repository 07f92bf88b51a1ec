import RampartWire

/// One inspected AI exchange (a request, or an answer): the EVE `ai` event. Provider,
/// operation, model, tokens, the detections with their scores and masked spans, the action
/// the profile took, and the tags of both ends. Built on the cold path, once per message
/// that has detections (or always, when the profile logs every exchange).
///
/// ```swift
/// var line = JSONLine()
/// record.writeEVE(into: &line)
/// // {"event_type":"ai","ai":{"provider":"openai-compatible","operation":"chat.completions","model":"gpt-4o-mini",
/// //  "direction":"request","detections":[{"kind":"secret","type":"aws-access-key-id","score":1,"span":"AKIA**************LE",...}],
/// //  "action":"blocked"},...}
/// ```
public struct AIRecord: Sendable, Equatable {
    public struct Detection: Sendable, Equatable {
        public var kind: String
        public var type: String
        public var score: Double
        public var role: String?
        public var origin: String?
        /// The text that triggered it, masked (`AIMask`).
        public var span: String
        /// What the profile does with this kind: `allow`, `alert`, `block`.
        public var action: String
        /// What the record leaves out about this kind (`3 more URLs refused, not listed`).
        public var note: String?

        public init(kind: String, type: String, score: Double, role: String?, origin: String?, span: String, action: String,
                    note: String? = nil) {
            self.kind = kind; self.type = type; self.score = score; self.role = role; self.origin = origin
            self.span = span; self.action = action; self.note = note
        }
    }

    public var timestamp: Timestamp
    public var flowID: UInt64
    public var sourceAddress: IPAddress
    public var sourcePort: UInt16
    public var destinationAddress: IPAddress
    public var destinationPort: UInt16
    /// App-ID's name (`openai-api`, `anthropic-api`, `ollama`, `mcp`).
    public var application: String
    public var provider: String
    public var operation: String
    public var model: String?
    /// MCP's JSON-RPC method.
    public var method: String?
    /// `request` or `response`.
    public var direction: String
    public var stream: Bool
    public var inputTokens: Int64?
    public var outputTokens: Int64?
    /// The tokens were estimated from the text (no `usage` in the body).
    public var tokensEstimated: Bool
    public var detections: [Detection]
    /// `allowed`, `alerted` or `blocked`.
    public var action: String
    public var profile: String?
    public var sourceTags: [String]
    public var destinationTags: [String]

    public init(timestamp: Timestamp, flowID: UInt64, sourceAddress: IPAddress, sourcePort: UInt16,
                destinationAddress: IPAddress, destinationPort: UInt16, application: String, provider: String,
                operation: String, model: String?, method: String?, direction: String, stream: Bool, inputTokens: Int64?,
                outputTokens: Int64?, tokensEstimated: Bool, detections: [Detection], action: String, profile: String?,
                sourceTags: [String], destinationTags: [String]) {
        self.timestamp = timestamp; self.flowID = flowID; self.sourceAddress = sourceAddress; self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress; self.destinationPort = destinationPort; self.application = application
        self.provider = provider; self.operation = operation; self.model = model; self.method = method
        self.direction = direction; self.stream = stream; self.inputTokens = inputTokens; self.outputTokens = outputTokens
        self.tokensEstimated = tokensEstimated; self.detections = detections; self.action = action; self.profile = profile
        self.sourceTags = sourceTags; self.destinationTags = destinationTags
    }

    public func writeEVE(into line: inout JSONLine) {
        line.begin()
        line.field("timestamp", timestamp.eveText)
        line.field("flow_id", flowID)
        line.field("event_type", "ai")
        line.field("src_ip", sourceAddress.description)
        line.field("src_port", sourcePort)
        line.field("dest_ip", destinationAddress.description)
        line.field("dest_port", destinationPort)
        line.field("proto", "TCP")
        line.field("app_proto", application)
        line.beginObject("ai")
        line.field("provider", provider)
        line.field("operation", operation)
        if let model { line.field("model", model) }
        if let method { line.field("method", method) }
        line.field("direction", direction)
        line.field("stream", stream)
        line.beginObject("tokens")
        if let inputTokens { line.field("input", inputTokens) }
        if let outputTokens { line.field("output", outputTokens) }
        line.field("estimated", tokensEstimated)
        line.endObject()
        line.beginArray("detections")
        for d in detections {
            line.beginElement()
            line.field("kind", d.kind)
            line.field("type", d.type)
            // Scores as thousandths, so the line needs no floating-point formatting.
            line.field("score_milli", Int((d.score * 1000).rounded()))
            if let role = d.role { line.field("role", role) }
            if let origin = d.origin { line.field("origin", origin) }
            line.field("span", d.span)
            line.field("action", d.action)
            if let note = d.note { line.field("note", note) }
            line.endObject()
        }
        line.endArray()
        line.field("action", action)
        if let profile { line.field("profile", profile) }
        line.endObject()
        line.beginObject("rampart")
        line.field("src_tags", strings: sourceTags)
        line.field("dest_tags", strings: destinationTags)
        line.endObject()
        line.end()
    }
}
