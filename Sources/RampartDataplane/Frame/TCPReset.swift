import RampartWire

/// Builds the TCP resets a `reset-*` rule sends: Ethernet + IPv4/IPv6 + a 20-byte TCP
/// header with RST, checksums complete, addressed so the node that sent the offending
/// packet routes them on (MACs as in a forwarded frame: swapped).
///
/// Sequence numbers follow RFC 793/5961 so each side accepts its reset at once:
/// - toward the packet's sender: `seq` = the packet's ACK (exactly what the sender expects
///   next); a packet without ACK (a SYN) gets `seq 0` and `ack` = its sequence + length,
///   with RST+ACK, as a closed port answers.
/// - toward the packet's receiver (which never saw the packet): `seq` = the packet's
///   sequence number, the receiver's next expected byte.
///
/// ```swift
/// let n = TCPReset.write(.towardSender, of: packet, frame: inner, into: buffer, at: 8)
/// ```
public enum TCPReset {
    /// Which end of the offending packet the reset goes to.
    public enum Target: Sendable {
        case towardSender
        case towardReceiver
    }

    /// The largest reset frame: Ethernet (14) + IPv6 (40) + TCP (20).
    public static let maximumLength = 74

    /// Writes a reset frame at `offset` and returns its length, or 0 when `packet` is not
    /// a TCP packet of `frame` or the buffer is too small.
    @inlinable
    public static func write(
        _ target: Target, of packet: DecodedPacket, frame: UnsafeRawBufferPointer,
        into buffer: UnsafeMutableRawBufferPointer, at offset: Int
    ) -> Int {
        guard packet.ipProtocol == .tcp, packet.ipVersion == 4 || packet.ipVersion == 6,
              frame.count >= 12, offset >= 0 else { return 0 }
        let isIPv4 = packet.ipVersion == 4
        let ipLength = isIPv4 ? 20 : 40
        let length = 14 &+ ipLength &+ 20
        guard offset <= buffer.count &- length else { return 0 }

        // Ethernet: as a forwarded frame, source and destination swapped.
        for i in 0 ..< 6 {
            buffer[offset &+ i] = frame[6 &+ i]
            buffer[offset &+ 6 &+ i] = frame[i]
        }
        buffer.storeBytes(of: (isIPv4 ? UInt16(0x0800) : UInt16(0x86DD)).bigEndian, toByteOffset: offset &+ 12, as: UInt16.self)

        let towardSender = target == .towardSender
        let source = towardSender ? packet.destination : packet.source
        let destination = towardSender ? packet.source : packet.destination
        let sourcePort = towardSender ? packet.destinationPort : packet.sourcePort
        let destinationPort = towardSender ? packet.sourcePort : packet.destinationPort
        let hasACK = packet.tcpFlags.contains(.ack)
        var flags: UInt8 = TCPFlags.rst.rawValue
        var sequence: UInt32 = 0
        var acknowledgment: UInt32 = 0
        if towardSender {
            if hasACK {
                sequence = packet.tcpAcknowledgment
            } else {
                var consumed = UInt32(truncatingIfNeeded: packet.payloadLength)
                if packet.tcpFlags.contains(.syn) { consumed &+= 1 }
                if packet.tcpFlags.contains(.fin) { consumed &+= 1 }
                acknowledgment = packet.tcpSequence &+ consumed
                flags |= TCPFlags.ack.rawValue
            }
        } else {
            sequence = packet.tcpSequence
            if hasACK {
                acknowledgment = packet.tcpAcknowledgment
                flags |= TCPFlags.ack.rawValue
            }
        }

        let ip = offset &+ 14
        if isIPv4 {
            buffer.storeBytes(of: UInt16(0x4500).bigEndian, toByteOffset: ip, as: UInt16.self)
            buffer.storeBytes(of: UInt16(40).bigEndian, toByteOffset: ip &+ 2, as: UInt16.self)
            buffer.storeBytes(of: UInt16(0).bigEndian, toByteOffset: ip &+ 4, as: UInt16.self)
            buffer.storeBytes(of: UInt16(0x4000).bigEndian, toByteOffset: ip &+ 6, as: UInt16.self)  // DF
            buffer[ip &+ 8] = 64
            buffer[ip &+ 9] = IPProtocol.tcp.rawValue
            buffer.storeBytes(of: UInt16(0), toByteOffset: ip &+ 10, as: UInt16.self)
            buffer.storeBytes(of: source.ipv4Value.bigEndian, toByteOffset: ip &+ 12, as: UInt32.self)
            buffer.storeBytes(of: destination.ipv4Value.bigEndian, toByteOffset: ip &+ 16, as: UInt32.self)
            Checksum.fillIPv4Header(buffer, at: ip, headerLength: 20)
        } else {
            buffer.storeBytes(of: UInt32(0x6000_0000).bigEndian, toByteOffset: ip, as: UInt32.self)
            buffer.storeBytes(of: UInt16(20).bigEndian, toByteOffset: ip &+ 4, as: UInt16.self)
            buffer[ip &+ 6] = IPProtocol.tcp.rawValue
            buffer[ip &+ 7] = 64
            buffer.storeBytes(of: source.high.bigEndian, toByteOffset: ip &+ 8, as: UInt64.self)
            buffer.storeBytes(of: source.low.bigEndian, toByteOffset: ip &+ 16, as: UInt64.self)
            buffer.storeBytes(of: destination.high.bigEndian, toByteOffset: ip &+ 24, as: UInt64.self)
            buffer.storeBytes(of: destination.low.bigEndian, toByteOffset: ip &+ 32, as: UInt64.self)
        }

        let tcp = ip &+ ipLength
        buffer.storeBytes(of: sourcePort.bigEndian, toByteOffset: tcp, as: UInt16.self)
        buffer.storeBytes(of: destinationPort.bigEndian, toByteOffset: tcp &+ 2, as: UInt16.self)
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: tcp &+ 4, as: UInt32.self)
        buffer.storeBytes(of: acknowledgment.bigEndian, toByteOffset: tcp &+ 8, as: UInt32.self)
        buffer[tcp &+ 12] = 5 << 4
        buffer[tcp &+ 13] = flags
        buffer.storeBytes(of: UInt16(0), toByteOffset: tcp &+ 14, as: UInt16.self)  // window
        buffer.storeBytes(of: UInt16(0), toByteOffset: tcp &+ 16, as: UInt16.self)  // checksum
        buffer.storeBytes(of: UInt16(0), toByteOffset: tcp &+ 18, as: UInt16.self)  // urgent
        Checksum.fill(buffer, segmentAt: tcp, length: 20, protocol: .tcp, source: source, destination: destination)
        return length
    }

    /// Whether the offending packet was sent by the session's client. The engine's verdict
    /// names client and server but not which one sent the packet, so the data plane infers
    /// it: a bare SYN comes from the client, a SYN+ACK from the server, and otherwise the
    /// side with the higher (ephemeral) port is taken for the client.
    @inlinable
    public static func senderIsClient(_ packet: DecodedPacket) -> Bool {
        if packet.tcpFlags.contains(.syn) { return !packet.tcpFlags.contains(.ack) }
        return packet.sourcePort >= packet.destinationPort
    }
}
