import RampartPolicy

import RampartWire

/// The per-packet pipeline: decode → fragments → session → policy → verdict → events.
///
/// Pure and deterministic: it reads no clock (time comes from each packet's timestamp),
/// opens no file and no socket. `rampart inspect` feeds it a capture; the firewall feeds it
/// tunnelled frames; both get the same verdicts and the same events.
///
/// One engine serves one core: it is a value with exclusive state, not shared between threads.
///
/// ```swift
/// var engine = Engine(configuration: EngineConfiguration(), policy: matcher)
/// var sink = MyEventSink()
/// let verdict = engine.process(frame: bytes, linkType: .ethernet, timestamp: t, packetNumber: 1, sink: &sink)
/// engine.finish(sink: &sink)   // flow records for the sessions still open
/// ```
public struct Engine {
    public let configuration: EngineConfiguration
    /// The compiled policy and the address-to-tag map. A class: tag updates from the
    /// cluster watcher reach it without rebuilding the engine; `replacePolicy` swaps it.
    public private(set) var policy: PolicyMatcher
    /// Counters since the engine started.
    public var statistics: EngineStatistics {
        guard let detector else { return stats }
        var s = stats
        s.detection = detector.statistics
        return s
    }
    @usableFromInline var stats = EngineStatistics()

    @usableFromInline var sessions: SessionTable
    @usableFromInline var streams: StreamReassembler
    @usableFromInline var fragments: FragmentReassembler
    @usableFromInline var appID: ApplicationIdentifier
    /// Reused for each expiry sweep so ending sessions allocates nothing per packet.
    @usableFromInline var expired: [Session] = []
    @usableFromInline var now: Timestamp = .zero
    /// The second of packet time of the last sweep for timed-out fragments.
    @usableFromInline var fragmentSweepSecond: Int64 = 0
    @usableFromInline var anomalyLimiter: AnomalyLimiter
    /// Application ids of the states a session can end in without App-ID naming it.
    @usableFromInline let states: ApplicationStates
    /// Who each session is charged to, and the sessions each client and node hold.
    @usableFromInline let sourceHasher: SourceHasher
    @usableFromInline var sessionCounts: SourceCounts
    /// Sessions counted instead of written this interval (`configuration.records`).
    @usableFromInline var summarizer: FlowSummarizer
    /// The signature matcher, when the engine was given rules.
    @usableFromInline var detector: Detector?
    /// Each catalog application as the matcher's application protocols.
    @usableFromInline let detectApplications: [DetectApplication]
    /// The packet being tracked was reassembled from IP fragments (`flow:only_frag`).
    @usableFromInline var inReassembledDatagram = false
    /// The indicator lists the DNS security and URL filtering profiles look names up in;
    /// nil while none is loaded (their `not-resolved` case). Set by `adoptIndicators`.
    @usableFromInline var indicatorStore: IndicatorStore?
    /// The DNS security profiles against `indicatorStore`, the tunnelling table, the model.
    @usableFromInline var dnsSecurity: DNSSecurityState
    /// What the last `.rewrite` verdict changes in its frame (a sinkholed DNS answer).
    public internal(set) var dnsRewrite = DNSAnswerRewrite()
    /// The policy's URL filtering profiles against `indicatorStore`.
    @usableFromInline var urlProfiles = URLProfileTable()
    /// Clients that continued past a `continue` page, per host.
    @usableFromInline var urlContinues: URLContinueTable
    @usableFromInline let urlScratch: URLScratch
    /// What the last `.respond` verdict answers the client with (its page's facts); valid
    /// until the next `process`.
    public internal(set) var urlResponse: URLFilteringResponse?
    /// A later request's URL filtering verdict, held while `detect` parses the packet's
    /// HTTP messages (`filterLaterRequest`), and whether it found the continue table full.
    @usableFromInline var urlLaterVerdict: Verdict?
    @usableFromInline var urlLaterContinueRefused = false
    /// The session `detect` is inspecting (for the stages the HTTP parser calls).
    @usableFromInline var detectingSlot = SessionSlot(index: -1)
    /// What the last `.respond` verdict of an AI security profile answers the client with: a
    /// whole HTTP response (403 and the API's error JSON); nil when the page is the URL
    /// filtering one. Valid until the next `process`.
    public internal(set) var aiResponse: [UInt8]?
    /// `aiResponse` is an AI stream's closing error event, sent to the client in place of the
    /// server's packet that `.respond` answers (the server is reset).
    public internal(set) var aiResponseReplacesPacket = false
    /// The sequence number a `.respond` answer to the client starts at: the server's next
    /// byte as the firewall saw it, so bytes the server sent that the client had not yet
    /// acknowledged when it sent its packet (an HTTP/2 server's SETTINGS, in flight) come
    /// first and the answer follows them; nil when unknown (the client's acknowledgment
    /// number is used). Set with `urlResponse` and `aiResponse`.
    public internal(set) var responseSequence: UInt32?
    /// AI security profiles' inspector, settings and rate table; nil when the policy has none.
    var ai: AIEngineState?

