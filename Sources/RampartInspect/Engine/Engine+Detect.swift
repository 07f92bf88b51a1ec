import RampartPolicy
import RampartRules
import RampartWire

extension Engine {
    /// The signature matcher's stage, after reassembly and App-ID, for a packet of an
    /// allowed session: the stream window and the HTTP messages the packet completed, the
    /// packet's own payload, a DNS query, a TLS ClientHello. Writes an alert per matching
    /// rule; inline (`detection.blocking`), a drop or reject rule's verdict replaces the
    /// policy's for this packet and the rest of the session.
    ///
    /// Not inlined into `process`: engines without rules pay one branch.
    @usableFromInline
    mutating func detect<Sink: EventSink>(
        _ slot: SessionSlot, packet: DecodedPacket, direction: FlowDirection, frame: UnsafeRawBufferPointer,
        packetNumber: UInt64, sink: inout Sink
    ) -> Verdict? {
        guard detector != nil else { return nil }
        detector!.beginPacket()
        aiResponse = nil
        aiResponseReplacesPacket = false
        detectingSlot = slot
        urlLaterVerdict = nil
        urlLaterContinueRefused = false
        if ai != nil { beginAI(slot) }
        let toServer = sessions[slot].streamDirection(of: direction) == .toServer
        let state = sessions[slot].detectionState
        let application = detectionApplication(slot, state: state)
        let established: Bool
        if packet.ipProtocol == .tcp {
            switch sessions[slot].tcpState {
            case .established, .finWait, .closing, .timeWait: established = true
            default: established = sessions[slot].flags.contains(.midstream) && sessions[slot].flags.contains(.bothSidesSeen)
            }
        } else {
            established = sessions[slot].flags.contains(.bothSidesSeen)
        }
        var ctx = DetectContext(
            packet: packet, frame: frame, toServer: toServer, established: established, application: application,
            fromFragments: inReassembledDatagram,
            second: now.seconds, state: state)
        let serverPort = sessions[slot].server.port
        if packet.ipProtocol == .tcp, sessions[slot].stream != .none, sessions[slot].stream != .disabled {
            let syn: UInt64 = 1
            ctx.clientStreamSize = UInt64(streams.delivered(sessions[slot].stream, direction: .toServer)) + syn
            ctx.serverStreamSize = UInt64(streams.delivered(sessions[slot].stream, direction: .toClient)) + syn
        }
        let payload: UnsafeRawBufferPointer
        if packet.payloadOffset >= 0, packet.payloadLength >= 0, packet.payloadOffset + packet.payloadLength <= frame.count {
            payload = UnsafeRawBufferPointer(rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)])
        } else {
            payload = UnsafeRawBufferPointer(start: nil, count: 0)
        }
        let scratch = detector!.scratch
        if sessions[slot][toServer ? .toServer : .toClient].packets == 1 { detector!.inspectAddresses(&ctx) }
        var reassembled = false
        if packet.ipProtocol == .tcp {
            let stream = sessions[slot].stream
            reassembled = state >= 0 && stream != .none && stream != .disabled
                && !streams.isDone(stream, direction: toServer ? .toServer : .toClient)
            if scratch.tapStarted {
                let newBytes = scratch.windowLength - scratch.tapTailLength
                detector!.inspectStream(newBytes: newBytes, serverPort: serverPort, &ctx)
                if state >= 0 { detectHTTP(state: state, newBytes: newBytes, &ctx) }
                if state >= 0 && toServer && application == .smtp && detector!.files != nil {
                    detectMail(state: state, newBytes: newBytes)
                }
                if state >= 0 && !toServer && application == .tls && !detector!.states[Int(state)].certificateDone {
                    detectCertificate(state: state, newBytes: newBytes, &ctx)
                }
                if state >= 0 { keepTail(state: state, toServer: toServer) }
                reassembled = true
            }
            scratch.tapStarted = false
        }
        detector!.inspectPacket(payload, serverPort: serverPort, reassembled: reassembled, &ctx)
        if packet.ipProtocol == .udp && toServer && application == .dns,
           let out = scratch.reserve(0), scratch.arenaCapacity - scratch.arenaUsed >= 256,
           let n = DNSQueryName.read(payload, into: out) {
            scratch.beginInspection()
            scratch.setSource(.payload, payload)
            scratch.setSource(.dnsQuery, UnsafeRawBufferPointer(start: scratch.arena, count: 0))
            if let name = scratch.reserve(n) {
                name.copyMemory(from: out, byteCount: n)
                scratch.setSource(.dnsQuery, UnsafeRawBufferPointer(start: name, count: n))
                detector!.inspectPhase(.dnsQuery, &ctx)
            }
        }
        if application == .tls && state >= 0 && !detector!.states[Int(state)].tlsInspected {
            detectTLS(slot, state: state, &ctx)
        }
        let limits = detector!.limitsHit
        if limits != 0 {
            if limits & Detector.stateLimit != 0 { limitReached(.detectStates, packet: packet, packetNumber: packetNumber, sink: &sink) }
            if limits & Detector.flowbitLimit != 0 { limitReached(.detectFlowbits, packet: packet, packetNumber: packetNumber, sink: &sink) }
            if limits & Detector.thresholdLimit != 0 { limitReached(.detectThresholds, packet: packet, packetNumber: packetNumber, sink: &sink) }
            if limits & Detector.xbitLimit != 0 { limitReached(.detectXbits, packet: packet, packetNumber: packetNumber, sink: &sink) }
            if limits & Detector.fileLimit != 0 { limitReached(.detectFiles, packet: packet, packetNumber: packetNumber, sink: &sink) }
            if limits & Detector.inflaterLimit != 0 {
                limitReached(.detectFileInflaters, packet: packet, packetNumber: packetNumber, sink: &sink)
            }
            if limits & Detector.http2StreamLimit != 0 {
                limitReached(.http2Streams, packet: packet, packetNumber: packetNumber, sink: &sink)
            }
        }
        if urlLaterContinueRefused { limitReached(.urlContinues, packet: packet, packetNumber: packetNumber, sink: &sink) }
        if let verdict = urlLaterVerdict {
            urlLaterVerdict = nil
            return verdict
        }
        if let ai, ai.urls.scanLimitHit || ai.urls.detectionLimitHit {
            // URLs in model output past what one inspection looks at or lists.
            if ai.urls.scanLimitHit { limitReached(.aiURLsPerSegment, packet: packet, packetNumber: packetNumber, sink: &sink) }
            if ai.urls.detectionLimitHit { limitReached(.aiURLDetections, packet: packet, packetNumber: packetNumber, sink: &sink) }
            ai.urls.scanLimitHit = false
            ai.urls.detectionLimitHit = false
        }
        if ai != nil, let verdict = finishAI(slot, packet: packet, payload: payload, packetNumber: packetNumber, sink: &sink) { return verdict }
        var fileVerdict: Verdict?
        if state >= 0 && detector!.files != nil {
            fileVerdict = enforceFiles(slot, state: state, toServer: toServer, isTCP: packet.ipProtocol == .tcp)
        }
        if !detector!.endedFiles.isEmpty { writeEndedFiles(slot, packetNumber: packetNumber, sink: &sink) }
        guard !detector!.matches.isEmpty else { return fileVerdict }
        return alert(slot, packet: packet, toServer: toServer, packetNumber: packetNumber, sink: &sink) ?? fileVerdict
    }

    /// Gives a session its detection state when its first data arrives (before
    /// reassembly, so the stream tap has somewhere to keep its tail).
    @usableFromInline
    mutating func openDetection<Sink: EventSink>(_ slot: SessionSlot, packet: DecodedPacket, packetNumber: UInt64,
                                                 sink: inout Sink) {
        guard detector != nil, sessions[slot].detectionState < 0, !sessions[slot].flags.contains(.detectionRefused),
              packet.payloadLength > 0 else { return }
        let state = detector!.openState()
        if state < 0 {
            sessions[slot].flags.insert(.detectionRefused)
            limitReached(.detectStates, packet: packet, packetNumber: packetNumber, sink: &sink)
            detector!.limitsHit = 0
        }
        sessions[slot].detectionState = state
    }

    /// Points the stream tap at this session direction's tail before reassembly delivers.
    @usableFromInline
    mutating func armTap(_ slot: SessionSlot, toServer: Bool) {
        guard detector != nil else { return }
        let scratch = detector!.scratch
        let state = sessions[slot].detectionState
        scratch.tapStarted = false
        scratch.tapOverflow = 0
        guard state >= 0 else {
            scratch.tapActive = false
            return
        }
        scratch.tapActive = true
        let s = detector!.states[Int(state)]
        scratch.tapTail = UnsafeRawPointer(detector!.tail(state, toServer: toServer))
        scratch.tapTailLength = toServer ? s.tailToServer : s.tailToClient
    }

    @usableFromInline
    mutating func disarmTap() { detector!.scratch.tapActive = false }

    /// Keeps the end of the window as the direction's tail for the next packet.
    mutating func keepTail(state: Int32, toServer: Bool) {
        let scratch = detector!.scratch
        let keep = min(detector!.configuration.streamWindowBytes, scratch.windowLength)
        if keep > 0 {
            detector!.tail(state, toServer: toServer).copyMemory(from: scratch.window + (scratch.windowLength - keep), byteCount: keep)
        }
        if toServer { detector!.states[Int(state)].tailToServer = keep } else { detector!.states[Int(state)].tailToClient = keep }
    }

    /// Feeds the new stream bytes to the direction's HTTP parser and inspects each header
    /// block and body it completes.
    mutating func detectHTTP(state: Int32, newBytes: Int, _ ctx: inout DetectContext) {
        let s = Int(state)
        let scratch = detector!.scratch
        var input = UnsafeRawBufferPointer(start: scratch.window + (scratch.windowLength - newBytes), count: newBytes)
        if !detector!.states[s].http2 && startsHTTP2(state: state, toServer: ctx.toServer, input: input) {
            beginHTTP2(state: state)
        }
        if detector!.states[s].http2 {
            detectHTTP2(state: state, input: input, &ctx)
            return
        }
        let application = detector!.states[s].application
        guard application == .none || application == .http1 else { return }
        let message = detector!.message(state, toServer: ctx.toServer)
        let capacity = detector!.messageCapacity
        // Where the answer's framing stood before this packet: an AI stream ended by its
        // profile can then be closed with a well-framed last chunk.
        if let ai, !ctx.toServer { ai.responseBefore = detector!.states[s].httpResponse }
        // A streamed AI answer is looked at after each packet, not only at its end.
        defer { if ai != nil && !ctx.toServer && detector!.states[s].aiStream >= 0 { checkAIStream(state: state) } }
        let owner = AIStreamTable.owner(state: state)
        while !input.isEmpty {
            var parser = ctx.toServer ? detector!.states[s].httpRequest : detector!.states[s].httpResponse
            let file = FileSlotWriter(table: detector!.files,
                                      slot: ctx.toServer ? detector!.states[s].fileToServer : detector!.states[s].fileToClient)
            var writer = HTTPBodyWriter(file: file, streams: ai?.streams, slot: ctx.toServer ? -1 : detector!.states[s].aiStream,
                                        owner: owner)
            let (consumed, event) = parser.advance(input, buffer: message, capacity: capacity, consumer: &writer)
            if ctx.toServer { detector!.states[s].httpRequest = parser } else { detector!.states[s].httpResponse = parser }
            input = UnsafeRawBufferPointer(rebasing: input[consumed...])
            if ai != nil { countAIBody(state: state, toServer: ctx.toServer, parser: parser, consumed: consumed, event: event) }
            if parser.mode == .off && detector!.states[s].application == .none { return }
            guard let event else { continue }
            if detector!.states[s].application == .none {
                detector!.states[s].application = .http1
                ctx.application = .http1
            }
            let block = UnsafeRawBufferPointer(start: message, count: parser.headerEnd)
            let phase: DetectPhase
            var body: UnsafeRawBufferPointer?
            switch event {
            case .headersComplete:
                phase = ctx.toServer ? .httpRequest : .httpResponse
                detector!.statistics.httpMessages &+= 1
                if detector!.files != nil { startHTTPFile(state: state, toServer: ctx.toServer, block: block, parser: parser) }
                if ai != nil && !ctx.toServer {
                    endAIStream(state)
                    detector!.states[s].aiStream = openAIStream(operation: detector!.states[s].aiOperation, block: block, owner: owner)
                }
                if ctx.toServer && hasURLProfiles {
                    filterLaterRequest(detectingSlot, state: state, block: block)
                    // A held request: what follows it in this packet is not the server's to see.
                    if urlLaterVerdict != nil { return }
                }
                if ctx.toServer && parser.headerEnd >= 5 && block[0] == 0x48 && block[1] == 0x45 && block[2] == 0x41
                    && block[3] == 0x44 && block[4] == 0x20 {
                    detector!.states[s].httpResponse.expectNoBody = true  // "HEAD ": its answer has no body
                }
                if !ctx.toServer && Engine.upgradesToHTTP2(block) {
                    // h2c upgrade: the request is stream 1, what follows the 101 is frames.
                    beginHTTP2(state: state, upgradedRequest: detector!.states[s].httpRequest.length)
                    scratch.beginInspection()
                    scratch.setSource(.payload, UnsafeRawBufferPointer(start: scratch.window, count: scratch.windowLength))
                    HTTPBuffers.fill(scratch, block: block, isResponse: true, body: nil)
                    detector!.inspectPhase(phase, &ctx)
                    detectHTTP2(state: state, input: input, &ctx)
                    return
                }
            case .messageComplete, .bodyFull:
                if event == .messageComplete && detector!.files != nil { endHTTPFile(state: state, toServer: ctx.toServer) }
                // A streamed AI answer was inspected as it flowed: its end is the slot's last look.
                let streamed = ai != nil && !ctx.toServer && detector!.states[s].aiStream >= 0
                if streamed && event == .messageComplete {
                    inspectAIStream(detector!.states[s].aiStream, owner: owner, final: true)
                    detector!.states[s].aiStream = -1
                }
                guard parser.length > parser.headerEnd else { continue }
                phase = ctx.toServer ? .httpRequestBody : .httpResponseBody
                body = UnsafeRawBufferPointer(start: message + parser.headerEnd, count: parser.length - parser.headerEnd)
                if ai != nil && !streamed && (event == .bodyFull || !parser.bodyFullReported) {
                    inspectAIMessage(state: state, toServer: ctx.toServer, block: block, body: body!, cut: event == .bodyFull)
                }
                detector!.statistics.httpBodies &+= 1
            }
            scratch.beginInspection()
            scratch.setSource(.payload, UnsafeRawBufferPointer(start: scratch.window, count: scratch.windowLength))
            HTTPBuffers.fill(scratch, block: block, isResponse: !ctx.toServer, body: body)
            detector!.inspectPhase(phase, &ctx)
        }
    }

    /// A `101 Switching Protocols` answer with `Upgrade: h2c`.
    static func upgradesToHTTP2(_ block: UnsafeRawBufferPointer) -> Bool {
        let fields = HTTPHeaderFields(block)
        guard let line = fields.startLine, HTTPHeaderFields.statusCode(line) == 101,
              let upgrade = fields.value(named: "upgrade") else { return false }
        let word: StaticString = "h2c"
        return upgrade.count == 3
            && ContentSearch.find(UnsafeRawBufferPointer(start: word.utf8Start, count: 3), nocase: true, in: upgrade, from: 0, to: 3) != nil
    }

    /// Collects the server's handshake records until the Certificate message is whole, then
    /// inspects the leaf's subject and issuer (`tls.cert_subject`, `tls.cert_issuer`), once.
    mutating func detectCertificate(state: Int32, newBytes: Int, _ ctx: inout DetectContext) {
        let s = Int(state)
        let scratch = detector!.scratch
        let buffer = detector!.message(state, toServer: false)
        let capacity = detector!.messageCapacity
        let collected = detector!.states[s].tlsCollected
        let take = min(newBytes, capacity - collected)
        if take > 0 {
            (buffer + collected).copyMemory(from: scratch.window + (scratch.windowLength - newBytes), byteCount: take)
            detector!.states[s].tlsCollected = collected + take
        }
        let records = UnsafeRawBufferPointer(start: buffer, count: collected + max(0, take))
        scratch.beginInspection()
        guard let handshake = scratch.reserve(capacity) else { return }
        let (outcome, _) = TLSServerCertificate.find(records, into: handshake, capacity: capacity)
        switch outcome {
        case .needMore:
            if collected + take >= capacity { detector!.states[s].certificateDone = true }
        case .none:
            detector!.states[s].certificateDone = true
        case .chain(let list):
            detector!.states[s].certificateDone = true
            let bytes = UnsafeRawBufferPointer(start: handshake, count: list.upperBound)
            // Once per session, on the cold side of the hot path: a small array is fine.
            let certificates = TLSServerCertificate.certificates(bytes, in: list)
            guard let leaf = certificates.first else { return }
            // tls.certs: each certificate of the chain in turn (a multi-instance buffer).
            if !detector!.set.phases[DetectPhase.tlsCertificateChain.rawValue].isEmpty
                || !detector!.set.phaseAlways[DetectPhase.tlsCertificateChain.rawValue].isEmpty {
                for range in certificates {
                    scratch.beginInspection()
                    _ = scratch.reserve(list.upperBound)  // the handshake bytes stay where transforms cannot write
                    scratch.setSource(.tlsCerts, UnsafeRawBufferPointer(rebasing: bytes[range]))
                    scratch.setSource(.payload, UnsafeRawBufferPointer(start: nil, count: 0))
                    detector!.inspectPhase(.tlsCertificateChain, &ctx)
                }
            }
            scratch.beginInspection()
            _ = scratch.reserve(list.upperBound)
            let der = UnsafeRawBufferPointer(rebasing: bytes[leaf])
            guard let names = TLSServerCertificate.names(der) else { return }
            for (range, field) in [(names.subject, InspectionBuffer.tlsCertSubject), (names.issuer, .tlsCertIssuer)] {
                let room = scratch.arenaCapacity - scratch.arenaUsed
                guard let out = scratch.reserve(0),
                      let n = TLSServerCertificate.write(name: range, of: der, into: out, capacity: room) else { continue }
                scratch.arenaUsed += n
                scratch.setSource(field, UnsafeRawBufferPointer(start: out, count: n))
            }
            let room = scratch.arenaCapacity - scratch.arenaUsed
            if let out = scratch.reserve(0), let n = TLSServerCertificate.write(serial: names.serial, of: der, into: out, capacity: room) {
                scratch.arenaUsed += n
                scratch.setSource(.tlsCertSerial, UnsafeRawBufferPointer(start: out, count: n))
            }
            scratch.setSource(.payload, UnsafeRawBufferPointer(start: nil, count: 0))
            detector!.inspectPhase(.tlsServerCertificate, &ctx)
        }
    }

    /// The ClientHello's buffers (SNI, JA4) as App-ID read them, once per session.
    mutating func detectTLS(_ slot: SessionSlot, state: Int32, _ ctx: inout DetectContext) {
        guard let metadata = appID.metadata(sessions[slot].applicationState), metadata.tlsSNI != nil || metadata.tlsJA4 != nil
        else { return }
        detector!.states[Int(state)].tlsInspected = true
        var sni = metadata.tlsSNI ?? ""
        var ja4 = metadata.tlsJA4 ?? ""
        var ja3 = metadata.tlsJA3 ?? ""
        var ja3Hash = metadata.tlsJA3Hash ?? ""
        // The phase is the client's: addresses as the client sent it.
        var c = ctx
        if !ctx.toServer {
            c.toServer = true
            swap(&c.source, &c.destination)
            swap(&c.sourcePort, &c.destinationPort)
        }
        let scratch = detector!.scratch
        // Once per session: the strings are App-ID's, borrowed as bytes (no copy).
        sni.withUTF8 { s in
            ja4.withUTF8 { j4 in
                ja3.withUTF8 { j3 in
                    ja3Hash.withUTF8 { j3h in
                        scratch.beginInspection()
                        if metadata.tlsSNI != nil { scratch.setSource(.tlsSNI, UnsafeRawBufferPointer(s)) }
                        if metadata.tlsJA4 != nil { scratch.setSource(.ja4Hash, UnsafeRawBufferPointer(j4)) }
                        if metadata.tlsJA3 != nil {
                            scratch.setSource(.ja3String, UnsafeRawBufferPointer(j3))
                            scratch.setSource(.ja3Hash, UnsafeRawBufferPointer(j3h))
                        }
                        scratch.setSource(.payload, UnsafeRawBufferPointer(start: nil, count: 0))
                        detector!.inspectPhase(.tlsClientHello, &c)
                    }
                }
            }
        }
    }

    /// Which application's rules apply to the session: what the HTTP parser recognised,
    /// else App-ID's answer mapped to Suricata's protocols.
    mutating func detectionApplication(_ slot: SessionSlot, state: Int32) -> DetectApplication {
        if state >= 0, detector!.states[Int(state)].application != .none { return detector!.states[Int(state)].application }
        guard let id = sessions[slot].application else { return .none }
        let app = detectApplications[Int(id.rawValue)]
        if state >= 0 && app != .none && app != .http1 { detector!.states[Int(state)].application = app }
        return app
    }

    /// Writes the alerts of the packet's matches; inline, returns the verdict of the
    /// first blocking match (and keeps it for the session).
    ///
    /// Inline, the threat profile of the rule that allowed the session decides each match's
    /// action by the signature's severity and its exceptions (`ThreatSeverity(signature:)`);
    /// `default` is the signature's own action. A session whose rule has no threat profile
    /// keeps the signature's own action (drop and reject block). `rampart inspect`
    /// (not blocking) applies every rule as Suricata's IDS would, whatever the profiles say.
    mutating func alert<Sink: EventSink>(
        _ slot: SessionSlot, packet: DecodedPacket, toServer: Bool, packetNumber: UInt64, sink: inout Sink
    ) -> Verdict? {
        let set = detector!.set
        let blocking = detector!.configuration.blocking
        var verdict: Verdict?
        let session = sessions[slot]
        let isTCP = packet.ipProtocol == .tcp
        let profileIndex = blocking ? policy.profiles(ofRule: session.ruleIndex).threat : -1
        let profile: ThreatProfile? = profileIndex >= 0 ? policy.profiles.threat[Int(profileIndex)] : nil
        for m in detector!.matches {
            let rule = set.rules[Int(m.rule)].rule
            let severity = ThreatSeverity(signature: rule)
            // The blocking action this match asks for, if any.
            var action: RampartPolicy.RuleAction?
            let own: RampartPolicy.RuleAction?
            switch rule.action {
            case .drop: own = .drop
            case .rejectsrc: own = toServer ? .resetClient : .resetServer
            case .rejectdst: own = toServer ? .resetServer : .resetClient
            case .reject, .rejectboth: own = .resetBoth
            default: own = nil
            }
            if let profile {
                switch profile.action(sid: rule.sid, severity: severity) {
                case .default: action = own
                case .allow:
                    detector!.statistics.suppressed &+= 1
                    continue
                case .alert: action = nil
                case .drop: action = .drop
                case .resetClient: action = .resetClient
                case .resetServer: action = .resetServer
                case .resetBoth: action = .resetBoth
                }
            } else if blocking {
                action = own
            }
            var blocked = false
            if let action {
                blocked = true
                if verdict == nil {
                    sessions[slot].action = action.rawValue
                    verdict = self.verdict(for: action, isTCP: isTCP)
                    detector!.statistics.blocked &+= 1
                }
            }
            // noalert, or a threshold's silent match: it acts, it writes nothing.
            if m.silent { continue }
            sessions[slot].flags.insert(.alerted)
            detector!.statistics.alerts &+= 1
            let clientTags = policy.tags(inSet: session.clientTagSet).map(\.description)
            let serverTags = policy.tags(inSet: session.serverTagSet).map(\.description)
            var metadata: [(key: String, values: [String])] = []
            for entry in rule.metadata {
                if let i = metadata.firstIndex(where: { $0.key == entry.key }) {
                    metadata[i].values.append(entry.value)
                } else {
                    metadata.append((entry.key, [entry.value]))
                }
            }
            sink.alert(AlertRecord(
                timestamp: now, flowID: Engine.flowID(of: session), packetNumber: packetNumber,
                sourceAddress: packet.source, sourcePort: packet.sourcePort,
                destinationAddress: packet.destination, destinationPort: packet.destinationPort,
                ipProtocol: packet.ipProtocol,
                application: session.application.map(ApplicationCatalog.name(of:)) ?? "unknown",
                direction: toServer ? "to_server" : "to_client", action: blocked ? "blocked" : "allowed",
                gid: rule.gid, signatureID: rule.sid, revision: rule.rev, signature: rule.message,
                category: rule.classification?.description ?? "", severity: rule.priority, metadata: metadata,
                ruleAction: rule.action.rawValue, ruleLocation: rule.location.description,
                threatProfile: profile?.name, threatSeverity: severity.rawValue,
                sourceTags: toServer ? clientTags : serverTags, destinationTags: toServer ? serverTags : clientTags,
                packetsToServer: session.toServer.packets, packetsToClient: session.toClient.packets,
                bytesToServer: session.toServer.bytes, bytesToClient: session.toClient.bytes,
                flowStart: session.firstSeen))
        }
        return verdict
    }

    /// Each catalog application as the matcher's protocols: HTTP and the AI and platform
    /// APIs App-ID refines from it are HTTP/1; `ssl` is TLS; the others by name.
    static func detectApplicationTable() -> [DetectApplication] {
        var table = [DetectApplication](repeating: .none, count: ApplicationCatalog.count)
        for i in 0..<ApplicationCatalog.count {
            let name = ApplicationCatalog.name(of: ApplicationID(rawValue: UInt16(i)))
            switch name {
            case "http", "openai-api", "anthropic-api", "ollama", "mcp": table[i] = .http1
            case "http2", "grpc": table[i] = .http2
            case "ssl": table[i] = .tls
            case "dns": table[i] = .dns
            case "ssh": table[i] = .ssh
            case "smtp": table[i] = .smtp
            case "imap": table[i] = .imap
            case "postgresql": table[i] = .pgsql
            case "mqtt": table[i] = .mqtt
            case "ntp": table[i] = .ntp
            default: break
            }
        }
        return table
    }
}
