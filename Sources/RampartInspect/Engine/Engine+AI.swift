import RampartPolicy
import RampartWire

extension Engine {
    /// Sets the AI stage up for this packet of an allowed session: the profile of the rule
    /// that allowed it (none until App-ID has named the application and the rule is
    /// final), and the client's identity for the rate limits.
    mutating func beginAI(_ slot: SessionSlot) {
        guard let ai else { return }
        ai.beginPacket()
        ai.profile = -1
        guard sessions[slot].decisionIsFinal, sessions[slot].action == RuleAction.allow.rawValue else { return }
        let profile = Int(policy.profiles(ofRule: sessions[slot].ruleIndex).ai)
        guard profile >= 0 else { return }
        ai.profile = profile
        ai.identity = sessions[slot].client.address.hashValue64
        ai.isMCP = sessions[slot].application == AIApplications.mcp
    }

    /// An HTTP message of a session with an AI profile is complete (or filled the message
    /// buffer): a request to an AI operation is parsed and inspected; its answer, with the
    /// operation the request named.
    /// `cut`: the body filled the message buffer (`detection.messageBytes`); what is beyond it
    /// is not inspected, so a request that long is an oversized prompt.
    mutating func inspectAIMessage(state: Int32, toServer: Bool, block: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer,
                                   cut: Bool) {
        guard let ai, ai.profile >= 0 else { return }
        let s = Int(state)
        let fields = HTTPHeaderFields(block)
        if toServer {
            guard let line = fields.startLine, let parts = HTTPHeaderFields.requestLine(line),
                  let operation = AIOperation.classify(path: UnsafeRawBufferPointer(rebasing: line[parts.target]), mcp: ai.isMCP)
            else {
                detector!.states[s].aiOperation = 0xFF
                return
            }
            detector!.states[s].aiOperation = operation.rawValue
        }
        guard let operation = AIOperation(rawValue: detector!.states[s].aiOperation) else { return }
        // Bodies as the model reads them: gzip and deflate inflated in the matcher's arena.
        var content = body
        let scratch = detector!.scratch
        if let encoding = fields.value(named: "content-encoding"), HTTPBuffers.isCompressed(encoding) {
            scratch.beginInspection()
            let room = min(256 << 10, scratch.arenaCapacity - scratch.arenaUsed)
            if room > 0, let out = scratch.reserve(0), let n = scratch.inflater.inflate(body, into: out, capacity: room) {
                scratch.arenaUsed += n
                content = UnsafeRawBufferPointer(start: out, count: n)
            }
        }
        let checksURLs = ai.profiles[ai.profile].urlFilteringIndex >= 0
        ai.inspect(operation, isResponse: !toServer, contentType: fields.value(named: "content-type"), body: content,
                   seconds: now.seconds, cut: cut, urls: checksURLs ? (indicatorStore, urlProfiles) : nil)
    }

    /// Counts an AI message's body bytes as they pass (beyond the message buffer too): an
    /// answer over the profile's `maxStreamBytes` is a runaway stream, reported once, while it
    /// still flows.
    mutating func countAIBody(state: Int32, toServer: Bool, parser: HTTPMessageParser, consumed: Int,
                              event: HTTPMessageParser.Event?) {
        guard let ai, ai.profile >= 0 else { return }
        let s = Int(state)
        if event == .headersComplete {
            detector!.states[s].aiBodyBytes = 0
            if !toServer { detector!.states[s].aiRunawayReported = false }
            return
        }
        guard parser.mode == .body || event == .messageComplete else { return }
        detector!.states[s].aiBodyBytes &+= Int64(consumed)
        guard !toServer, !detector!.states[s].aiRunawayReported,
              let operation = AIOperation(rawValue: detector!.states[s].aiOperation),
              detector!.states[s].aiBodyBytes > Int64(ai.settings[ai.profile].maxStreamBytes) else { return }
        detector!.states[s].aiRunawayReported = true
        ai.runaway(operation, bytes: detector!.states[s].aiBodyBytes)
    }

