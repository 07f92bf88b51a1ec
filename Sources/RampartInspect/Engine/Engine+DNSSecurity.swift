import RampartPolicy
import RampartWire

extension Engine {
    /// The DNS security stage, for a packet of an allowed session App-ID named `dns` whose
    /// rule carries a DNS security profile. Each query (UDP datagram, or message of the
    /// TCP stream) is decided from its first question's name:
    ///
    /// - its categories in the indicator store, by the profile's `categories`;
    /// - the DGA model's score of its registrable label, by `dga`;
    /// - its parent domain's traffic this minute, by `tunnelling`;
    ///
    /// the strictest action winning. `block` drops a UDP query (as PAN-OS does: no forged
    /// answer, which a resolver would cache, and nothing leaves toward the resolver) and
    /// resets a TCP connection both ways; `sinkhole` lets the query through and rewrites the
    /// A/AAAA records of its answer to the profile's sinkhole addresses (`.rewrite`);
    /// `alert` and `allow` let it pass. The strictest decision of the session is logged on
    /// its `dns` record.
    ///
    /// Returns the packet's verdict when the stage decides it, nil to go on.
    @usableFromInline
    mutating func inspectDNS<Sink: EventSink>(
        _ slot: SessionSlot, packet: DecodedPacket, direction: FlowDirection, frame: UnsafeRawBufferPointer,
        packetNumber: UInt64, sink: inout Sink
    ) -> Verdict? {
        guard sessions[slot].application == DNS.application else { return nil }
        let profile = Int(policy.profiles(ofRule: sessions[slot].ruleIndex).dns)
        let state = sessions[slot].applicationState
        guard profile >= 0, profile < dnsSecurity.profiles.profiles.count, state >= 0,
              Int(state) < dnsSecurity.sessions.entries.count else { return nil }
        if dnsSecurity.sessions[state].stream.contains(.blocked) { return .drop }
        let offset = packet.payloadOffset, length = packet.payloadLength
        guard length > 0, offset >= 0, length <= frame.count - offset else { return nil }
        let stream = sessions[slot].streamDirection(of: direction)
        if packet.ipProtocol == .udp {
            return inspectDNSMessage(
                slot, profile: profile, stream: stream, frame: frame, at: offset, length: length, whole: true,
                isTCP: false, packet: packet, packetNumber: packetNumber, sink: &sink)
        }
        guard packet.ipProtocol == .tcp else { return nil }
        return inspectDNSSegment(
            slot, profile: profile, stream: stream, frame: frame, packet: packet, packetNumber: packetNumber, sink: &sink)
    }

    /// DNS over TCP: each message follows a two-byte length (RFC 1035 §4.2.2). Segments are
    /// read in sequence order; a message is read from the segment holding its start (the
    /// header and question of a query always fit in the first segment in practice), the
    /// rest of a longer message skipped by sequence number. A gap or a length prefix cut in
    /// two loses that direction's boundaries (counted; the session then passes unread).
    @usableFromInline
    mutating func inspectDNSSegment<Sink: EventSink>(
        _ slot: SessionSlot, profile: Int, stream: StreamDirection, frame: UnsafeRawBufferPointer,
        packet: DecodedPacket, packetNumber: UInt64, sink: inout Sink
    ) -> Verdict? {
        let state = sessions[slot].applicationState
        if dnsSecurity.sessions[state].stream.contains(.lost(stream)) { return nil }
        let sequence = packet.tcpSequence
        var next: UInt32
        if dnsSecurity.sessions[state].stream.contains(.synchronised(stream)) {
            next = stream == .toServer ? dnsSecurity.sessions[state].nextToServer : dnsSecurity.sessions[state].nextToClient
        } else {
            // The first data byte of a direction starts its first message: the one after
            // the SYN, or (a session picked up midstream) this segment's first.
            let side = sessions[slot][stream]
            next = side.tcp.contains(.synSeen) ? side.initialSequence &+ 1 : sequence
            dnsSecurity.sessions[state].stream.insert(.synchronised(stream))
        }
        let length = packet.payloadLength
        let ahead = Int(Int32(bitPattern: next &- sequence))
        if ahead >= length { return nil }  // wholly inside a message already read past, or a retransmission
        guard ahead >= 0 else {
            dnsSecurity.sessions[state].stream.insert(.lost(stream))
            stats.dnsSecurity.streamsLost &+= 1
            return nil
        }
        var verdict: Verdict?
        var at = ahead
        var rewrites = 0
        while at < length {
            guard at + 2 <= length else {
                dnsSecurity.sessions[state].stream.insert(.lost(stream))
                stats.dnsSecurity.streamsLost &+= 1
                break
            }
            let base = packet.payloadOffset + at
            let size = Int(frame[base]) << 8 | Int(frame[base + 1])
            let available = min(size, length - at - 2)
            let whole = available == size
            let outcome = inspectDNSMessage(
                slot, profile: profile, stream: stream, frame: frame, at: base + 2, length: available, whole: whole,
                isTCP: true, packet: packet, packetNumber: packetNumber, sink: &sink, appending: rewrites > 0)
            switch outcome {
            case .some(.rewrite):
                rewrites += 1
                verdict = .rewrite
            case .some(let stop):
                verdict = stop
                at = length
                continue
            case .none:
                break
            }
            at += 2 + size
        }
        let end = sequence &+ UInt32(truncatingIfNeeded: max(at, length))
        if stream == .toServer {
            dnsSecurity.sessions[state].nextToServer = end
        } else {
            dnsSecurity.sessions[state].nextToClient = end
        }
        if case .reset = verdict { dnsSecurity.sessions[state].stream.insert(.blocked) }
        return verdict
    }

