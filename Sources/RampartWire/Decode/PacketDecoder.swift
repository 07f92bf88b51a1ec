/// Decodes one captured frame, layer by layer, into a `DecodedPacket`: link, IP (with
/// IPv6 extension headers and fragments), transport, and one level of VXLAN or Geneve.
///
/// Outcomes, decided once here so every caller sees the same thing:
/// - `nil` with `packet.ipVersion == 0`: a frame without IP (ARP, LLDP, ...). Not an error.
/// - `nil`: decoded; `packet.warning` may hold one non-fatal finding (the first found):
///   a bad checksum when `verifyChecksums` is on, `captureTruncated` when the capture
///   holds fewer bytes than the IP length says but every header is complete (the payload
///   length is then what was captured), a tunnel header on a tunnel port that did not
///   parse (the packet stays plain UDP), or `tunnelTooDeep` for a tunnel inside a tunnel
///   (not opened).
/// - an event: fatal. `captureTruncated` here means a header the packet claims to carry
///   was cut off by the capture; a header that does not fit in the IP packet itself is
///   that header's own event (`tcpTooShort`, ...). Fields of layers already decoded
///   stay filled. A live interface has no snap length, so there `captureTruncated`
///   means the IP length field lies; the dataplane should treat it as malformed.
/// - Inside a tunnel the fields describe the inner packet, and an inner fatal event is
///   returned as is (the outer addresses are in `tunnelSource`/`tunnelDestination`).
/// - Non-first fragments: `isFragment`, `fragmentOffset`, ... are set and the transport
///   is not parsed (`transportOffset` is the fragment's data). Checksums of fragments
///   and of truncated packets are not verified: they cover bytes we do not have.
///
/// Allocation-free (no Array, String or existential on any path): it reads through the
/// buffer and writes the value. Linux cooked captures are decoded for IP EtherTypes
/// only; a VLAN EtherType there counts as non-IP.
///
/// ```swift
/// var packet = DecodedPacket()
/// let event = frame.withUnsafeBytes {
///     PacketDecoder.decode($0, linkType: .ethernet, into: &packet, verifyChecksums: true)
/// }
/// if let event { counters.count(event) } else if let warning = packet.warning { counters.count(warning) }
/// ```
public enum PacketDecoder {
    /// Decodes `frame` (captured bytes, starting with a `linkType` header). Offsets in
    /// `packet` are from the start of `frame`. Returns nil on success, else the fatal reason.
    @inlinable
    public static func decode(
        _ frame: UnsafeRawBufferPointer, linkType: LinkType, into packet: inout DecodedPacket,
        verifyChecksums: Bool = false, tunnelPorts: TunnelPorts = .standard
    ) -> DecodeEvent? {
        packet = DecodedPacket()
        let context = DecodeContext(verifyChecksums: verifyChecksums, tunnelPorts: tunnelPorts, insideTunnel: false)
        switch linkType {
        case .ethernet:
            return decodeEthernet(frame, at: 0, into: &packet, context)
        case .raw:
            guard frame.count >= 1 else { return .ipv4TooShort }
            switch frame.networkUInt8(at: 0) >> 4 {
            case 4: return decodeIPv4(frame, at: 0, into: &packet, context)
            case 6: return decodeIPv6(frame, at: 0, into: &packet, context)
            default: return .ipv4WrongVersion
            }
        case .ipv4:
            return decodeIPv4(frame, at: 0, into: &packet, context)
        case .ipv6:
            return decodeIPv6(frame, at: 0, into: &packet, context)
        case .linuxCooked:
            switch LinuxCookedHeader.parse(frame, at: 0) {
            case .failure(let event): return event
            case .success(let sll): return decodeEtherType(sll.protocolType, frame, at: sll.payloadOffset, into: &packet, context)
            }
        case .linuxCooked2:
            switch LinuxCooked2Header.parse(frame, at: 0) {
            case .failure(let event): return event
            case .success(let sll): return decodeEtherType(sll.protocolType, frame, at: sll.payloadOffset, into: &packet, context)
            }
        default:
            return .linkTypeUnsupported
        }
    }