    /// After the packet's HTTP messages: the records of what was found, and the verdict when
    /// the profile blocks (a request: the client gets the API's error, the server a reset;
    /// an answer: the session is reset both ways). Later packets of a blocked session are dropped.
    mutating func finishAI<Sink: EventSink>(_ slot: SessionSlot, packet: DecodedPacket, payload: UnsafeRawBufferPointer,
                                            packetNumber: UInt64, sink: inout Sink) -> Verdict? {
        guard let ai else { return nil }
        if ai.rateRefused { limitReached(.aiRateTable, packet: packet, packetNumber: packetNumber, sink: &sink) }
        if !ai.pending.isEmpty {
            let session = sessions[slot]
            let clientTags = policy.tags(inSet: session.clientTagSet).map(\.description)
            let serverTags = policy.tags(inSet: session.serverTagSet).map(\.description)
            let profileName = ai.profile >= 0 && ai.profile < ai.profiles.count ? ai.profiles[ai.profile].name : nil
            let application = session.application.map { ApplicationCatalog.name(of: $0) } ?? "http"
            for p in ai.pending {
                sink.ai(AIRecord(
                    timestamp: now, flowID: Engine.flowID(of: session), sourceAddress: session.client.address, sourcePort: session.client.port,
                    destinationAddress: session.server.address, destinationPort: session.server.port, application: application,
                    provider: p.operation.provider.name, operation: p.operation.name, model: p.model, method: p.method,
                    direction: p.isResponse ? "response" : "request", stream: p.stream, inputTokens: p.inputTokens,
                    outputTokens: p.outputTokens, tokensEstimated: p.estimated, detections: p.detections,
                    action: p.action == .block ? "blocked" : (p.action == .alert ? "alerted" : "allowed"), profile: profileName,
                    sourceTags: clientTags, destinationTags: serverTags))
            }
            ai.pending.removeAll(keepingCapacity: true)
        }
        if let response = ai.blockedRequest {
            ai.blockedRequest = nil
            sessions[slot].profileFlags.insert(.aiBlocked)
            if ai.http2 {
                // The answer on the blocked stream, when the server's bytes end on a frame
                // boundary (frames injected into a half-read frame would break the
                // connection); otherwise the connection is reset.
                let state = sessions[slot].detectionState
                guard state >= 0, detector!.http2.hasConnection(state),
                      detector!.http2.connections[Int(state)].server.atFrameBoundary,
                      let frames = HTTP2BlockAnswer.frames(stream: ai.http2Stream, answer: response, lastStream: ai.http2LastStream,
                                                           window: ai.http2Window)
                else { return .reset(toClient: true, toServer: true) }
                // A server that has not spoken yet (a client with prior knowledge sends its
                // request at once): its connection preface, a SETTINGS frame, must come first;
                // the firewall sends an empty one (the defaults) and acknowledges the client's.
                let silent = detector!.http2.connections[Int(state)].server.frames == 0
                aiResponse = silent ? HTTP2BlockAnswer.serverPreface + frames : frames
                return .respond
            }
            aiResponse = response
            return .respond
        }
        if ai.blockedResponse {
            ai.blockedResponse = false
            let state = sessions[slot].detectionState
            if ai.http2 && ai.http2Stream != 0 {
                sessions[slot].profileFlags.insert(.aiBlocked)
                return endHTTP2Answer(state: state, payload: payload, kinds: ai.blockedKinds)
            }
            if ai.blockedStream, state >= 0, ai.responseBefore?.body == .chunked {
                // Ended at a chunk boundary with an error event (below), on this packet or a
                // following one.
                detector!.states[Int(state)].aiEndWaited = 1
                detector!.states[Int(state)].aiEndKinds = ai.blockedKinds
            } else {
                sessions[slot].profileFlags.insert(.aiBlocked)
                return .reset(toClient: true, toServer: true)
            }
        }
        let state = sessions[slot].detectionState
        if state >= 0, detector!.states[Int(state)].aiEndWaited > 0, let before = ai.responseBefore {
            return endAIStream(slot, state: state, before: before, payload: payload)
        }
        return nil
    }