    /// - Parameter rules: a compiled signature set (`DetectionRuleSet`); every allowed
    ///   session is then inspected by it and its matches written as alerts.
    /// - Parameter files: hash lists and YARA rules; every HTTP body and mail attachment of
    ///   an allowed session is then tracked as a file (typed, hashed, checked) and written as
    ///   a `fileinfo` record. Files need the matcher's session state: without rules, an
    ///   empty rule set is used.
    public init(configuration: EngineConfiguration = EngineConfiguration(), policy: PolicyMatcher,
                rules: DetectionRuleSet? = nil, files: FileInspection? = nil) {
        // Files and AI profiles read HTTP bodies through the matcher's session state.
        let rules = rules ?? (files == nil && policy.profiles.ai.isEmpty && policy.profiles.url.isEmpty ? nil : Engine.emptyRules)
        self.configuration = configuration
        self.policy = policy
        self.sessions = SessionTable(configuration: configuration.sessions)
        let hasher = SourceHasher(configuration.sources)
        self.sourceHasher = hasher
        self.sessionCounts = SourceCounts(
            buckets: hasher.buckets, perClient: configuration.sessions.effectiveMaxPerSource,
            perNode: configuration.sessions.effectiveMaxPerTunnelSource)
        // A reassembly slot for every session the table can hold: streams cannot run out
        // before sessions do (a SYN flood would otherwise leave later sessions unreassembled).
        var streamConfiguration = configuration.streams
        streamConfiguration.maxStreams = max(streamConfiguration.maxStreams, configuration.sessions.capacity)
        if rules != nil && streamConfiguration.depth > 0 {
            // Signatures read the stream to Suricata's depth, not only App-ID's first bytes.
            streamConfiguration.depth = max(streamConfiguration.depth, configuration.detection.streamDepth)
            // Files are hashed whole, up to their size limit.
            if files != nil { streamConfiguration.depth = max(streamConfiguration.depth, configuration.files.maxFileBytes + (64 << 10)) }
        }
        self.streams = StreamReassembler(configuration: streamConfiguration, sourceBuckets: hasher.buckets)
        self.fragments = FragmentReassembler(configuration: configuration.fragments, sources: configuration.sources)
        self.appID = ApplicationIdentifier(configuration: configuration.applications, sourceBuckets: hasher.buckets)
        self.anomalyLimiter = AnomalyLimiter(configuration.anomalyRateLimit)
        self.summarizer = FlowSummarizer(configuration.records)
        self.expired.reserveCapacity(1024)
        self.states = ApplicationStates()
        self.stats.ruleHits = [UInt64](repeating: 0, count: policy.rules.count)
        self.stats.sessionsByApplication = [UInt64](repeating: 0, count: ApplicationCatalog.count)
        self.detectApplications = Engine.detectApplicationTable()
        self.dnsSecurity = DNSSecurityState(configuration: configuration.dnsSecurity,
                                            applicationStates: configuration.applications.maxStates)
        self.dnsSecurity.profiles = DNSProfileTable(policy.profiles.dns, store: nil)
        self.urlContinues = URLContinueTable(capacity: configuration.urlFiltering.continueEntries)
        self.urlScratch = URLScratch(capacity: configuration.urlFiltering.pathBufferBytes)
        self.urlProfiles = URLProfileTable(policy.profiles.url, store: nil)
        if !policy.profiles.ai.isEmpty {
            self.ai = AIEngineState(profiles: policy.profiles.ai, rateEntries: configuration.aiRateEntries,
                                    streamSlots: configuration.aiStreams)
        }
        if let rules {
            let detector = Detector(set: rules, configuration: configuration.detection,
                                    maxDelivery: streamConfiguration.maxBufferedPerDirection,
                                    files: files, fileConfiguration: configuration.files)
            self.detector = detector
            self.appID.tap = detector.scratch
        }
    }

    /// Swaps in another rule set between two packets (a reload), or none. Detection state
    /// is per rule set: sessions start afresh with the new one (their flowbits and stream
    /// windows are dropped), their verdicts stay.
    public mutating func replaceRules(_ rules: DetectionRuleSet?) {
        replaceRules(rules, files: detector?.files?.inspection)
    }

    /// Swaps in another rule set and file inspection between two packets (a reload). Files
    /// in flight are forgotten without a record (their sessions start afresh, as for rules).
    public mutating func replaceRules(_ rules: DetectionRuleSet?, files: FileInspection?) {
        let rules = rules ?? (files == nil && policy.profiles.ai.isEmpty && policy.profiles.url.isEmpty ? nil : Engine.emptyRules)
        for slot in sessions.occupiedSlots() {
            sessions[slot].detectionState = -1
            sessions[slot].flags.remove(.detectionRefused)
        }
        if let rules {
            let detector = Detector(set: rules, configuration: configuration.detection,
                                    maxDelivery: streams.configuration.maxBufferedPerDirection,
                                    files: files, fileConfiguration: configuration.files)
            self.detector = detector
            appID.tap = detector.scratch
        } else {
            detector = nil
            appID.tap = nil
        }
    }

    /// The signature matcher's counters (zero without rules).
    public var detectionStatistics: DetectionStatistics { detector?.statistics ?? DetectionStatistics() }

    /// The rules evaluated most often so far (empty without rules).
    public func mostEvaluatedRules(_ count: Int) -> [(sid: UInt32, message: String, evaluations: UInt32)] {
        detector?.mostEvaluated(count) ?? []
    }

