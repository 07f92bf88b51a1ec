/// What the decoder learned about one frame: offsets into the caller's bytes and the
/// header fields the engine needs. A plain value with no references, so filling one per
/// packet allocates nothing.
///
/// ```swift
/// var packet = DecodedPacket()
/// let event = bytes.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &packet) }
/// if event == nil, packet.ipProtocol == .tcp { print(packet.source, packet.sourcePort) }
/// ```
@frozen
public struct DecodedPacket: Sendable {
    /// 802.1Q VLAN id of the innermost tag, 0 when untagged.
    public var vlanID: UInt16 = 0
    /// 4, 6, or 0 when the frame carried no IP packet (ARP, LLDP, ...).
    public var ipVersion: UInt8 = 0
    public var source: IPAddress = IPAddress(high: 0, low: 0)
    public var destination: IPAddress = IPAddress(high: 0, low: 0)
    public var ipProtocol: IPProtocol = IPProtocol(rawValue: 0)
    /// IPv4 TTL or IPv6 hop limit.
    public var hopLimit: UInt8 = 0
    /// Transport ports (0 for ICMP and others).
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var tcpFlags: TCPFlags = TCPFlags(rawValue: 0)  // not `[]`: that builds an array
    public var tcpSequence: UInt32 = 0
    public var tcpAcknowledgment: UInt32 = 0
    public var tcpWindow: UInt16 = 0
    /// MSS, window scale, SACK and timestamps when the TCP header carried them.
    public var tcpOptions: TCPOptions = TCPOptions()
    /// ICMP type and code; `icmpIdentifier` for echo request/reply (0 otherwise).
    public var icmpType: UInt8 = 0
    public var icmpCode: UInt8 = 0
    public var icmpIdentifier: UInt16 = 0
    /// Byte offset of the IP header within the frame.
    public var networkOffset: Int = 0
    /// Byte offset of the transport header (or of the fragment's payload for non-first fragments).
    public var transportOffset: Int = 0
    /// Byte offset and length of the transport payload (TCP/UDP data, ICMP body).
    public var payloadOffset: Int = 0
    public var payloadLength: Int = 0
    /// Length of the IP packet as its header says (header plus payload), bounded by the capture.
    public var networkLength: Int = 0
    /// Set when this packet is an IP fragment (first or later); transport fields are
    /// valid only for the first fragment (`fragmentOffset == 0`).
    public var isFragment: Bool = false
    public var moreFragments: Bool = false
    /// Offset of this fragment's data in the original datagram, in bytes.
    public var fragmentOffset: Int = 0
    /// IPv4 identification or IPv6 fragment identification.
    public var fragmentIdentifier: UInt32 = 0
    /// Byte offset of the fragment's data (just past the IP and fragment headers).
    public var fragmentDataOffset: Int = 0
    /// Set when the frame arrived inside a VXLAN or Geneve tunnel and the fields above
    /// describe the inner packet.
    public var tunnel: TunnelKind = .none
    public var tunnelVNI: UInt32 = 0
    public var tunnelSource: IPAddress = IPAddress(high: 0, low: 0)
    public var tunnelDestination: IPAddress = IPAddress(high: 0, low: 0)
    /// Byte offset of the inner Ethernet frame when `tunnel != .none`.
    public var innerFrameOffset: Int = 0
    /// Non-fatal findings (for example a bad checksum when verification is on); fatal ones
    /// are the decoder's return value instead.
    public var warning: DecodeEvent? = nil

    @inlinable
    public init() {}

    /// Records a non-fatal finding; the first one (the outermost layer's) is kept.
    @inlinable
    public mutating func note(_ event: DecodeEvent) {
        if warning == nil { warning = event }
    }
}

/// The IP protocol number (`6` TCP, `17` UDP, ...).
@frozen
public struct IPProtocol: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let icmp = IPProtocol(rawValue: 1)
    public static let tcp = IPProtocol(rawValue: 6)
    public static let udp = IPProtocol(rawValue: 17)
    public static let icmpv6 = IPProtocol(rawValue: 58)
    public static let sctp = IPProtocol(rawValue: 132)

    /// The lower-case name EVE uses (`TCP`, `UDP`, `ICMP`, `IPv6-ICMP`), or the number.
    public var description: String {
        switch rawValue {
        case 1: return "ICMP"
        case 6: return "TCP"
        case 17: return "UDP"
        case 58: return "IPv6-ICMP"
        case 132: return "SCTP"
        default: return String(rawValue)
        }
    }
}

/// TCP header flags.
@frozen
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)
    public static let ece = TCPFlags(rawValue: 0x40)
    public static let cwr = TCPFlags(rawValue: 0x80)

    /// Two hex digits as Suricata's EVE prints `tcp_flags` (`"1b"`).
    public var hex: String {
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(rawValue >> 4)], digits[Int(rawValue & 0xF)]])
    }
}

/// Which tunnel, if any, wrapped the inner frame.
public enum TunnelKind: UInt8, Sendable {
    case none = 0
    case vxlan = 1
    case geneve = 2
}

/// The link-layer framing of a capture or an interface, numbered as pcap's LINKTYPE_*.
@frozen
public struct LinkType: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let ethernet = LinkType(rawValue: 1)
    /// LINKTYPE_RAW: the frame starts with an IPv4 or IPv6 header.
    public static let raw = LinkType(rawValue: 101)
    public static let linuxCooked = LinkType(rawValue: 113)
    public static let linuxCooked2 = LinkType(rawValue: 276)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
}