    // MARK: Link

    @inlinable
    static func decodeEthernet(
        _ frame: UnsafeRawBufferPointer, at offset: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        switch EthernetHeader.parse(frame, at: offset) {
        case .failure(let event):
            return event
        case .success(let ethernet):
            packet.vlanID = ethernet.vlanID
            return decodeEtherType(ethernet.etherType, frame, at: ethernet.payloadOffset, into: &packet, context)
        }
    }

    /// IP goes on; anything else (ARP, LLDP, ...) is a successfully decoded non-IP frame.
    @inlinable
    static func decodeEtherType(
        _ etherType: UInt16, _ frame: UnsafeRawBufferPointer, at offset: Int,
        into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        switch etherType {
        case EthernetHeader.etherTypeIPv4: return decodeIPv4(frame, at: offset, into: &packet, context)
        case EthernetHeader.etherTypeIPv6: return decodeIPv6(frame, at: offset, into: &packet, context)
        default: return nil
        }
    }

    // MARK: Network

    @inlinable
    static func decodeIPv4(
        _ frame: UnsafeRawBufferPointer, at offset: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        let ip: IPv4Header
        switch IPv4Header.parse(frame, at: offset) {
        case .failure(let event): return event
        case .success(let header): ip = header
        }
        packet.ipVersion = 4
        packet.source = ip.source
        packet.destination = ip.destination
        packet.ipProtocol = ip.protocol
        packet.hopLimit = ip.timeToLive
        packet.networkOffset = offset
        packet.networkLength = min(ip.totalLength, ip.capturedLength)
        if context.verifyChecksums && !Checksum.ipv4HeaderIsValid(frame, at: offset, headerLength: ip.headerLength) {
            packet.note(.ipv4ChecksumInvalid)
        }
        if ip.isFragment {
            packet.isFragment = true
            packet.moreFragments = ip.moreFragments
            packet.fragmentOffset = ip.fragmentOffset
            packet.fragmentIdentifier = UInt32(ip.identification)
            packet.fragmentDataOffset = ip.payloadOffset
            if ip.fragmentOffset != 0 {
                return decodeFragmentData(frame, at: ip.payloadOffset, end: ip.end, into: &packet)
            }
        }
        return decodeTransport(ip.protocol, frame, at: ip.payloadOffset, end: ip.end, into: &packet, context)
    }

    @inlinable
    static func decodeIPv6(
        _ frame: UnsafeRawBufferPointer, at offset: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        let ip: IPv6Header
        switch IPv6Header.parse(frame, at: offset) {
        case .failure(let event): return event
        case .success(let header): ip = header
        }
        packet.ipVersion = 6
        packet.source = ip.source
        packet.destination = ip.destination
        packet.hopLimit = ip.hopLimit
        packet.networkOffset = offset
        packet.networkLength = min(ip.totalLength, ip.capturedLength)
        let chain: IPv6ExtensionChain
        switch IPv6ExtensionChain.walk(frame, from: ip.payloadOffset, nextHeader: ip.nextHeader, end: ip.end) {
        case .failure(let event): return event
        case .success(let walked): chain = walked
        }
        packet.ipProtocol = chain.upperProtocol
        if chain.isFragment {
            packet.isFragment = true
            packet.moreFragments = chain.moreFragments
            packet.fragmentOffset = chain.fragmentOffset
            packet.fragmentIdentifier = chain.fragmentIdentifier
            packet.fragmentDataOffset = chain.fragmentDataOffset
            if chain.fragmentOffset != 0 {
                return decodeFragmentData(frame, at: chain.upperOffset, end: ip.end, into: &packet)
            }
        }
        return decodeTransport(chain.upperProtocol, frame, at: chain.upperOffset, end: ip.end, into: &packet, context)
    }