    /// The rule set the engine inspects with, if any.
    public var rules: DetectionRuleSet? { detector?.set }

    /// The hash lists and YARA rules files are checked against, if files are tracked.
    public var files: FileInspection? { detector?.files?.inspection }

    /// Sessions currently tracked.
    public var activeSessions: Int { sessions.count }

    /// Runs one frame through the pipeline and says what to do with it.
    ///
    /// - Parameters:
    ///   - frame: the frame's bytes, borrowed for the duration of the call.
    ///   - linkType: how the frame starts (Ethernet, raw IP, Linux cooked).
    ///   - timestamp: when the frame was captured or received; the engine's only clock.
    ///   - packetNumber: 1-based position in a capture, for anomaly records (0 if none).
    ///   - snapped: the capture kept only the first bytes of this frame (its snap length);
    ///     a payload shorter than the IP header says is then expected, not an anomaly.
    ///   - sink: receives flow and anomaly records as they happen.
    /// - Complexity: O(1) per packet, amortised; no heap allocation on the forward path.
    @inlinable
    public mutating func process<Sink: EventSink>(
        frame: UnsafeRawBufferPointer, linkType: LinkType, timestamp: Timestamp,
        packetNumber: UInt64, snapped: Bool = false, sink: inout Sink
    ) -> Verdict {
        stats.packets &+= 1
        stats.bytes &+= UInt64(frame.count)
        if timestamp > now { now = timestamp }

        var packet = DecodedPacket()
        if let event = PacketDecoder.decode(
            frame, linkType: linkType, into: &packet, verifyChecksums: configuration.verifyChecksums)
        {
            stats.malformedPackets &+= 1
            report(event, packet: packet, packetNumber: packetNumber, sink: &sink)
            return count(.drop)
        }
        // A frame cut by the capture's snap length: expected, not an anomaly; but its
        // payload is partial and cannot be reassembled.
        let payloadCut = packet.warning == .captureTruncated
        if let warning = packet.warning, !(snapped && payloadCut) {
            report(warning, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        if packet.ipVersion == 0 {
            stats.nonIPPackets &+= 1
            return count(.forward)
        }
        sweep(sink: &sink)

        if packet.isFragment {
            return processFragment(packet, frame: frame, packetNumber: packetNumber, sink: &sink)
        }
        return track(packet, frame: frame, packetNumber: packetNumber, payloadCut: payloadCut, sink: &sink)
    }

    /// Ends every open session (reason `shutdown`) and writes its flow record: the end of a
    /// capture, or a firewall stopping.
    public mutating func finish<Sink: EventSink>(sink: inout Sink) {
        anomalyLimiter.flush(sink: &sink)
        // Fragments of datagrams that never completed are dropped, and counted so.
        stats.fragmentsDropped &+= UInt64(fragments.removeAll())
        noteFragmentPool()
        expired.removeAll(keepingCapacity: true)
        sessions.removeAll(into: &expired)
        // Sessions leave the table in slot order; log them in the order they began, as a
        // reader of the capture would expect.
        expired.sort { ($0.firstSeen, $0.key.flowHash) < ($1.firstSeen, $1.key.flowHash) }
        for session in expired { end(session, sink: &sink) }
        expired.removeAll(keepingCapacity: true)
        flushSummaries(sink: &sink)
        anomalyLimiter.flush(sink: &sink)
    }

    /// Swaps in a new policy between two packets (a configuration reload).
    ///
    /// Existing sessions keep their verdict: their rule is found again by name in the new
    /// policy. A session whose rule is gone ends here, logged under that rule with end
    /// reason `policy-change`; its next packet starts a session the new policy decides.
    /// With `rematch`, every session is decided again in place by the new policy, with
    /// what is known of it (its application, if App-ID named it). Hit counters follow
    /// their rules by name.
    ///
    /// ```swift
    /// engine.replacePolicy(try PolicyMatcher(newDocument, tags: tags), rematch: false, sink: &sink)
    /// ```
    public mutating func replacePolicy<Sink: EventSink>(_ newPolicy: PolicyMatcher, rematch: Bool, sink: inout Sink) {
        let renumber: [Int32] = policy.rules.map { rule in
            newPolicy.ruleIndex(named: rule.name).map { Int32($0) } ?? -1
        }
        func mapped(_ index: Int32) -> Int32 {
            index >= 0 && Int(index) < renumber.count ? renumber[Int(index)] : -1
        }
        // Summaries and sessions whose rule disappears are logged while the old policy can
        // still name them.
        if !rematch {
            var orphans: [Session] = []
            for slot in sessions.occupiedSlots() where mapped(sessions[slot].ruleIndex) < 0 {
                orphans.append(sessions[slot])
            }
            for var orphan in orphans {
                if let slot = sessions.lookup(orphan.key) { sessions.remove(slot) }
                orphan.closeReason = .policyChange
                end(orphan, sink: &sink)
            }
        }
        flushSummaries(sink: &sink)
        var hits = [UInt64](repeating: 0, count: newPolicy.rules.count)
        for (old, count) in stats.ruleHits.enumerated() where old < renumber.count && renumber[old] >= 0 {
            hits[Int(renumber[old])] &+= count
        }
        stats.ruleHits = hits
        let oldPolicy = policy
        policy = newPolicy
        dnsSecurity.profiles = DNSProfileTable(newPolicy.profiles.dns, store: indicatorStore)
        urlProfiles = URLProfileTable(newPolicy.profiles.url, store: indicatorStore)
        if newPolicy.profiles.ai.isEmpty {
            ai = nil
        } else if let ai {
            ai.adopt(newPolicy.profiles.ai)
        } else {
            ai = AIEngineState(profiles: newPolicy.profiles.ai, rateEntries: configuration.aiRateEntries,
                               streamSlots: configuration.aiStreams)
        }
        if detector == nil && ai != nil { replaceRules(nil, files: nil) }
        for slot in sessions.occupiedSlots() {
            var session = sessions[slot]
            // The identity a session was decided with moves to the new matcher, unless it
            // is decided again below (then it is taken afresh).
            let (client, server) = (session.clientTagSet, session.serverTagSet)
            session.clientTagSet = newPolicy.adoptTags(client, from: oldPolicy)
            session.serverTagSet = newPolicy.adoptTags(server, from: oldPolicy)
            oldPolicy.releaseTags(client)
            oldPolicy.releaseTags(server)
            if rematch {
                let decision = decide(session, application: session.application)
                session.ruleIndex = decision.ruleIndex
                session.action = decision.action.rawValue
                session.decisionIsFinal = decision.isFinal || session.application != nil
                session.provisionalRuleIndex = -1
                Engine.takeIdentity(of: &session, in: policy)
                if session.decisionIsFinal { countHit(decision.ruleIndex) }
            } else {
                session.ruleIndex = mapped(session.ruleIndex)
                session.provisionalRuleIndex = mapped(session.provisionalRuleIndex)
            }
            sessions[slot] = session
        }
    }

    // MARK: - Pipeline stages

    /// Fragments are held, never passed on their own: each is kept (whole) until its
    /// datagram is complete, and the reassembled datagram is decided like any packet. The
    /// fragment that completes it gets that verdict; under `.forward` the fragments held
    /// before it wait in `nextReleasedFragment`, otherwise they are dropped. A fragment the
    /// reassembler refuses (limits, malformed, a differing overlap, a duplicate) is dropped.
    @inlinable
    mutating func processFragment<Sink: EventSink>(
        _ packet: DecodedPacket, frame: UnsafeRawBufferPointer, packetNumber: UInt64, sink: inout Sink
    ) -> Verdict {
        let outcome = fragments.process(packet, frame: frame, now: now)
        if let limit = outcome.limit { stats.limits.count(limit) }
        if let event = outcome.event {
            report(event, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        stats.fragmentsDropped &+= UInt64(outcome.framesDropped)
        defer { noteFragmentPool() }
        if outcome.held {
            stats.fragmentsHeld &+= 1
            return count(.hold)
        }
        guard let datagram = outcome.datagram else { return count(.drop) }
        stats.datagramsReassembled &+= 1
        var whole = DecodedPacket()
        if let event = PacketDecoder.decode(datagram, linkType: .raw, into: &whole, verifyChecksums: false) {
            stats.malformedPackets &+= 1
            report(event, packet: packet, packetNumber: packetNumber, sink: &sink)
            stats.fragmentsDropped &+= UInt64(fragments.discardReleased())
            return count(.drop)
        }
        // The reassembled datagram has lost its link and tunnel framing; its session must
        // still be the one its fragments belong to.
        whole.vlanID = packet.vlanID
        whole.tunnel = packet.tunnel
        whole.tunnelVNI = packet.tunnelVNI
        whole.tunnelSource = packet.tunnelSource
        whole.tunnelDestination = packet.tunnelDestination
        inReassembledDatagram = true
        let verdict = track(whole, frame: datagram, packetNumber: packetNumber, payloadCut: false, sink: &sink)
        inReassembledDatagram = false
        if verdict == .forward {
            stats.fragmentsForwarded &+= UInt64(fragments.releasedCount)
        } else {
            stats.fragmentsDropped &+= UInt64(fragments.discardReleased())
        }
        return verdict
    }

    @usableFromInline
    mutating func noteFragmentPool() {
        stats.fragmentDatagramsPending = UInt64(fragments.pending)
        stats.fragmentBytesHeld = UInt64(fragments.heldBytesInUse)
    }

    /// The fragments held before the one the last `.forward` verdict was for, released to
    /// go out before it (the frames exactly as they were given to `process`, in the order
    /// received). Start with `releasedFragments` and call until nil; valid until the next
    /// `process`.
    ///
    /// ```swift
    /// var cursor = engine.releasedFragments
    /// while let length = engine.nextReleasedFragment(&cursor, into: buffer) {
    ///     if length > 0 { send(buffer[..<length]) }   // 0: did not fit in buffer
    /// }
    /// ```
    public var releasedFragments: HeldFrameCursor { fragments.released }

    /// Copies the next released fragment's frame into `buffer`: its length, 0 when it does
    /// not fit (skipped), nil when none is left.
    public func nextReleasedFragment(_ cursor: inout HeldFrameCursor, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        fragments.nextReleased(&cursor, into: buffer)
    }

    /// How many fragments the last verdict released (0 unless it was a `.forward` that
    /// completed a fragmented datagram).
    public var releasedFragmentCount: Int { fragments.releasedCount }

    @inlinable
    mutating func track<Sink: EventSink>(
        _ packet: DecodedPacket, frame: UnsafeRawBufferPointer, packetNumber: UInt64, payloadCut: Bool,
        sink: inout Sink
    ) -> Verdict {
        let (key, direction) = FlowKey.of(packet)
        var slot: SessionSlot
        var isNew = false
        let found = sessions.lookup(key)
        if let found, !sessions[found].isReopened(by: packet) {
            slot = found
        } else {
            if configuration.tunnelOriginCheck && key.tunnelSource != .zero && !originAdmitted(packet, node: key.tunnelSource) {
                stats.tunnelOriginRefused &+= 1
                report(.tunnelInnerNotLocal, packet: packet, packetNumber: packetNumber, sink: &sink)
                return count(.drop)
            }
            if let stale = found {
                // A new connection reusing a closed session's ports: log the old one first.
                var old = sessions[stale]
                sessions.remove(stale)
                if old.closeReason == .none { old.closeReason = old.tcpState == .closed ? .rst : .fin }
                end(old, sink: &sink)
            }
            // Each client, and each tunnel source, holds at most its share of the table.
            let client = Session.firstPacketIsFromServer(packet) ? packet.destination : packet.source
            let owner = sourceHasher.owner(client: client, key: key)
            if let refusal = sessionCounts.refusal(owner) {
                limitReached(refusal == .client ? .sessionsPerSource : .sessionsPerTunnelSource,
                             packet: packet, packetNumber: packetNumber, sink: &sink)
                return count(.drop)
            }
            let insertion = sessions.insert(key, now: now)
            sessionCounts.add(owner)
            if let evicted = insertion.evicted {
                if evicted.closeReason == .evicted {
                    stats.sessionsEvicted &+= 1
                    limitReached(.sessionTable, packet: packet, packetNumber: packetNumber, sink: &sink)
                }
                end(evicted, sink: &sink)
            }
            slot = insertion.slot
            isNew = true
            stats.sessionsCreated &+= 1
        }

        if let event = sessions[slot].observe(packet, direction: direction, now: now, timeouts: configuration.timeouts) {
            report(event, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        if isNew { decideNewSession(slot, sink: &sink) }

        let allowed = sessions[slot].action == RuleAction.allow.rawValue
        if allowed && detector != nil { openDetection(slot, packet: packet, packetNumber: packetNumber, sink: &sink) }
        if allowed {
            if packet.ipProtocol == .tcp {
                if payloadCut {
                    // The rest of this stream would have a hole where the capture cut bytes:
                    // stop reassembling it rather than buffer towards a gap that never fills.
                    streams.close(sessions[slot].stream)
                    sessions[slot].stream = .disabled
                } else {
                    reassemble(slot, packet: packet, direction: direction, frame: frame, packetNumber: packetNumber, sink: &sink)
                }
            } else if packet.ipProtocol == .udp && packet.payloadLength > 0 {
                identifyDatagram(slot, packet: packet, direction: direction, frame: frame, packetNumber: packetNumber, sink: &sink)
            }
        }
        if !sessions[slot].decisionIsFinal && packet.payloadLength > 0 && sessions[slot].applicationState < 0 {
            // Data crossed and App-ID could not look at it (its tables are full, or the
            // capture cut the bytes): the application is unknown, and the final rule
            // applies from this packet on.
            let unknown = packet.ipProtocol == .tcp ? states.unknownTCP : states.unknownUDP
            settle(slot, application: unknown)
        }
        if allowed && sessions[slot].applicationID != 0 && hasDNSProfiles,
           let decided = inspectDNS(slot, packet: packet, direction: direction, frame: frame, packetNumber: packetNumber, sink: &sink) {
            return count(decided)
        }
        if allowed && packet.ipProtocol == .tcp && !sessions[slot].profileFlags.contains(.urlDecided),
           let filtered = filterURL(slot, direction: direction, packet: packet, packetNumber: packetNumber, sink: &sink) {
            return count(filtered)
        }
        if !sessions[slot].profileFlags.isDisjoint(with: [.urlBlocked, .aiBlocked]) { return count(.drop) }
        if allowed && detector != nil,
           let blocked = detect(slot, packet: packet, direction: direction, frame: frame, packetNumber: packetNumber, sink: &sink) {
            return count(blocked)
        }
        let action = RuleAction(rawValue: sessions[slot].action) ?? .drop
        return count(verdict(for: action, isTCP: packet.ipProtocol == .tcp))
    }

    /// Whether a node may send this packet: an enrolled node sends its own pods' traffic
    /// (the inner source is a pod on it) or traffic to them (the inner destination is).
    /// A sender that is not an enrolled node was admitted by network and is not checked.
    @inlinable
    func originAdmitted(_ packet: DecodedPacket, node source: IPAddress) -> Bool {
        guard let node = policy.enrolledNode(source) else { return true }
        return policy.nodeOfPod(packet.source) == node || policy.nodeOfPod(packet.destination) == node
    }

    /// Makes a provisional decision final once the application is known.
    @inlinable
    mutating func settle(_ slot: SessionSlot, application: ApplicationID) {
        let decision = decide(sessions[slot], application: application)
        Engine.apply(decision, application: application, to: &sessions[slot])
        Engine.takeIdentity(of: &sessions[slot], in: policy)
        countHit(decision.ruleIndex)
    }

    /// Holds each end's tag set and zone as the policy sees them now. Called wherever a
    /// verdict is made, so the record names the identity that was decided on, not the one
    /// the addresses have when the session ends.
    @inlinable
    static func takeIdentity(of session: inout Session, in policy: PolicyMatcher) {
        let client = session.client.address, server = session.server.address
        policy.releaseTags(session.clientTagSet)
        policy.releaseTags(session.serverTagSet)
        session.clientTagSet = policy.holdTags(of: client)
        session.serverTagSet = policy.holdTags(of: server)
        let node: IPAddress? = session.key.tunnelSource == .zero ? nil : session.key.tunnelSource
        session.clientZone = policy.zone(of: client, tunnelVNI: session.key.tunnelVNI, tunnelSource: node).rawValue
        session.serverZone = policy.zone(of: server, tunnelVNI: session.key.tunnelVNI, tunnelSource: node).rawValue
    }

    @inlinable
    func decide(_ session: Session, application: ApplicationID?) -> PolicyDecision {
        let client = session.client
        let server = session.server
        return policy.decide(
            PolicyQuery(
                source: client.address, destination: server.address, ipProtocol: session.key.ipProtocol,
                destinationPort: server.port, application: application, tunnelVNI: session.key.tunnelVNI,
                tunnelSource: session.key.tunnelSource == .zero ? nil : session.key.tunnelSource))
    }

    @inlinable
    static func apply(_ decision: PolicyDecision, application: ApplicationID, to session: inout Session) {
        if session.ruleIndex >= 0 && decision.ruleIndex != session.ruleIndex {
            session.provisionalRuleIndex = session.ruleIndex
        }
        session.ruleIndex = decision.ruleIndex
        session.action = decision.action.rawValue
        session.decisionIsFinal = true
        session.application = application
    }

    /// A new session is decided once, with the application still unknown. A final
    /// decision counts a hit now; a provisional one (an application rule waiting for App-ID)
    /// lets the session proceed and is settled when the application is known.
    @inlinable
    mutating func decideNewSession<Sink: EventSink>(_ slot: SessionSlot, sink: inout Sink) {
        let decision: PolicyDecision
        let ipProtocol = sessions[slot].key.ipProtocol
        if ipProtocol == .icmp || ipProtocol == .icmpv6 {
            // ICMP names itself (echo or not): no need to wait for content.
            let application = states.classify(sessions[slot], streamBytes: 0, pending: false)
            decision = decide(sessions[slot], application: application)
            Engine.apply(decision, application: application, to: &sessions[slot])
            countHit(decision.ruleIndex)
        } else {
            decision = decide(sessions[slot], application: nil)
            sessions[slot].ruleIndex = decision.ruleIndex
            sessions[slot].action = decision.action.rawValue
            sessions[slot].decisionIsFinal = decision.isFinal
            if decision.isFinal { countHit(decision.ruleIndex) }
        }
        Engine.takeIdentity(of: &sessions[slot], in: policy)
        if decision.logAtStart {
            sessions[slot].logged = true
            sink.flowStarted(record(of: sessions[slot]))
        }
    }

    @inlinable
    mutating func reassemble<Sink: EventSink>(
        _ slot: SessionSlot, packet: DecodedPacket, direction: FlowDirection, frame: UnsafeRawBufferPointer,
        packetNumber: UInt64, sink: inout Sink
    ) {
        if sessions[slot].stream == .disabled { return }
        if sessions[slot].stream == .none {
            // Only sessions that carry data need reassembly state; a pool that is
            // exhausted leaves the session tracked but not reassembled.
            guard packet.payloadLength > 0 || packet.tcpFlags.contains(.syn) else { return }
            guard let handle = streams.open(owner: owner(of: sessions[slot])) else {
                limitReached(.reassemblyStreams, packet: packet, packetNumber: packetNumber, sink: &sink)
                return
            }
            sessions[slot].stream = handle
        }
        if sessions[slot].applicationState < 0 && packet.payloadLength > 0 && !sessions[slot].flags.contains(.appIDRefused) {
            openApplicationState(slot, ipProtocol: .tcp, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        let state = sessions[slot].applicationState
        let wanted = state >= 0 && appID.wantsData(state)
        appID.current = wanted ? state : -1
        let stream = sessions[slot].streamDirection(of: direction)
        let handle = sessions[slot].stream
        if detector != nil { armTap(slot, toServer: stream == .toServer) }
        let event = streams.process(handle, direction: stream, packet: packet, frame: frame, into: &appID)
        if detector != nil { disarmTap() }
        if let event {
            if event == .streamOutOfOrderLimit, let limit = streams.lastLimit { stats.limits.count(limit) }
            report(event, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        guard wanted, packet.payloadLength > 0 || packet.tcpFlags.contains(.fin) || packet.tcpFlags.contains(.rst) else {
            return
        }
        let closing: TCPSideFlags = [.finSeen, .rstSeen]
        let outcome = appID.identifyStream(
            state,
            toServerComplete: !sessions[slot].toServer.tcp.isDisjoint(with: closing) || streams.isDone(handle, direction: .toServer),
            toClientComplete: !sessions[slot].toClient.tcp.isDisjoint(with: closing) || streams.isDone(handle, direction: .toClient))
        learn(outcome, slot: slot, unknown: states.unknownTCP)
    }

    /// Who a session is charged to: its client, in its tunnel.
    @inlinable
    func owner(of session: Session) -> SourceOwner {
        sourceHasher.owner(client: session.client.address, key: session.key)
    }

    /// Gives a session whose first data arrived its App-ID state (and, for TCP, a buffer),
    /// counting and logging the limit that refused either.
    @inlinable
    mutating func openApplicationState<Sink: EventSink>(
        _ slot: SessionSlot, ipProtocol: IPProtocol, packet: DecodedPacket, packetNumber: UInt64, sink: inout Sink
    ) {
        let opening = appID.open(serverPort: sessions[slot].server.port, ipProtocol: ipProtocol, owner: owner(of: sessions[slot]))
        sessions[slot].applicationState = opening.state ?? -1
        if let state = opening.state { resetDNSSession(state) }
        if let limit = opening.limit {
            sessions[slot].flags.insert(opening.state == nil ? .appIDRefused : .appIDUnbuffered)
            if opening.state != nil { stats.appIDUnbuffered &+= 1 }
            limitReached(limit, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
    }

    /// Counts a limit that refused something and logs it (an anomaly record, rate-limited).
    @usableFromInline
    mutating func limitReached<Sink: EventSink>(
        _ limit: EngineLimit, packet: DecodedPacket, packetNumber: UInt64, sink: inout Sink
    ) {
        stats.limits.count(limit)
        report(limit.event, packet: packet, packetNumber: packetNumber, sink: &sink)
    }

    @inlinable
    mutating func identifyDatagram<Sink: EventSink>(
        _ slot: SessionSlot, packet: DecodedPacket, direction: FlowDirection, frame: UnsafeRawBufferPointer,
        packetNumber: UInt64, sink: inout Sink
    ) {
        if sessions[slot].applicationState < 0 && !sessions[slot].flags.contains(.appIDRefused) {
            openApplicationState(slot, ipProtocol: .udp, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        let state = sessions[slot].applicationState
        guard state >= 0, appID.wantsData(state),
              packet.payloadOffset >= 0, packet.payloadLength <= frame.count - packet.payloadOffset else { return }
        let payload = UnsafeRawBufferPointer(
            rebasing: frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)])
        let outcome = appID.identifyDatagram(state, payload: payload, direction: sessions[slot].streamDirection(of: direction))
        learn(outcome, slot: slot, unknown: states.unknownUDP)
    }

    /// Records what App-ID concluded; a provisional decision becomes final.
    @inlinable
    mutating func learn(_ outcome: IdentificationOutcome, slot: SessionSlot, unknown: ApplicationID) {
        let application: ApplicationID
        switch outcome {
        case .pending: return
        case .identified(let id): application = id
        case .unknown: application = unknown
        }
        if sessions[slot].decisionIsFinal {
            if sessions[slot].application == nil { sessions[slot].application = application }
        } else {
            settle(slot, application: application)
        }
    }

    @inlinable
    func verdict(for action: RuleAction, isTCP: Bool) -> Verdict {
        switch action {
        case .allow: return .forward
        case .deny, .drop: return .drop
        // A reset only exists for TCP; other protocols are dropped, as firewalls do.
        case .resetClient: return isTCP ? .reset(toClient: true, toServer: false) : .drop
        case .resetServer: return isTCP ? .reset(toClient: false, toServer: true) : .drop
        case .resetBoth: return isTCP ? .reset(toClient: true, toServer: true) : .drop
        }
    }

    @inlinable
    mutating func count(_ verdict: Verdict) -> Verdict {
        switch verdict {
        case .forward, .rewrite: stats.packetsForwarded &+= 1
        case .drop: stats.packetsDropped &+= 1
        case .reset: stats.packetsReset &+= 1
        case .respond:
            stats.packetsReset &+= 1
            stats.urlPages &+= 1
        case .hold: break  // counted in fragmentsHeld, then in fragmentsForwarded or fragmentsDropped
        }
        return verdict
    }

    @inlinable
    mutating func countHit(_ ruleIndex: Int32) {
        let i = Int(ruleIndex)
        if i >= 0 && i < stats.ruleHits.count { stats.ruleHits[i] &+= 1 }
    }

    /// Time passes with no packet: an idle firewall still ends the sessions whose timeout
    /// has passed by `timestamp` (and writes their records), as the next packets would.
    /// Looks at most `maxSlots` slots of the session table per call (a whole pass takes
    /// `slotCount / maxSlots` calls); the timestamp must come from the clock that stamps
    /// the packets. Returns how many sessions ended.
    @discardableResult
    public mutating func advance<Sink: EventSink>(to timestamp: Timestamp, maxSlots: Int, sink: inout Sink) -> Int {
        if timestamp > now { now = timestamp }
        let before = stats.sessionsEnded
        sweep(sink: &sink, slots: maxSlots)
        return Int(stats.sessionsEnded &- before)
    }

    /// Expires a few sessions per packet (amortised sweep) and, now and then, stale fragments.
    @inlinable
    mutating func sweep<Sink: EventSink>(sink: inout Sink, slots: Int? = nil) {
        // Summaries of suppressed anomalies go out once their second is over, even when
        // no later anomaly comes to push them out.
        if !anomalyLimiter.dirty.isEmpty && now.seconds != anomalyLimiter.second { anomalyLimiter.flush(sink: &sink) }
        if now.seconds >= summarizer.intervalEnd { flushSummaries(sink: &sink) }
        if sessions.count > 0 {
            if sessions.expire(now: now, maxSlots: slots ?? configuration.expirySlotsPerPacket, into: &expired) > 0 {
                endExpired(sink: &sink)
            }
        }
        // Incomplete datagrams are dropped, with their held fragments, once a second of
        // packet time at the latest after their timeout.
        if fragments.pending > 0 && now.seconds != fragmentSweepSecond {
            fragmentSweepSecond = now.seconds
            let expired = fragments.expire(now: now, counters: &stats.anomalies)
            stats.fragmentsDropped &+= UInt64(expired.frames)
            noteFragmentPool()
        }
    }

    @usableFromInline
    mutating func endExpired<Sink: EventSink>(sink: inout Sink) {
        for session in expired { end(session, sink: &sink) }
        expired.removeAll(keepingCapacity: true)
    }

    /// Settles the final decision of a session leaving the table and writes its record.
    @usableFromInline
    mutating func end<Sink: EventSink>(_ session: Session, sink: inout Sink) {
        var session = session
        if !session.decisionIsFinal {
            // The session ended before App-ID could name it (no data, or too little, or
            // never allowed to carry any): the rule for that state applies to the log.
            let application = states.classify(session, streamBytes: streamBytes(session), pending: appIDPending(session))
            let decision = decide(session, application: application)
            Engine.apply(decision, application: application, to: &session)
            Engine.takeIdentity(of: &session, in: policy)
            countHit(decision.ruleIndex)
        } else if session.application == nil {
            session.application = states.classify(session, streamBytes: streamBytes(session), pending: appIDPending(session))
        }
        streams.close(session.stream)
        if session.detectionState >= 0 {
            endFiles(session, sink: &sink)
            endHTTP2Streams(session, sink: &sink)
            endAIStream(session.detectionState)
            detector?.closeState(session.detectionState)
        }
        sessionCounts.remove(owner(of: session))
        stats.sessionsEnded &+= 1
        if let application = session.application, Int(application.rawValue) < stats.sessionsByApplication.count {
            stats.sessionsByApplication[Int(application.rawValue)] &+= 1
        }
        let index = Int(session.ruleIndex)
        let logAtEnd = index >= 0 && index < policy.rules.count ? policy.rules[index].logAtEnd : true
        if logAtEnd && admitRecord(of: session, sink: &sink) { sink.flowEnded(record(of: session)) }
        policy.releaseTags(session.clientTagSet)
        policy.releaseTags(session.serverTagSet)
        if session.applicationState >= 0 { appID.close(session.applicationState) }
    }

    /// Whether App-ID was still reading this session's data when it ended.
    @usableFromInline
    func appIDPending(_ session: Session) -> Bool {
        guard session.applicationState >= 0, appID.wantsData(session.applicationState) else { return false }
        let buffered = appID.bufferedBytes(session.applicationState)
        return buffered.toServer + buffered.toClient > 0 || session.key.ipProtocol == .udp
    }

    @usableFromInline
    func streamBytes(_ session: Session) -> Int {
        guard session.stream != .none, session.stream != .disabled else { return 0 }
        return streams.delivered(session.stream, direction: .toServer)
            + streams.delivered(session.stream, direction: .toClient)
    }

    @usableFromInline
    mutating func report<Sink: EventSink>(
        _ event: DecodeEvent, packet: DecodedPacket, packetNumber: UInt64, sink: inout Sink
    ) {
        stats.anomalies.count(event)
        let known = packet.ipVersion != 0
        anomalyLimiter.admit(
            AnomalyRecord(
                timestamp: now, event: event, packetNumber: packetNumber,
                sourceAddress: known ? packet.source : nil, sourcePort: packet.sourcePort,
                destinationAddress: known ? packet.destination : nil, destinationPort: packet.destinationPort,
                ipProtocol: known ? packet.ipProtocol : nil),
            sink: &sink)
    }
}

extension StreamHandle {
    /// A session whose stream is not reassembled (its capture cut the payload).
    @usableFromInline static let disabled = StreamHandle(rawValue: -2)
}

extension Engine {
    /// `responseSequence` for an answer to the client of session `slot`.
    mutating func noteResponseSequence(_ slot: SessionSlot) {
        let server = sessions[slot][.toClient]
        responseSequence = server.tcp.contains(.sequenceKnown) && !server.tcp.contains(.finSeen) ? server.nextSequence : nil
    }
}