    /// A chunked event stream blocked by its profile ends with the stream's error event as
    /// its last chunk, so the SDK reads an error rather than a cut connection: the first
    /// server packet whose framing can be followed (the HTTP parser's state before it) is
    /// replaced by what finishes the chunk under way (this packet's first bytes), that chunk and
    /// the terminating one (`.respond` with
    /// `aiResponseReplacesPacket`); the server is reset. Packets before it pass; after 32
    /// without such a boundary, the session is reset both ways.
    mutating func endAIStream(_ slot: SessionSlot, state: Int32, before: HTTPMessageParser,
                              payload: UnsafeRawBufferPointer) -> Verdict? {
        let s = Int(state)
        // The bytes of this packet that finish the chunk under way, kept before the error chunk.
        var keep = -1
        if before.mode == .body && before.body == .chunked {
            switch before.chunk {
            case .size where before.remaining == 0:
                keep = 0
            case .data:
                let rest = Int(before.remaining)
                if rest + 2 <= payload.count && payload[rest] == 0x0D && payload[rest + 1] == 0x0A { keep = rest + 2 }
            case .dataEnd:
                if let lf = payload.firstIndex(of: 0x0A) { keep = lf + 1 }
            default:
                break
            }
        }
        guard keep >= 0 else {
            detector!.states[s].aiEndWaited &+= 1
            if detector!.states[s].aiEndWaited > 32 {
                detector!.states[s].aiEndWaited = 0
                sessions[slot].profileFlags.insert(.aiBlocked)
                return .reset(toClient: true, toServer: true)
            }
            return .forward
        }
        let kinds = detector!.states[s].aiEndKinds
        detector!.states[s].aiEndWaited = 0
        let reason = AIDetectionKind.names(kinds)
        let operation = AIOperation(rawValue: detector!.states[s].aiOperation) ?? .chatCompletions
        let event = AIDecision.streamError(operation, reason: reason)
        aiResponse = Array(payload[0..<keep]) + Array(String(event.count, radix: 16).utf8) + [0x0D, 0x0A] + event
            + Array("\r\n0\r\n\r\n".utf8)
        aiResponseReplacesPacket = true
        sessions[slot].profileFlags.insert(.aiBlocked)
        return .respond
    }
}

extension Engine {
    /// A blocked answer over HTTP/2 ends its stream in the client's view, in place of the
    /// server's packet: the frames before the one that carried the block pass, then an event
    /// stream ends with its error event in a DATA frame with END_STREAM (a whole answer with
    /// RST_STREAM, CANCEL), then GOAWAY naming the highest stream the client opened (every
    /// one reached the server); the server is reset. When the frame began in an earlier packet
    /// (part of it already forwarded), the packet held more than its own new bytes, or the
    /// client's flow control leaves no room for the event, the session is reset both ways.
    mutating func endHTTP2Answer(state: Int32, payload: UnsafeRawBufferPointer, kinds: UInt16) -> Verdict {
        guard let ai, ai.http2Keep >= 0, ai.http2Keep <= payload.count, state >= 0, detector!.http2.hasConnection(state)
        else { return .reset(toClient: true, toServer: true) }
        let reader = detector!.http2.connections[Int(state)].server
        let event = ai.blockedStream && ai.http2EventStream
            ? AIDecision.streamError(ai.blockedOperation, reason: AIDetectionKind.names(kinds)) : nil
        guard reader.position - reader.packetStart == Int64(payload.count),
              let frames = HTTP2BlockAnswer.streamEnd(stream: ai.http2Stream, event: event, lastStream: ai.http2LastStream,
                                                      window: ai.http2Window)
        else { return .reset(toClient: true, toServer: true) }
        aiResponse = Array(payload[0..<ai.http2Keep]) + frames
        aiResponseReplacesPacket = true
        return .respond
    }
}

extension AIDetectionKind {
    /// The names of the kinds set in `kinds` (one bit per kind), as an error message lists them.
    static func names(_ kinds: UInt16) -> String {
        allCases.filter { kinds & (1 << $0.rawValue) != 0 }.map(\.name).joined(separator: ", ")
    }
}

extension IPAddress {
    /// A 64-bit identity of the address for the AI rate table.
    var hashValue64: UInt64 { high ^ (low &* 0x9E37_79B9_7F4A_7C15) ^ (low >> 29) }
}
