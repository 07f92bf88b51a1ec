import RampartWire

/// Which way a packet travels relative to its `FlowKey`: from the key's lower endpoint
/// (`lowerAddress`, `lowerPort`) or from its upper one.
///
/// ```swift
/// let (key, direction) = FlowKey.of(packet)
/// direction == .fromLower   // the packet's source is key.lowerAddress
/// ```
public enum FlowDirection: UInt8, Sendable {
    case fromLower = 0
    case fromUpper = 1

    /// The other way.
    @inlinable
    public var reversed: FlowDirection { self == .fromLower ? .fromUpper : .fromLower }
}

/// The identity of a session: both endpoints in a fixed order (lower address and port
/// first), so both directions of a conversation give the same key, plus the domain it was
/// seen in (VLAN, tunnel VNI and tunnel source) so equal 5-tuples from different nodes or
/// clusters never share a session.
///
/// ICMP echo request and reply use the echo identifier as both ports; other ICMP messages
/// use port 0, so they share one session per address pair and domain.
///
/// ```swift
/// let (key, direction) = FlowKey.of(packet)
/// let (reverseKey, reverseDirection) = FlowKey.of(replyPacket)
/// key == reverseKey                     // true
/// direction == reverseDirection.reversed  // true
/// ```
@frozen
public struct FlowKey: Hashable, Sendable {
    public var lowerAddress: IPAddress
    public var upperAddress: IPAddress
    /// The outer source address of the tunnel the packet arrived in; `.zero` for captures.
    public var tunnelSource: IPAddress
    /// The tunnel's VNI; 0 when the packet was not tunnelled.
    public var tunnelVNI: UInt32
    public var lowerPort: UInt16
    public var upperPort: UInt16
    public var vlanID: UInt16
    public var ipProtocol: IPProtocol

    /// An all-zero key, used for empty table slots.
    @inlinable
    public init() {
        lowerAddress = .zero
        upperAddress = .zero
        tunnelSource = .zero
        tunnelVNI = 0
        lowerPort = 0
        upperPort = 0
        vlanID = 0
        ipProtocol = IPProtocol(rawValue: 0)
    }

    /// Builds the normalised key for a packet from `source:sourcePort` to
    /// `destination:destinationPort` and says which way that packet travels.
    ///
    /// ```swift
    /// let (key, direction) = FlowKey.make(
    ///     source: IPAddress("10.0.0.2")!, sourcePort: 40000,
    ///     destination: IPAddress("10.0.0.1")!, destinationPort: 80, ipProtocol: .tcp)
    /// key.lowerAddress   // 10.0.0.1
    /// direction          // .fromUpper
    /// ```
    @inlinable
    public static func make(
        source: IPAddress, sourcePort: UInt16,
        destination: IPAddress, destinationPort: UInt16,
        ipProtocol: IPProtocol, vlanID: UInt16 = 0,
        tunnelVNI: UInt32 = 0, tunnelSource: IPAddress = .zero
    ) -> (key: FlowKey, direction: FlowDirection) {
        var key = FlowKey()
        key.ipProtocol = ipProtocol
        key.vlanID = vlanID
        key.tunnelVNI = tunnelVNI
        key.tunnelSource = tunnelSource
        let sourceIsLower = source < destination || (source == destination && sourcePort <= destinationPort)
        if sourceIsLower {
            key.lowerAddress = source
            key.lowerPort = sourcePort
            key.upperAddress = destination
            key.upperPort = destinationPort
            return (key, .fromLower)
        }
        key.lowerAddress = destination
        key.lowerPort = destinationPort
        key.upperAddress = source
        key.upperPort = sourcePort
        return (key, .fromUpper)
    }

    /// The key and direction of a decoded packet.
    ///
    /// ```swift
    /// let (key, direction) = FlowKey.of(packet)
    /// ```
    @inlinable
    public static func of(_ packet: DecodedPacket) -> (key: FlowKey, direction: FlowDirection) {
        var sourcePort = packet.sourcePort
        var destinationPort = packet.destinationPort
        if packet.ipProtocol == .icmp || packet.ipProtocol == .icmpv6 {
            let isEcho: Bool
            if packet.ipProtocol == .icmp {
                isEcho = packet.icmpType == 8 || packet.icmpType == 0
            } else {
                isEcho = packet.icmpType == 128 || packet.icmpType == 129
            }
            sourcePort = isEcho ? packet.icmpIdentifier : 0
            destinationPort = sourcePort
        }
        let vni = packet.tunnel == .none ? 0 : packet.tunnelVNI
        let tunnelSource = packet.tunnel == .none ? IPAddress.zero : packet.tunnelSource
        return make(
            source: packet.source, sourcePort: sourcePort,
            destination: packet.destination, destinationPort: destinationPort,
            ipProtocol: packet.ipProtocol, vlanID: packet.vlanID,
            tunnelVNI: vni, tunnelSource: tunnelSource)
    }

    /// A 64-bit hash of every field, the same for both directions (the key is normalised).
    /// Also suitable for spreading sessions over workers.
    ///
    /// ```swift
    /// let worker = Int(key.flowHash % UInt64(workerCount))
    /// ```
    @inlinable
    public var flowHash: UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        @inline(__always) func mix(_ word: UInt64) {
            h = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
        }
        mix(lowerAddress.high)
        mix(lowerAddress.low)
        mix(upperAddress.high)
        mix(upperAddress.low)
        mix(UInt64(lowerPort) | UInt64(upperPort) << 16 | UInt64(vlanID) << 32 | UInt64(ipProtocol.rawValue) << 48)
        mix(UInt64(tunnelVNI))
        mix(tunnelSource.high)
        mix(tunnelSource.low)
        // Final avalanche (murmur3's fmix64) so the low bits used for the table index
        // depend on every input bit.
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}