    /// One DNS message at `frame[at..<at + length]` (`whole`: all of it; otherwise its
    /// first part, the rest in later segments).
    @usableFromInline
    mutating func inspectDNSMessage<Sink: EventSink>(
        _ slot: SessionSlot, profile: Int, stream: StreamDirection, frame: UnsafeRawBufferPointer, at: Int, length: Int,
        whole: Bool, isTCP: Bool, packet: DecodedPacket, packetNumber: UInt64, sink: inout Sink, appending: Bool = false
    ) -> Verdict? {
        let message = UnsafeRawBufferPointer(rebasing: frame[at..<(at + length)])
        let question: DNSQuestion
        switch DNSQuestion.read(message, into: dnsSecurity.scratch.name) {
        case .failure:
            // App-ID named the session DNS; a message that does not read is counted, and
            // passes (the rule allowed the session).
            stats.dnsSecurity.malformed &+= 1
            return nil
        case .success(let q):
            question = q
        }
        guard question.isResponse == (stream == .toClient), question.opcode == 0 else { return nil }
        let name = UnsafeRawBufferPointer(start: dnsSecurity.scratch.name, count: question.nameLength)
        let decision = decideDNS(profile: profile, name: name, question: question, record: !question.isResponse,
                                 packet: packet, packetNumber: packetNumber, sink: &sink)
        if !question.isResponse {
            stats.dnsSecurity.count(decision)
            let state = sessions[slot].applicationState
            if decision.isStricter(than: dnsSecurity.sessions[state].decision) { dnsSecurity.sessions[state].decision = decision }
            guard decision.action == .block else { return nil }
            return isTCP ? .reset(toClient: true, toServer: true) : .drop
        }
        guard decision.action == .sinkhole || decision.action == .block else { return nil }
        // An answer to a query to block (its query passed before the lists changed, or
        // came midstream) does not reach the client either.
        let drop: Verdict = isTCP ? .reset(toClient: true, toServer: true) : .drop
        if decision.action == .block {
            stats.dnsSecurity.answersDropped &+= 1
            return drop
        }
        // The rewrite is made in the firewall's copy of this frame: a datagram reassembled
        // from fragments, or a message whose rest is in later segments, cannot be.
        guard whole, !inReassembledDatagram else {
            stats.dnsSecurity.answersDropped &+= 1
            return drop
        }
        let settings = dnsSecurity.profiles.profiles[profile]
        switch dnsRewrite.plan(frame: frame, messageOffset: at, length: length, ipv4: settings.sinkholeIPv4,
                               ipv6: settings.sinkholeIPv6, appending: appending) {
        case .success(.records(0)):
            return nil  // NXDOMAIN, or no address records: nothing to point elsewhere
        case .success(.records):
            let field = packet.transportOffset + (isTCP ? 16 : 6)
            guard field + 2 <= frame.count else { return drop }
            let checksum = UInt16(frame[field]) << 8 | UInt16(frame[field + 1])
            let pseudo = Checksum.pseudoHeaderSum(
                source: packet.source, destination: packet.destination, protocol: packet.ipProtocol,
                length: packet.networkOffset + packet.networkLength - packet.transportOffset)
            dnsRewrite.keepChecksum(transportOffset: packet.transportOffset, isUDP: !isTCP, checksumField: checksum,
                                    unfinished: checksum == pseudo)
            stats.dnsSecurity.answersSinkholed &+= 1
            return .rewrite
        case .success(.cannotRewrite), .failure:
            stats.dnsSecurity.answersDropped &+= 1
            return drop
        }
    }

