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
    /// Streamed answers inspected while they flow (`AIStreamTable`).
    let streams: AIStreamTable
    /// The stream table refused an answer during this packet.
    var streamRefused = false
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
    /// its stream (`HTTP2BlockAnswer`), `http2Stream`, and a blocked answer's stream is
    /// ended, when the frames allow it. For that: where in the server's packet the frame
    /// carrying the block began (-1: in an earlier packet), whether the answer is an event
    /// stream (SSE or NDJSON: it can end with an error event), the room the client's flow
    /// control leaves on the stream, and the stream a GOAWAY may call the last processed.
    var http2 = false
    var http2Stream: UInt32 = 0
    var http2Keep = -1
    var http2EventStream = false
    var http2Window: Int64 = 0
    var http2LastStream: UInt32 = 0
    var pending: [Pending] = []
    /// The check of URLs in model output: its lookup memory, and what the last exchange's
    /// check found (categories, URLs not listed, limits hit during this packet).
    let urls = AIURLCheck()
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

    init(profiles: [AISecurityProfile], rateEntries: Int, streamSlots: Int = 64) {
        inspector = AIInspector()
        self.profiles = profiles
        settings = profiles.map(AIInspectionSettings.init)
        rates = AIRateTable(capacity: rateEntries)
        streams = AIStreamTable(capacity: streamSlots)
    }

    func adopt(_ profiles: [AISecurityProfile]) {
        self.profiles = profiles
        settings = profiles.map(AIInspectionSettings.init)
    }

    func beginPacket() {
        blockedRequest = nil
        blockedResponse = false
        rateRefused = false
        streamRefused = false
        http2 = false
        http2Stream = 0
        http2Keep = -1
        http2EventStream = false
        http2Window = 0
        http2LastStream = 0
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
        self.urls.begin()
        if let urls, p.urlFilteringIndex >= 0, Int(p.urlFilteringIndex) < urls.table.profiles.count, p.action(.url) != .allow {
            self.urls.check(t, profile: Int(p.urlFilteringIndex), store: urls.store, table: urls.table, into: &found)
        }
        guard found.count > 0 else { return }
        report(found, transcript: t, operation: operation, isResponse: isResponse)
    }

    /// A streamed answer in its `AIStreamTable` slot, after the packet that fed it (`final`:
    /// its last): what its text gained is inspected; a new blocking detection blocks the
    /// answer now (the stream ends at this packet), and the stream's record (every
    /// detection so far) is written then, or at its end.
    func inspectStream(_ k: Int32, final: Bool, seconds: Int64, store: IndicatorStore?, urlProfiles: URLProfileTable,
                       checkURLs: Bool) {
        guard profile >= 0, profile < profiles.count, k >= 0, Int(k) < streams.capacity, streams.entries[Int(k)].inUse else { return }
        let p = profiles[profile]
        let s = settings[profile]
        let t = streams.transcripts[Int(k)]
        if final { streams.finish(k) }
        // The entry is worked on in place (its detections are a kilobyte: no copy a look).
        let e = Int(k)
        guard !streams.entries[e].reported else { return }
        let from = streams.entries[e].checked
        guard final || t.used > from || t.events > s.maxStreamEvents else { return }
        inspector.inspectStreamPart(t, from: from, settings: s, into: &streams.entries[e].found)
        if checkURLs, p.urlFilteringIndex >= 0, Int(p.urlFilteringIndex) < urlProfiles.profiles.count, p.action(.url) != .allow {
            self.urls.begin()
            self.urls.check(t, profile: Int(p.urlFilteringIndex), store: store, table: urlProfiles, from: from,
                            into: &streams.entries[e].found)
            for c in self.urls.categories where streams.entries[e].urlCategories.count < AIDetections.capacity {
                streams.entries[e].urlCategories.append(c)
            }
            streams.entries[e].urlsNotListed += self.urls.notListed
        }
        streams.entries[e].checked = t.used
        // Not reported yet: a blocking detection among them is new, found by this look.
        let blocks = streams.entries[e].found.count > 0 && AIDecision.action(streams.entries[e].found, profile: p) == .block
        guard final || blocks else { return }
        if final, s.tokensPerMinute != nil, t.outputTokens > 0 {
            _ = rates.addTokens(identity: identity, seconds: seconds, tokens: UInt64(t.outputTokens))
        }
        streams.entries[e].reported = true
        exchanges &+= 1
        guard streams.entries[e].found.count > 0 else { return }
        self.urls.categories = streams.entries[e].urlCategories
        self.urls.notListed = streams.entries[e].urlsNotListed
        report(streams.entries[e].found, transcript: t, operation: streams.entries[e].operation, isResponse: true)
    }

    /// Writes the record of one message's detections and leaves its block for the packet's
    /// verdict.
    private func report(_ found: AIDetections, transcript t: AITranscript, operation: AIOperation, isResponse: Bool) {
        let p = profiles[profile]
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
                kind: d.kind.name, type: isURL ? self.urls.category(at: d.start) : d.type.description,
                score: Double(d.score),
                role: segment >= 0 ? t[segment].role.name : nil, origin: segment >= 0 ? t[segment].origin.name : nil,
                span: isURL ? AIURLCheck.mask(span) : AIMask.mask(span, type: d.type), action: kindAction.rawValue))
            if kindAction == .block && !reasons.contains(d.kind.name) { reasons.append(d.kind.name) }
            if isURL { lastURL = list.count - 1 }
        }
        if lastURL >= 0 { list[lastURL].note = self.urls.note }
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
}
