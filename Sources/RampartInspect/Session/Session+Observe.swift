import RampartWire

extension Session {
    /// Whether `packet` opens a new TCP connection on this closed session's 5-tuple (a
    /// bare SYN after time-wait or a RST: port reuse). The engine then ends this session
    /// and starts a fresh one instead of calling `observe`, which would count the SYN as
    /// `streamPacketAfterClose`.
    ///
    /// ```swift
    /// if table[slot].isReopened(by: packet) {
    ///     let old = table[slot]; table.remove(slot); log(old)
    ///     slot = table.insert(key, now: now).slot
    /// }
    /// ```
    @inlinable
    public func isReopened(by packet: DecodedPacket) -> Bool {
        packet.ipProtocol == .tcp && (tcpState == .timeWait || tcpState == .closed)
            && packet.tcpFlags.contains(.syn) && !packet.tcpFlags.contains(.ack)
    }

    /// Whether the first packet of a session comes from its server: a SYN+ACK (the SYN was
    /// missed), or a TCP packet picked up mid-stream from the lower port. Decides the client.
    ///
    /// ```swift
    /// let client = Session.firstPacketIsFromServer(packet) ? packet.destination : packet.source
    /// ```
    @inlinable
    public static func firstPacketIsFromServer(_ packet: DecodedPacket) -> Bool {
        guard packet.ipProtocol == .tcp else { return false }
        let synAck = TCPFlags(rawValue: TCPFlags.syn.rawValue | TCPFlags.ack.rawValue)
        if packet.tcpFlags.isSuperset(of: synAck) { return true }
        if packet.tcpFlags.contains(.syn) { return false }
        return packet.sourcePort < packet.destinationPort
    }

    /// Accounts one packet to the session: counters, client side (on the first packet),
    /// TCP state, and the expiry time. A pure function of the session, the packet fields,
    /// the direction and `now`.
    ///
    /// Returns the anomaly this packet shows (`streamInvalidHandshake`,
    /// `streamPacketAfterClose`), or nil.
    ///
    /// ```swift
    /// let (key, direction) = FlowKey.of(packet)
    /// if let event = table[slot].observe(packet, direction: direction, now: now, timeouts: timeouts) {
    ///     counters.count(event)
    /// }
    /// ```
    @inlinable
    public mutating func observe(
        _ packet: DecodedPacket, direction: FlowDirection, now: Timestamp, timeouts: SessionTimeouts
    ) -> DecodeEvent? {
        let isTCP = packet.ipProtocol == .tcp
        if toServer.packets == 0 && toClient.packets == 0 {
            // A SYN+ACK first means we missed the SYN: the receiver is the client. A session
            // picked up mid-stream (a capture started late, a firewall restarted) has no
            // handshake to tell: the side on the lower port is taken as the server, as
            // servers listen on low, well-known ports and clients use ephemeral ones.
            clientDirection = Session.firstPacketIsFromServer(packet) ? direction.reversed : direction
            firstSeen = now
        }
        let stream = streamDirection(of: direction)
        self[stream].packets &+= 1
        self[stream].bytes &+= UInt64(truncatingIfNeeded: max(packet.networkLength, 0))
        if self[stream.reversed].packets > 0 { flags.insert(.bothSidesSeen) }
        if now > lastSeen { lastSeen = now }

        if isTCP {
            let segment = TCPSegment(
                sequence: packet.tcpSequence, acknowledgment: packet.tcpAcknowledgment,
                flags: packet.tcpFlags, window: packet.tcpWindow,
                payloadLength: UInt32(truncatingIfNeeded: max(packet.payloadLength, 0)))
            return TCPTracker.track(&self, segment: segment, direction: stream, now: now, timeouts: timeouts)
        }
        let seconds: Int64
        switch packet.ipProtocol {
        case .udp: seconds = flags.contains(.bothSidesSeen) ? timeouts.udpEstablished : timeouts.udp
        case .icmp, .icmpv6: seconds = timeouts.icmp
        default: seconds = timeouts.other
        }
        expiresAt = lastSeen.advanced(bySeconds: seconds)
        return nil
    }
}
