import RampartWire

/// The TCP header fields the state machine looks at.
///
/// ```swift
/// let segment = TCPSegment(sequence: 1000, acknowledgment: 0, flags: .syn, window: 65535, payloadLength: 0)
/// ```
public struct TCPSegment: Sendable {
    public var sequence: UInt32
    public var acknowledgment: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var payloadLength: UInt32

    @inlinable
    public init(sequence: UInt32, acknowledgment: UInt32, flags: TCPFlags, window: UInt16, payloadLength: UInt32) {
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.flags = flags
        self.window = window
        self.payloadLength = payloadLength
    }
}

/// Sequence-number arithmetic modulo 2^32 (RFC 1982): `a` is after `b` when the signed
/// distance from `b` to `a` is positive.
///
/// ```swift
/// SequenceNumber.isAfter(5, 0xFFFF_FFF0)   // true: 5 follows across the wrap
/// ```
public enum SequenceNumber {
    @inlinable
    public static func distance(from b: UInt32, to a: UInt32) -> Int32 { Int32(bitPattern: a &- b) }
    @inlinable
    public static func isAfter(_ a: UInt32, _ b: UInt32) -> Bool { distance(from: b, to: a) > 0 }
    @inlinable
    public static func isAtOrAfter(_ a: UInt32, _ b: UInt32) -> Bool { distance(from: b, to: a) >= 0 }
}