    /// The profile's decision for one name: categories, then DGA, then tunnelling, the
    /// strictest winning. `record`: a query, counted in the tunnelling table (answers only
    /// read it).
    @usableFromInline
    mutating func decideDNS<Sink: EventSink>(
        profile index: Int, name: UnsafeRawBufferPointer, question: DNSQuestion, record: Bool, packet: DecodedPacket,
        packetNumber: UInt64, sink: inout Sink
    ) -> DNSSecurityDecision {
        var best = DNSSecurityDecision(action: .allow, reason: .clean)
        if let store = indicatorStore, let listed = dnsSecurity.profiles.decide(profile: index, match: store.domain(name)),
           listed.rank >= best.rank
        {
            best = listed
        }
        let profile = dnsSecurity.profiles.profiles[index]
        // Names of the local zones (reverse lookups, mDNS and cluster names) are not scored.
        guard question.labels >= 2, !Engine.isLocalZone(name) else { return best }
        let parts = RegistrableDomain(name)
        if let dga = profile.dga, let model = dnsSecurity.model, DNSSecurityDecision.rank(of: dga.action) > best.rank,
           parts.label.count < name.count
        {
            let score = model.score(label: UnsafeRawBufferPointer(rebasing: name[parts.label]))
            if score >= dga.threshold { best = DNSSecurityDecision(action: dga.action, reason: .dga) }
        }
        if let tunnelling = profile.tunnelling {
            let parent = Engine.nameHash(UnsafeRawBufferPointer(rebasing: name[parts.registrable]))
            let minute = now.seconds / 60
            var flagged = false
            if record {
                let subdomainEnd = max(0, parts.registrable.lowerBound - 1)
                let suspicious = DNSTunnelTable.isSuspicious(
                    subdomain: UnsafeRawBufferPointer(rebasing: name[0..<subdomainEnd]),
                    longestLabel: question.longestLabel, setting: tunnelling)
                switch dnsSecurity.tunnels.record(
                    parent: parent, name: Engine.nameHash(name), minute: minute,
                    isTXTOrNULL: question.type == 16 || question.type == 10, suspicious: suspicious, setting: tunnelling)
                {
                case .tunnelling: flagged = true
                case .ordinary: break
                case .full: limitReached(.dnsTunnelParents, packet: packet, packetNumber: packetNumber, sink: &sink)
                }
            } else {
                flagged = dnsSecurity.tunnels.isFlagged(parent: parent, minute: minute)
            }
            if flagged && DNSSecurityDecision.rank(of: tunnelling.action) > best.rank {
                best = DNSSecurityDecision(action: tunnelling.action, reason: .tunnelling)
            }
        }
        return best
    }

    /// Names under `arpa` (reverse lookups) or `local` (mDNS, `cluster.local`).
    @usableFromInline
    static func isLocalZone(_ name: UnsafeRawBufferPointer) -> Bool {
        func endsWith(_ suffix: StaticString) -> Bool {
            let n = suffix.utf8CodeUnitCount
            guard name.count >= n else { return false }
            let s = suffix.utf8Start
            for k in 0..<n where name[name.count - n + k] != s[k] { return false }
            return name.count == n || name[name.count - n - 1] == 0x2E
        }
        return endsWith("arpa") || endsWith("local")
    }

    /// FNV-1a over a (lower-cased) name: the tunnelling table's keys.
    @usableFromInline
    static func nameHash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// Applies the last `.rewrite` verdict's change to `frame`: the same bytes `process`
    /// was given, now writable (the firewall's receive buffer). Call once, before the next
    /// `process`.
    ///
    /// ```swift
    /// if verdict == .rewrite { engine.applyRewrite(to: mutableFrame) }
    /// ```
    public func applyRewrite(to frame: UnsafeMutableRawBufferPointer) {
        dnsRewrite.apply(to: frame)
    }

    /// A new session took App-ID state `state`: its DNS security entry starts empty.
    @usableFromInline
    mutating func resetDNSSession(_ state: Int32) {
        dnsSecurity.sessions.reset(state)
    }

    /// Whether the policy has DNS security profiles (else the stage costs one branch).
    @usableFromInline
    var hasDNSProfiles: Bool { !dnsSecurity.profiles.profiles.isEmpty }

    /// Whether `address` is a sinkhole address of one of the policy's DNS security profiles.
    @usableFromInline
    func isSinkhole(_ address: IPAddress) -> Bool {
        dnsSecurity.profiles.sinkholes.contains(address)
    }
}
