import RampartPolicy
import RampartWire

/// What the engine keeps for AI security profiles, allocated once when the policy has any:
/// the inspector (its transcripts and scratch), each profile's compiled settings, the
/// per-identity rate table, and what the last HTTP message's inspection left for the
/// packet's verdict and records (cold: only exchanges with detections make records).
final class AIEngineState {
    let inspector: AIInspector
    var profiles: [AISecurityProfile]
    var settings: [AIInspectionSettings]
    var rates: AIRateTable
    /// Set by the stage for the packet being inspected: the session's AI profile (-1: none),
    /// its client's identity, whether App-ID named it MCP.
    var profile = -1
    var identity: UInt64 = 0
    var isMCP = false
    /// Left by an inspection for the packet's verdict: a blocked request's answer, or a
    /// blocked answer (the session is reset).
    var blockedRequest: [UInt8]?
    var blockedResponse = false
    /// The operation of the blocked answer, and whether it was streamed.
    var blockedOperation = AIOperation.chatCompletions
    var blockedStream = false
    var blockedReason = ""
    /// The blocking detection kinds of the blocked answer (one bit per `AIDetectionKind`).
    var blockedKinds: UInt16 = 0
    /// The answer's HTTP parser as it stood before the packet being inspected.
    var responseBefore: HTTPMessageParser?
    /// The rate table refused an identity during this packet.
    var rateRefused = false
    /// The packet's inspected message came over HTTP/2: a blocked request is answered on
    /// its stream (`HTTP2BlockAnswer`), `http2Stream`, when the server's frames allow it.
    var http2 = false
    var http2Stream: UInt32 = 0
    var pending: [Pending] = []
    /// URL detections' categories by span start, for the exchange being inspected (cold:
    /// filled only for URLs the URL filtering profile does not allow).
    var urlCategories: [(start: Int32, category: String)] = []
    /// The URL path normalisation memory of the URL checks.
    var urlBuffer = URLPathBuffer(capacity: 4096)
    /// Refused URLs of the exchange being inspected past `AIDetections.urlCapacity`: counted
    /// in its record's note, not listed.
    var urlsNotListed = 0
    /// Set by an inspection during this packet, for the engine to count and log as limits
    /// (`EngineLimit.aiURLsPerSegment`, `.aiURLDetections`), then cleared by it.
    var urlScanLimitHit = false
    var urlDetectionLimitHit = false
    /// Counters for /metrics and the summary.
    var exchanges: UInt64 = 0
    var detections: UInt64 = 0
    var blocked: UInt64 = 0

    struct Pending {
        var operation: AIOperation
        var isResponse: Bool
        var model: String?
        var method: String?
        var stream: Bool
        var inputTokens: Int64?
        var outputTokens: Int64?
        var estimated: Bool
        var detections: [AIRecord.Detection]
        var action: AIAction
    }

    /// An answer passed the profile's `maxStreamBytes` on the wire: recorded, and blocked
    /// (the session reset) when the profile says so.
    func runaway(_ operation: AIOperation, bytes: Int64) {
        guard profile >= 0, profile < profiles.count else { return }
        let action = profiles[profile].action(.runawayStream)
        guard action != .allow else { return }
        detections &+= 1
        pending.append(Pending(
            operation: operation, isResponse: true, model: nil, method: nil, stream: true, inputTokens: nil, outputTokens: nil,
            estimated: false,
            detections: [AIRecord.Detection(kind: "runaway-stream", type: "stream-bytes", score: 1, role: nil, origin: nil,
                                            span: "\(bytes) bytes", action: action.rawValue)],
            action: action))
        if action == .block {
            blocked &+= 1
            blockedResponse = true
            blockedOperation = operation
            blockedStream = true
            blockedReason = "runaway-stream"
            blockedKinds = 1 << AIDetectionKind.runawayStream.rawValue
        }
    }

    init(profiles: [AISecurityProfile], rateEntries: Int) {
        inspector = AIInspector()
        self.profiles = profiles
        settings = profiles.map(AIInspectionSettings.init)
        rates = AIRateTable(capacity: rateEntries)
    }

    func adopt(_ profiles: [AISecurityProfile]) {
        self.profiles = profiles
        settings = profiles.map(AIInspectionSettings.init)
    }

