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
    var blockedKinds: UInt8 = 0
    /// The answer's HTTP parser as it stood before the packet being inspected.
    var responseBefore: HTTPMessageParser?
    /// The rate table refused an identity during this packet.
    var rateRefused = false
    /// The packet's inspected message came over HTTP/2: a blocked request cannot be answered
    /// with an HTTP/1 error, the session is reset instead.
    var http2 = false
    var pending: [Pending] = []
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
        responseBefore = nil
    }

    /// Inspects one HTTP message's body (`operation` from its request), keeps its record
    /// when it has detections, and leaves the block for the packet's verdict.
    func inspect(_ operation: AIOperation, isResponse: Bool, contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer,
                 seconds: Int64, cut: Bool = false) {
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
        guard found.count > 0 else { return }
        detections &+= UInt64(found.count)
        let action = AIDecision.action(found, profile: p)
        var list: [AIRecord.Detection] = []
        var reasons: [String] = []
        for k in 0..<found.count {
            let d = found.items[k]
            let segment = Int(d.segment)
            let span = UnsafeRawBufferPointer(start: t.text + Int(d.start), count: Int(d.length))
            let kindAction = p.action(d.kind.policyName)
            list.append(AIRecord.Detection(
                kind: d.kind.name, type: d.type.description, score: Double(d.score),
                role: segment >= 0 ? t[segment].role.name : nil, origin: segment >= 0 ? t[segment].origin.name : nil,
                span: AIMask.mask(span, type: d.type), action: kindAction.rawValue))
            if kindAction == .block && !reasons.contains(d.kind.name) { reasons.append(d.kind.name) }
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
            blockedRequest = AIDecision.blockResponse(operation, reason: reasons.joined(separator: ", "))
        }
    }
}
