/// What a parser reads from one JSON path of an API's body.
enum AIField: Sendable {
    case model
    /// MCP's JSON-RPC `method`.
    case method
    /// `"stream": true|false`.
    case stream
    /// An object that is one message: the role read inside it applies to its text.
    case message
    case role
    /// An object that is one content block: its `type` may decide its text's origin.
    case block
    case blockType
    /// Text the model reads or writes; nil origin: from the enclosing message's role.
    case text(AIOrigin?)
    /// Every string below this container (or this string itself): a tool call's arguments, a
    /// tool's structured output or input schema.
    case capture(AIOrigin)
    /// A tool's name (called, or listed by an MCP server).
    case name(AIOrigin)
    case inputTokens, outputTokens
    /// A streaming event's `type` (or Ollama's `done`): the end of the stream.
    case eventType
    case done
    /// A JSON-RPC message's `id` (string or number): a blocked MCP request's error answer
    /// must carry it, or the client cannot match the error to its request.
    /// `batch`: the id of one message of a batch (`[].id`), answered as an array.
    case requestID(batch: Bool)
}

/// The paths one body shape is read by, each with what it holds. Looked up by hash for
/// each value the scanner returns; a handful of entries, compared in order.
///
/// Each schema is a `static let` of its API, built once and kept for the process's life, in
/// memory of its own that is never freed or written again: copying a schema (a stream's
/// every event is read by one) then costs no reference counting. Hence `@unchecked
/// Sendable`: the memory is immutable once built.
struct AIFieldSchema: @unchecked Sendable {
    let paths: UnsafeBufferPointer<UInt64>
    let fields: UnsafeBufferPointer<AIField>

    init(_ entries: [(JSONPath, AIField)]) {
        let p = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: entries.count)
        let f = UnsafeMutableBufferPointer<AIField>.allocate(capacity: entries.count)
        for (k, e) in entries.enumerated() {
            p.initializeElement(at: k, to: e.0.hash)
            f.initializeElement(at: k, to: e.1)
        }
        paths = UnsafeBufferPointer(p)
        fields = UnsafeBufferPointer(f)
    }

    @inline(__always)
    func field(_ path: UInt64) -> AIField? {
        for i in 0..<paths.count where paths[i] == path { return fields[i] }
        return nil
    }
}

/// Reads a JSON body by a schema into a transcript, in one pass of the scanner.
enum AIExtractor {
    /// `delta`: the body is one event of a stream, whose text continues the previous event's
    /// (no separator, merged across events).
    static func run(_ body: UnsafeRawBufferPointer, schema: AIFieldSchema, into t: AITranscript, delta: Bool = false) {
        var o = AIEventObservation()
        run(body, schema: schema, into: t, delta: delta, observing: &o)
    }

