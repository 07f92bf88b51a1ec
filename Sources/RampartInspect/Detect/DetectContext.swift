import RampartWire

/// What a rule's header, flow and packet conditions are checked against: the packet (or,
/// for a stream or application inspection, the packet that completed it) as seen from its
/// session.
@usableFromInline
struct DetectContext {
    var source: IPAddress
    var sourcePort: UInt16
    var destination: IPAddress
    var destinationPort: UInt16
    var transport: TransportClass
    var ipProtocol: UInt8
    var toServer: Bool
    var established: Bool
    /// The inspection is of the reassembled stream or an application buffer.
    var inStream = false
    var application: DetectApplication
    var fromFragments: Bool
    var payloadLength: Int
    var tcpFlags: UInt8
    var ttl: UInt8
    var icmpType: UInt8
    var icmpCode: UInt8
    var icmpIdentifier: UInt16
    var icmpSequence: UInt16
    var ipID: UInt16
    var sequence: UInt32
    var acknowledgement: UInt32
    var window: UInt16
    /// Packet time, in seconds (thresholds).
    var second: Int64
    /// The session's detection state, or -1.
    var state: Int32
    /// TCP: what each side has sent so far, as Suricata's `stream_size` counts it (the
    /// stream's delivered bytes, plus one for the SYN); nil without a reassembled stream.
    var clientStreamSize: UInt64?
    var serverStreamSize: UInt64?
    /// Stream inspection: a match must end past this offset (the bytes before it were
    /// inspected with an earlier packet).
    var minimumEnd = 0

    /// The context of `packet`, in `toServer` direction of its session.
    init(packet: DecodedPacket, frame: UnsafeRawBufferPointer, toServer: Bool, established: Bool,
         application: DetectApplication, fromFragments: Bool, second: Int64, state: Int32) {
        source = packet.source
        sourcePort = packet.sourcePort
        destination = packet.destination
        destinationPort = packet.destinationPort
        switch packet.ipProtocol {
        case .tcp: transport = .tcp
        case .udp: transport = .udp
        case .icmp, .icmpv6: transport = .icmp
        default: transport = .other
        }
        ipProtocol = packet.ipProtocol.rawValue
        self.toServer = toServer
        self.established = established
        self.application = application
        self.fromFragments = fromFragments
        payloadLength = packet.payloadLength
        tcpFlags = packet.tcpFlags.rawValue
        ttl = packet.hopLimit
        icmpType = packet.icmpType
        icmpCode = packet.icmpCode
        icmpIdentifier = packet.icmpIdentifier
        sequence = packet.tcpSequence
        acknowledgement = packet.tcpAcknowledgment
        window = packet.tcpWindow
        func u16(_ at: Int) -> UInt16 {
            at >= 0 && at + 2 <= frame.count ? UInt16(frame[at]) << 8 | UInt16(frame[at + 1]) : 0
        }
        ipID = packet.ipVersion == 4 ? u16(packet.networkOffset + 4) : 0
        icmpSequence = transport == .icmp ? u16(packet.transportOffset + 6) : 0
        self.second = second
        self.state = state
    }
}