    func beginPacket() {
        blockedRequest = nil
        blockedResponse = false
        rateRefused = false
        http2 = false
        http2Stream = 0
        responseBefore = nil
    }

    /// Inspects one HTTP message's body (`operation` from its request), keeps its record
    /// when it has detections, and leaves the block for the packet's verdict.
    /// `urls`: the indicator store and the URL filtering profiles, when this profile checks
    /// URLs in model output (`urlFiltering`).
    func inspect(_ operation: AIOperation, isResponse: Bool, contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer,
                 seconds: Int64, cut: Bool = false, urls: (store: IndicatorStore?, table: URLProfileTable)? = nil) {
        guard profile >= 0, profile < profiles.count else { return }
        let p = profiles[profile]
        let s = settings[profile]
        exchanges &+= 1
        var found: AIDetections
        let t: AITranscript
        if isResponse {
            found = inspector.inspectResponse(operation, contentType: contentType, body: body, settings: s)
            t = inspector.response

            if s.tokensPerMinute != nil, t.outputTokens > 0 {
                _ = rates.addTokens(identity: identity, seconds: seconds, tokens: UInt64(t.outputTokens))
            }
        } else {
            found = inspector.inspectRequest(operation, body: body, settings: s)
            t = inspector.request
            if cut {
                // Beyond the message buffer nothing is inspected: the prompt is too long to vouch for.
                found.add(AIDetection(kind: .oversizedPrompt, type: "beyond-inspection-buffer", score: 1, segment: -1, start: 0, length: 0))
            }
            if s.requestsPerMinute != nil || s.tokensPerMinute != nil {
                let tokens = UInt64(max(0, t.estimatedTokens))
                let counted = rates.record(identity: identity, seconds: seconds, tokens: tokens)
                if counted == nil { rateRefused = true }
                if let (requests, total) = counted {
                    if let limit = s.requestsPerMinute, Int(requests) > limit {
                        found.add(AIDetection(kind: .rateLimit, type: "requests-per-minute", score: 1, segment: -1, start: 0, length: 0))
                    }
                    if let limit = s.tokensPerMinute, Int(total) > limit {
                        found.add(AIDetection(kind: .rateLimit, type: "tokens-per-minute", score: 1, segment: -1, start: 0, length: 0))
                    }
                }
            }
        }
        if !urlCategories.isEmpty { urlCategories.removeAll(keepingCapacity: true) }
        urlsNotListed = 0
        if let urls, p.urlFilteringIndex >= 0, Int(p.urlFilteringIndex) < urls.table.profiles.count, p.action(.url) != .allow {
            checkURLs(t, profile: Int(p.urlFilteringIndex), store: urls.store, table: urls.table, into: &found)
        }
        guard found.count > 0 else { return }
        detections &+= UInt64(found.count)
        let action = AIDecision.action(found, profile: p)
        var list: [AIRecord.Detection] = []
        var reasons: [String] = []
        var lastURL = -1
        for k in 0..<found.count {
            let d = found.items[k]
            let segment = Int(d.segment)
            let span = UnsafeRawBufferPointer(start: t.text + Int(d.start), count: Int(d.length))
            let kindAction = p.action(d.kind.policyName)
            let isURL = d.kind == .url
            list.append(AIRecord.Detection(
                kind: d.kind.name, type: isURL ? (urlCategories.first { $0.start == d.start }?.category ?? "url") : d.type.description,
                score: Double(d.score),
                role: segment >= 0 ? t[segment].role.name : nil, origin: segment >= 0 ? t[segment].origin.name : nil,
                span: isURL ? AIEngineState.maskURL(span) : AIMask.mask(span, type: d.type), action: kindAction.rawValue))
            if kindAction == .block && !reasons.contains(d.kind.name) { reasons.append(d.kind.name) }
            if isURL { lastURL = list.count - 1 }
        }
        if urlsNotListed > 0 && lastURL >= 0 {
            list[lastURL].note = "\(urlsNotListed) more URL\(urlsNotListed == 1 ? "" : "s") refused, not listed "
                + "(\(AIDetections.urlCapacity) listed a message)"
        }
        pending.append(Pending(
            operation: operation, isResponse: isResponse, model: t.modelName, method: t.methodName, stream: t.stream,
            inputTokens: t.inputTokens >= 0 ? t.inputTokens : (isResponse ? nil : t.estimatedTokens),
            outputTokens: t.outputTokens >= 0 ? t.outputTokens : nil, estimated: t.inputTokens < 0 && !isResponse,
            detections: list, action: action))
        guard action == .block else { return }
        blocked &+= 1
        if isResponse {
            blockedResponse = true
            blockedOperation = operation
            blockedStream = t.stream
            blockedReason = reasons.joined(separator: ", ")
            blockedKinds = 0
            for k in 0..<found.count where p.action(found.items[k].kind.policyName) == .block {
                blockedKinds |= 1 << found.items[k].kind.rawValue
            }
        } else {
            blockedRequest = AIDecision.blockResponse(operation, reason: reasons.joined(separator: ", "),
                                                      requestIDs: t.requestIDList, batch: t.requestIsBatch)
        }
    }