    /// A non-first fragment: its bytes are the middle of a datagram, not a header.
    @inlinable
    static func decodeFragmentData(
        _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket
    ) -> DecodeEvent? {
        let capturedEnd = min(end, frame.count)
        packet.transportOffset = offset
        packet.payloadOffset = offset
        packet.payloadLength = max(0, capturedEnd &- offset)
        if end > frame.count { packet.note(.captureTruncated) }
        return nil
    }

    // MARK: Transport

    /// Dispatches on the protocol; `end` is the IP packet's end by its length field.
    @inlinable
    static func decodeTransport(
        _ protocol: IPProtocol, _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int,
        into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        packet.transportOffset = offset
        let event: DecodeEvent?
        switch `protocol` {
        case .tcp: event = decodeTCP(frame, at: offset, end: end, into: &packet, context)
        case .udp: event = decodeUDP(frame, at: offset, end: end, into: &packet, context)
        case .icmp where packet.ipVersion == 4: event = decodeICMPv4(frame, at: offset, end: end, into: &packet, context)
        case .icmpv6 where packet.ipVersion == 6: event = decodeICMPv6(frame, at: offset, end: end, into: &packet, context)
        default:
            packet.payloadOffset = offset
            packet.payloadLength = max(0, min(end, frame.count) &- offset)
            event = nil
        }
        if event == nil && end > frame.count { packet.note(.captureTruncated) }
        return event
    }

    /// Whether a checksum can be checked: asked for, and covering only bytes we hold.
    @inlinable @inline(__always)
    static func canVerify(_ packet: DecodedPacket, end: Int, in frame: UnsafeRawBufferPointer, _ context: DecodeContext) -> Bool {
        context.verifyChecksums && !packet.isFragment && end <= frame.count
    }

    /// Notes `event` when checksums are verified and the transport checksum over
    /// `offset..<end` (with its pseudo-header) is wrong.
    @inlinable @inline(__always)
    static func verifyChecksum(
        _ frame: UnsafeRawBufferPointer, from offset: Int, to end: Int, _ ipProtocol: IPProtocol,
        orNote event: DecodeEvent, into packet: inout DecodedPacket, _ context: DecodeContext
    ) {
        if canVerify(packet, end: end, in: frame, context),
           !Checksum.transportIsValid(UnsafeRawBufferPointer(rebasing: frame[offset ..< end]), protocol: ipProtocol,
                                      source: packet.source, destination: packet.destination) {
            packet.note(event)
        }
    }

    @inlinable
    static func decodeTCP(
        _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        let tcp: TCPHeader
        switch TCPHeader.parse(frame, at: offset, end: end) {
        case .failure(let event): return event
        case .success(let header): tcp = header
        }
        packet.sourcePort = tcp.sourcePort
        packet.destinationPort = tcp.destinationPort
        packet.tcpFlags = tcp.flags
        packet.tcpSequence = tcp.sequence
        packet.tcpAcknowledgment = tcp.acknowledgment
        packet.tcpWindow = tcp.window
        packet.tcpOptions = tcp.options
        packet.payloadOffset = tcp.payloadOffset
        packet.payloadLength = min(end, frame.count) &- tcp.payloadOffset
        verifyChecksum(frame, from: offset, to: end, .tcp, orNote: .tcpChecksumInvalid, into: &packet, context)
        return nil
    }

    @inlinable
    static func decodeUDP(
        _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        // A first fragment's length field counts the whole datagram, beyond this packet.
        if packet.isFragment, let event = roomCheck(frame, offset, UDPHeader.length, end, .udpTooShort) { return event }
        let udp: UDPHeader
        switch UDPHeader.parse(frame, at: offset, end: packet.isFragment ? Int.max : end) {
        case .failure(let event): return event
        case .success(let header): udp = header
        }
        let udpEnd = min(udp.end, end)
        packet.sourcePort = udp.sourcePort
        packet.destinationPort = udp.destinationPort
        packet.payloadOffset = udp.payloadOffset
        packet.payloadLength = min(udpEnd, frame.count) &- udp.payloadOffset
        verifyChecksum(frame, from: offset, to: udpEnd, .udp, orNote: .udpChecksumInvalid, into: &packet, context)
        let kind = packet.isFragment ? TunnelKind.none : context.tunnelPorts.kind(forDestinationPort: udp.destinationPort)
        if kind == .none { return nil }
        return decodeTunnel(kind, frame, at: udp.payloadOffset, end: udpEnd, into: &packet, context)
    }

