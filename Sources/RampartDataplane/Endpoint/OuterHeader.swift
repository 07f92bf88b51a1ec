import RampartWire

/// A synthetic outer Ethernet/IP/UDP header written in front of a received tunnel
/// datagram, so the engine's decoder decapsulates it as it would a captured one and the
/// session key gets the tunnel source and VNI (equal 5-tuples from different nodes or
/// clusters never mix). The socket gives the payload only; the kernel already checked the
/// real outer headers.
///
/// ```swift
/// let start = OuterHeader.write(sender: node, kind: .vxlan, datagramLength: n, into: slot, before: 64)
/// engine.process(frame: slot[start ..< 64 + n], linkType: .ethernet, ...)
/// ```
public enum OuterHeader {
    /// Room needed in front of the datagram: Ethernet + IPv6 + UDP.
    public static let headroom = 64
    static let ipv4Length = 14 + 20 + 8
    static let ipv6Length = 14 + 40 + 8

    /// The length of the synthetic header `write` put at the start of `frame` (42 for an
    /// IPv4 sender, 62 for IPv6), or 0 when the frame does not start with one.
    @inlinable
    public static func length(of frame: UnsafeRawBufferPointer) -> Int {
        guard frame.count >= 14 else { return 0 }
        switch UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: 12, as: UInt16.self)) {
        case 0x0800: return 42
        case 0x86DD: return 62
        default: return 0
        }
    }

    /// Writes the header ending at `end` and returns where it starts, or -1 when it does
    /// not fit. The UDP destination port is the standard one of `kind` (4789 or 6081), the
    /// one the decoder recognises.
    @inlinable
    public static func write(
        sender: IPAddress, senderPort: UInt16, kind: TunnelKind, datagramLength: Int,
        into buffer: UnsafeMutableRawBufferPointer, before end: Int
    ) -> Int {
        let isIPv4 = sender.isIPv4
        let length = isIPv4 ? 42 : 62
        // The largest datagram the synthetic length fields can state: a TSO super-packet
        // from a pod (~65 KB) must fit, or it is dropped and TCP stalls on retransmits.
        let maximum = isIPv4 ? 65_535 &- 28 : 65_535 &- 8
        guard end >= length, end <= buffer.count, datagramLength >= 0, datagramLength <= maximum else { return -1 }
        let start = end &- length
        // Ethernet: addresses unused by the decoder.
        buffer.storeBytes(of: UInt64(0), toByteOffset: start, as: UInt64.self)
        buffer.storeBytes(of: UInt32(0), toByteOffset: start &+ 8, as: UInt32.self)
        buffer.storeBytes(of: (isIPv4 ? UInt16(0x0800) : UInt16(0x86DD)).bigEndian, toByteOffset: start &+ 12, as: UInt16.self)
        let ip = start &+ 14
        let udpLength = 8 &+ datagramLength
        let udp: Int
        if isIPv4 {
            buffer.storeBytes(of: UInt16(0x4500).bigEndian, toByteOffset: ip, as: UInt16.self)
            buffer.storeBytes(of: UInt16(truncatingIfNeeded: 20 &+ udpLength).bigEndian, toByteOffset: ip &+ 2, as: UInt16.self)
            buffer.storeBytes(of: UInt32(0x0000_4000).bigEndian, toByteOffset: ip &+ 4, as: UInt32.self)
            buffer.storeBytes(of: UInt16(0x4011).bigEndian, toByteOffset: ip &+ 8, as: UInt16.self)  // TTL 64, UDP
            buffer.storeBytes(of: UInt16(0), toByteOffset: ip &+ 10, as: UInt16.self)
            buffer.storeBytes(of: sender.ipv4Value.bigEndian, toByteOffset: ip &+ 12, as: UInt32.self)
            buffer.storeBytes(of: UInt32(0), toByteOffset: ip &+ 16, as: UInt32.self)
            udp = ip &+ 20
        } else {
            buffer.storeBytes(of: UInt32(0x6000_0000).bigEndian, toByteOffset: ip, as: UInt32.self)
            buffer.storeBytes(of: UInt16(truncatingIfNeeded: udpLength).bigEndian, toByteOffset: ip &+ 4, as: UInt16.self)
            buffer.storeBytes(of: UInt16(0x1140).bigEndian, toByteOffset: ip &+ 6, as: UInt16.self)  // UDP, hop limit 64
            buffer.storeBytes(of: sender.high.bigEndian, toByteOffset: ip &+ 8, as: UInt64.self)
            buffer.storeBytes(of: sender.low.bigEndian, toByteOffset: ip &+ 16, as: UInt64.self)
            buffer.storeBytes(of: UInt64(0), toByteOffset: ip &+ 24, as: UInt64.self)
            buffer.storeBytes(of: UInt64(0), toByteOffset: ip &+ 32, as: UInt64.self)
            udp = ip &+ 40
        }
        let port: UInt16 = kind == .geneve ? 6081 : 4789
        buffer.storeBytes(of: senderPort.bigEndian, toByteOffset: udp, as: UInt16.self)
        buffer.storeBytes(of: port.bigEndian, toByteOffset: udp &+ 2, as: UInt16.self)
        buffer.storeBytes(of: UInt16(truncatingIfNeeded: udpLength).bigEndian, toByteOffset: udp &+ 4, as: UInt16.self)
        buffer.storeBytes(of: UInt16(0), toByteOffset: udp &+ 6, as: UInt16.self)
        return start
    }
}