    /// URLs in model output (assistant text, tool calls, tool results, MCP output) looked up
    /// as URL filtering looks up a request: a URL whose category the profile does not allow
    /// is a `url` detection, its span the URL and its type (in the record) the category.
    /// Every refused URL of a segment is one, up to `AIDetections.urlCapacity` a message
    /// (the rest counted in `urlsNotListed`); at most `AIURLScanner.limit` URLs a segment
    /// are looked at (more: `urlScanLimitHit`).
    func checkURLs(_ t: AITranscript, profile: Int, store: IndicatorStore?, table: URLProfileTable, into found: inout AIDetections) {
        var listed = found.count(of: .url)
        for k in 0..<t.segmentCount {
            let seg = t[k]
            guard !seg.isName else { continue }
            switch seg.origin {
            case .assistant, .toolCall, .toolResult, .mcpToolOutput: break
            case .system, .user, .mcpToolDescription: continue
            }
            let text = UnsafeRawBufferPointer(start: t.text + Int(seg.start), count: Int(seg.length))
            let more = AIURLScanner.scan(text) { u in
                let host = UnsafeRawBufferPointer(rebasing: text[u.hostStart..<(u.hostStart + u.hostLength)])
                let match: IndicatorMatch?
                if u.pathLength > 0 {
                    let path = UnsafeRawBufferPointer(rebasing: text[u.pathStart..<(u.pathStart + u.pathLength)])
                    match = store?.classify(host: host, path: path, buffer: &urlBuffer).match
                } else {
                    match = AIEngineState.slash.withUnsafeBytes { store?.classify(host: host, path: $0, buffer: &urlBuffer).match }
                }
                let verdict = table.decide(profile, match: match, store: store)
                guard verdict.action != .allow else { return }
                guard listed < AIDetections.urlCapacity else {
                    urlsNotListed += 1
                    urlDetectionLimitHit = true
                    return
                }
                let start = seg.start + Int32(u.start)
                let before = found.count
                found.add(AIDetection(kind: .url, type: "url", score: 1, segment: Int32(k), start: start, length: Int32(u.length)))
                if found.count > before {
                    listed += 1
                    urlCategories.append((start, verdict.category))
                }
            }
            if more { urlScanLimitHit = true }
        }
    }

    static let slash: [UInt8] = [0x2F]

    /// A URL as logged: scheme and host in clear (what the category is about), the path and
    /// query masked (they may carry tokens). A name without a scheme (`evil.example/x`)
    /// likewise.
    static func maskURL(_ span: UnsafeRawBufferPointer) -> String {
        var hostStart = 0
        for k in 0..<min(span.count, 6) where span[k] == UInt8(ascii: ":") {
            if k + 2 < span.count && span[k + 1] == UInt8(ascii: "/") && span[k + 2] == UInt8(ascii: "/") { hostStart = k + 3 }
            break
        }
        var hostEnd = span.count
        for k in hostStart..<span.count
        where span[k] == UInt8(ascii: "/") || span[k] == UInt8(ascii: "?") || span[k] == UInt8(ascii: "#") {
            hostEnd = k
            break
        }
        let head = String(decoding: span[0..<min(hostEnd, 256)], as: UTF8.self)
        let rest = span.count - hostEnd
        return rest > 0 ? head + String(repeating: "*", count: min(rest, 64)) : head
    }
}