    /// `o`: what the run did to the transcript (`AIEventTemplate`).
    static func run(_ body: UnsafeRawBufferPointer, schema: AIFieldSchema, into t: AITranscript, delta: Bool,
                    observing o: inout AIEventObservation) {
        var s = JSONScanner(body)
        var messageFirst = delta ? 0 : t.segmentCount
        var messageRole = AIRole.unknown
        var inMessage = false
        var blockFirst = t.segmentCount
        var blockOrigin: AIOrigin?
        var captureDepth = Int.max
        var captureOrigin = AIOrigin.toolCall
        var captureFirst = 0
        let separator: UInt8 = delta ? 0 : 0x0A
        while true {
            let tok = s.next()
            switch tok.kind {
            case .end:
                if s.truncated { t.truncated = true; o.other = true }
                if inMessage { t.assign(role: messageRole, from: messageFirst) }
                return
            case .error:
                t.error = s.error
                o.other = true
                if inMessage { t.assign(role: messageRole, from: messageFirst) }
                return
            case .objectStart, .arrayStart:
                guard s.depth < captureDepth else { continue }
                switch schema.field(tok.path) {
                case .message? where tok.kind == .objectStart:
                    if inMessage { t.assign(role: messageRole, from: messageFirst) }
                    inMessage = true
                    messageFirst = t.segmentCount
                    messageRole = .unknown
                case .block? where tok.kind == .objectStart:
                    blockFirst = t.segmentCount
                    blockOrigin = nil
                case .capture(let origin)?:
                    captureDepth = s.depth
                    captureOrigin = origin
                    captureFirst = t.segmentCount
                default: break
                }
            case .objectEnd, .arrayEnd:
                if s.depth < captureDepth && captureDepth != Int.max {
                    captureDepth = Int.max
                    continue
                }
                guard captureDepth == Int.max else { continue }
                switch schema.field(tok.path) {
                case .message? where tok.kind == .objectEnd:
                    t.assign(role: messageRole, from: messageFirst)
                    inMessage = false
                case .block? where tok.kind == .objectEnd:
                    if let blockOrigin { t.assign(origin: blockOrigin, from: blockFirst) }
                    blockOrigin = nil
                default: break
                }
            case .string:
                let raw = UnsafeRawBufferPointer(rebasing: s.bytes[tok.start..<tok.end])
                if s.depth >= captureDepth {
                    append(raw, tok, role: inMessage ? messageRole : AIExtractor.role(of: captureOrigin), origin: captureOrigin,
                           mergeFrom: captureFirst, separator: 0x20, into: t, &o)
                    continue
                }
                switch schema.field(tok.path) {
                case .model?: t.setModel(raw)
                case .method?: t.setMethod(raw)
                case .requestID(let batch)?:
                    t.addRequestID(raw, quoted: true, batch: batch)
                    o.other = true
                case .role?: messageRole = AIRole(raw)
                case .blockType?: blockOrigin = AIExtractor.origin(ofBlock: raw)
                case .eventType?:
                    if let o = AIExtractor.origin(ofBlock: raw) { blockOrigin = o }
                    if JSONText.equals(raw, "message_stop") || JSONText.equals(raw, "response.completed") {
                        t.streamEnded = true
                    }
                case .text(let origin)?:
                    let textOrigin = origin ?? (inMessage && messageRole != .unknown ? AIOrigin.of(messageRole) : .user)
                    append(raw, tok, role: inMessage ? messageRole : AIExtractor.role(of: textOrigin),
                           origin: blockOrigin ?? textOrigin, pending: origin == nil && blockOrigin == nil && inMessage && messageRole == .unknown,
                           mergeFrom: delta ? 0 : (inMessage ? messageFirst : t.segmentCount), separator: separator, into: t, &o)
                case .capture(let origin)?:
                    append(raw, tok, role: inMessage ? messageRole : AIExtractor.role(of: origin), origin: origin,
                           mergeFrom: delta ? 0 : (inMessage ? messageFirst : t.segmentCount), separator: separator, into: t, &o)
                case .name(let origin)?:
                    append(raw, tok, role: inMessage ? messageRole : AIExtractor.role(of: origin), origin: origin, isName: true,
                           mergeFrom: t.segmentCount, into: t, &o)
                default:
                    // A string nobody reads may differ in the next event (OpenAI's
                    // `obfuscation` padding, Ollama's `created_at`) without changing what is read.
                    if !tok.escaped { o.vary(tok, .string) }
                }
            case .number:
                let raw = UnsafeRawBufferPointer(rebasing: s.bytes[tok.start..<tok.end])
                switch schema.field(tok.path) {
                case .inputTokens?: if let v = JSONText.integer(raw) { t.inputTokens = v }
                case .outputTokens?: if let v = JSONText.integer(raw) { t.outputTokens = v }
                case .requestID(let batch)?:
                    t.addRequestID(raw, quoted: false, batch: batch)
                    o.other = true
                default: o.vary(tok, .number)  // e.g. the Responses API's `sequence_number`
                }
            case .literalTrue, .literalFalse:
                switch schema.field(tok.path) {
                case .stream?: t.stream = tok.kind == .literalTrue
                case .done?: if tok.kind == .literalTrue { t.streamEnded = true }
                default: break
                }
            case .null:
                break
            }
        }
    }

    /// Adds a string to the transcript, and notes how (`AIEventObservation`).
    @inline(__always)
    private static func append(_ raw: UnsafeRawBufferPointer, _ tok: JSONToken, role: AIRole, origin: AIOrigin, pending: Bool = false,
                               isName: Bool = false, mergeFrom: Int, separator: UInt8 = 0x0A, into t: AITranscript,
                               _ o: inout AIEventObservation) {
        t.append(raw, escaped: tok.escaped, role: role, origin: origin, pending: pending, isName: isName, mergeFrom: mergeFrom,
                 separator: separator)
        o.appends += 1
        o.vary(tok, .text)
        o.role = role
        o.origin = origin
        o.pending = pending
        o.isName = isName
        o.mergeFrom = mergeFrom
        o.separator = separator
    }

    /// The origin a content block's (or a stream event's) `type` gives its text, if any.
    static func origin(ofBlock raw: UnsafeRawBufferPointer) -> AIOrigin? {
        if JSONText.equals(raw, "tool_result") || JSONText.equals(raw, "function_call_output")
            || JSONText.equals(raw, "mcp_tool_result") || JSONText.equals(raw, "web_search_tool_result") {
            return .toolResult
        }
        if JSONText.equals(raw, "tool_use") || JSONText.equals(raw, "function_call") || JSONText.equals(raw, "server_tool_use")
            || JSONText.equals(raw, "response.function_call_arguments.delta") || JSONText.equals(raw, "mcp_tool_use") {
            return .toolCall
        }
        return nil
    }

    static func role(of origin: AIOrigin) -> AIRole {
        switch origin {
        case .system: .system
        case .user: .user
        case .assistant, .toolCall: .assistant
        case .toolResult, .mcpToolOutput, .mcpToolDescription: .tool
        }
    }
}