    @inlinable
    static func decodeICMPv4(
        _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        let icmp: ICMPv4Header
        switch ICMPv4Header.parse(frame, at: offset, end: end) {
        case .failure(let event): return event
        case .success(let header): icmp = header
        }
        packet.icmpType = icmp.type
        packet.icmpCode = icmp.code
        packet.icmpIdentifier = icmp.identifier
        packet.payloadOffset = icmp.payloadOffset
        packet.payloadLength = min(end, frame.count) &- icmp.payloadOffset
        verifyChecksum(frame, from: offset, to: end, .icmp, orNote: .icmpChecksumInvalid, into: &packet, context)
        return nil
    }

    @inlinable
    static func decodeICMPv6(
        _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int, into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        let icmp: ICMPv6Header
        switch ICMPv6Header.parse(frame, at: offset, end: end) {
        case .failure(let event): return event
        case .success(let header): icmp = header
        }
        packet.icmpType = icmp.type
        packet.icmpCode = icmp.code
        packet.icmpIdentifier = icmp.identifier
        packet.payloadOffset = icmp.payloadOffset
        packet.payloadLength = min(end, frame.count) &- icmp.payloadOffset
        verifyChecksum(frame, from: offset, to: end, .icmpv6, orNote: .icmpChecksumInvalid, into: &packet, context)
        return nil
    }

    // MARK: Tunnel

    /// Opens a VXLAN or Geneve datagram whose payload starts at `offset` and ends at `end`.
    /// A header that does not parse leaves the packet as plain UDP, with a warning.
    @inlinable
    static func decodeTunnel(
        _ kind: TunnelKind, _ frame: UnsafeRawBufferPointer, at offset: Int, end: Int,
        into packet: inout DecodedPacket, _ context: DecodeContext
    ) -> DecodeEvent? {
        let vni: UInt32
        let innerOffset: Int
        if kind == .geneve {
            switch GeneveHeader.parse(frame, at: offset, end: end) {
            case .failure(let event): packet.note(event); return nil
            case .success(let geneve): vni = geneve.vni; innerOffset = geneve.payloadOffset
            }
        } else {
            switch VXLANHeader.parse(frame, at: offset, end: end) {
            case .failure(let event): packet.note(event); return nil
            case .success(let vxlan): vni = vxlan.vni; innerOffset = vxlan.payloadOffset
            }
        }
        if context.insideTunnel {
            packet.note(.tunnelTooDeep)
            return nil
        }
        let outerSource = packet.source
        let outerDestination = packet.destination
        let outerWarning = packet.warning
        packet = DecodedPacket()
        packet.warning = outerWarning
        packet.tunnel = kind
        packet.tunnelVNI = vni
        packet.tunnelSource = outerSource
        packet.tunnelDestination = outerDestination
        packet.innerFrameOffset = innerOffset
        // The inner frame ends with the UDP datagram, not with the outer frame's padding.
        let inner = UnsafeRawBufferPointer(rebasing: frame[0 ..< min(end, frame.count)])
        var innerContext = context
        innerContext.insideTunnel = true
        return decodeEthernet(inner, at: innerOffset, into: &packet, innerContext)
    }
}

/// What stays the same through one frame's layers.
@usableFromInline
struct DecodeContext: Sendable {
    @usableFromInline var verifyChecksums: Bool
    @usableFromInline var tunnelPorts: TunnelPorts
    @usableFromInline var insideTunnel: Bool

    @inlinable
    init(verifyChecksums: Bool, tunnelPorts: TunnelPorts, insideTunnel: Bool) {
        self.verifyChecksums = verifyChecksums
        self.tunnelPorts = tunnelPorts
        self.insideTunnel = insideTunnel
    }
}