/// The TCP connection state machine. `track` is a pure function of the session, the
/// segment, its direction and the time: it never reads a clock.
///
/// Lenient like Suricata's default: a first packet that is not a SYN starts the session
/// as `established` with the `midstream` flag; odd handshakes are named
/// (`streamInvalidHandshake`) but tracking goes on.
///
/// ```swift
/// let event = TCPTracker.track(&session, segment: segment, direction: .toServer, now: now, timeouts: timeouts)
/// ```
public enum TCPTracker {
    @inlinable
    public static func track(
        _ session: inout Session, segment: TCPSegment, direction: StreamDirection,
        now: Timestamp, timeouts: SessionTimeouts
    ) -> DecodeEvent? {
        let flags = segment.flags
        let syn = flags.contains(.syn)
        let ack = flags.contains(.ack)
        let fin = flags.contains(.fin)
        let fromClient = direction == .toServer
        var event: DecodeEvent? = nil
        session[direction].tcpFlagsSeen.formUnion(flags)
        if ack { session[direction].lastAcknowledgment = segment.acknowledgment }
        session[direction].window = segment.window

        defer {
            if let e = event {
                session.flags.insert(e == .streamPacketAfterClose ? .packetAfterClose : .invalidHandshake)
            }
            session.expiresAt = session.lastSeen.advanced(bySeconds: timeouts.seconds(for: session.tcpState))
        }

        if flags.contains(.rst) {
            if session.tcpState == .closed { event = .streamPacketAfterClose }
            session[direction].tcp.insert(.rstSeen)
            if session.tcpState != .closed && session.tcpState != .timeWait { session.closeReason = .rst }
            session.tcpState = .closed
            return event
        }

        switch session.tcpState {
        case .none:
            if syn && !ack {
                session.tcpState = .synSent
                startSide(&session[direction], segment: segment)
                if segment.payloadLength > 0 { event = .streamInvalidHandshake }
            } else if syn && ack {
                // We missed the client's SYN; the ACK tells its next sequence number.
                session.tcpState = .synReceived
                session.flags.insert(.midstream)
                startSide(&session[direction], segment: segment)
                pickUp(&session[direction.reversed], next: segment.acknowledgment)
                if segment.payloadLength > 0 { event = .streamInvalidHandshake }
            } else {
                session.tcpState = .established
                session.flags.insert(.midstream)
                if ack { pickUp(&session[direction.reversed], next: segment.acknowledgment) }
            }
        case .synSent:
            if fromClient {
                if syn && !ack {
                    // A retransmitted SYN; a new ISN means the client started over.
                    startSide(&session[direction], segment: segment)
                } else {
                    event = .streamInvalidHandshake
                }
            } else if syn {
                let clientISN = session.toServer.initialSequence
                if ack && segment.acknowledgment != clientISN &+ 1 {
                    event = .streamInvalidHandshake
                } else {
                    // SYN+ACK, or a bare SYN from the server (simultaneous open).
                    session.tcpState = .synReceived
                    startSide(&session[direction], segment: segment)
                    if segment.payloadLength > 0 { event = .streamInvalidHandshake }
                }
            } else {
                event = .streamInvalidHandshake
            }
        case .synReceived:
            if syn {
                // Retransmitted SYN or SYN+ACK: fine unless it tries a different ISN.
                if session[direction].tcp.contains(.synSeen) && segment.sequence != session[direction].initialSequence {
                    event = .streamInvalidHandshake
                }
            } else if ack && fromClient {
                let serverISN = session.toClient.initialSequence
                if !session.toClient.tcp.contains(.synSeen)
                    || SequenceNumber.isAtOrAfter(segment.acknowledgment, serverISN &+ 1) {
                    session.tcpState = .established
                } else {
                    event = .streamInvalidHandshake
                }
            }
        case .established, .finWait, .closing:
            if syn {
                let retransmittedSynAck = !fromClient && ack && session.toClient.tcp.contains(.synSeen)
                    && segment.sequence == session.toClient.initialSequence
                let retransmittedSyn = fromClient && !ack && session.toServer.tcp.contains(.synSeen)
                    && segment.sequence == session.toServer.initialSequence
                if !retransmittedSynAck && !retransmittedSyn { event = .streamInvalidHandshake }
            }
        case .timeWait:
            // Late ACKs are normal here; data, SYN or FIN are not.
            if segment.payloadLength > 0 || syn || fin { event = .streamPacketAfterClose }
            return event
        case .closed:
            event = .streamPacketAfterClose
            return event
        }

        advanceSequence(&session[direction], segment: segment)

        if fin && !session[direction].tcp.contains(.finSeen) {
            session[direction].tcp.insert(.finSeen)
            session[direction].finSequence = segment.sequence &+ (syn ? 1 : 0) &+ segment.payloadLength
        }
        let peer = direction.reversed
        if ack && session[peer].tcp.contains(.finSeen)
            && SequenceNumber.isAfter(segment.acknowledgment, session[peer].finSequence) {
            session[peer].tcp.insert(.finAcknowledged)
        }
        let clientFin = session.toServer.tcp.contains(.finSeen)
        let serverFin = session.toClient.tcp.contains(.finSeen)
        if clientFin || serverFin, session.tcpState.rawValue >= TCPState.synReceived.rawValue {
            if clientFin && serverFin {
                let bothAcknowledged = session.toServer.tcp.contains(.finAcknowledged)
                    && session.toClient.tcp.contains(.finAcknowledged)
                if bothAcknowledged {
                    session.tcpState = .timeWait
                    session.closeReason = .fin
                } else {
                    session.tcpState = .closing
                }
            } else {
                session.tcpState = .finWait
            }
        }
        return event
    }

    /// Records a SYN: the ISN and the next sequence number after it.
    @inlinable
    static func startSide(_ side: inout SessionSide, segment: TCPSegment) {
        side.initialSequence = segment.sequence
        side.nextSequence = segment.sequence &+ 1 &+ segment.payloadLength
        side.tcp.insert([.synSeen, .sequenceKnown])
    }

    /// Learns a side's next sequence number from the other side's acknowledgment.
    @inlinable
    static func pickUp(_ side: inout SessionSide, next: UInt32) {
        guard !side.tcp.contains(.sequenceKnown) else { return }
        side.nextSequence = next
        side.tcp.insert(.sequenceKnown)
    }

    /// Moves the side's next sequence number forward to the end of this segment.
    @inlinable
    static func advanceSequence(_ side: inout SessionSide, segment: TCPSegment) {
        let flags = segment.flags
        let end = segment.sequence &+ segment.payloadLength
            &+ (flags.contains(.syn) ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
        if !side.tcp.contains(.sequenceKnown) {
            side.nextSequence = end
            side.tcp.insert(.sequenceKnown)
        } else if SequenceNumber.isAfter(end, side.nextSequence) {
            side.nextSequence = end
        }
    }
}
