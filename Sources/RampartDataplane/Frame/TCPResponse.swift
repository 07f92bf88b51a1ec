import RampartWire

/// Builds the segments that answer a client in place of its server: the block or continue
/// page of a URL filtering profile, sent as the server would (the server's address and
/// port, the sequence number the client expects, the client's data acknowledged), ending
/// with FIN, so the client reads a whole HTTP response and the connection closes.
///
/// The packet answered is the client's request: the first segment's sequence number is its
/// acknowledgment number (or `sequence`, the server's next byte as the firewall saw it, when
/// the server sent bytes the client had not acknowledged yet), and every segment
/// acknowledges the request's bytes. Payloads are
/// cut to `mtu` at the IP layer; MACs are swapped as in a forwarded frame.
///
/// ```swift
/// let end = TCPResponse.write(payload, answering: packet, frame: inner, mtu: 1500, prefix: tunnelHeader,
///                             into: arena, at: used) { start, length in queue(arena[start ..< start + length]) }
/// ```
public enum TCPResponse {
    /// Writes the segments one after another into `arena` from `offset`, each after
    /// `prefix` (the tunnel header), calling `emit(start, length)` for each; returns the
    /// arena offset after the last, or nil when `packet` is not a TCP packet of `frame`
    /// with an ACK, or the arena is too small (nothing emitted then).
    public static func write(
        _ payload: UnsafeRawBufferPointer, answering packet: DecodedPacket, frame: UnsafeRawBufferPointer, mtu: Int,
        prefix: UnsafeRawBufferPointer, into arena: UnsafeMutableRawBufferPointer, at offset: Int,
        inPlaceOf: Bool = false, sequence first: UInt32? = nil, emit: (Int, Int) -> Void
    ) -> Int? {
        guard packet.ipProtocol == .tcp, packet.ipVersion == 4 || packet.ipVersion == 6, packet.tcpFlags.contains(.ack),
              frame.count >= 14, offset >= 0 else { return nil }
        let isIPv4 = packet.ipVersion == 4
        let ipLength = isIPv4 ? 20 : 40
        let headers = 14 &+ ipLength &+ 20
        let maximumSegment = max(64, mtu &- ipLength &- 20)
        let segments = max(1, (payload.count + maximumSegment - 1) / maximumSegment)
        let total = segments * (prefix.count + headers) + payload.count
        guard offset <= arena.count &- total else { return nil }

        var consumed = UInt32(truncatingIfNeeded: packet.payloadLength)
        if packet.tcpFlags.contains(.fin) { consumed &+= 1 }
        // In place of the packet (an AI stream ended by its profile): the same direction,
        // from the packet's sequence number on; otherwise an answer to its sender.
        let acknowledgment = inPlaceOf ? packet.tcpAcknowledgment : packet.tcpSequence &+ consumed
        // `first`: the server's next byte as the firewall saw it (`Engine.responseSequence`),
        // past bytes of its own the client had not acknowledged yet.
        var sequence = inPlaceOf ? packet.tcpSequence : (first ?? packet.tcpAcknowledgment)
        var cursor = offset
        var taken = 0
        var starts: [(Int, Int)] = []
        starts.reserveCapacity(segments)
        for index in 0..<segments {
            let chunk = min(maximumSegment, payload.count - taken)
            let last = index == segments - 1
            let length = prefix.count + headers + chunk
            let out = UnsafeMutableRawBufferPointer(rebasing: arena[cursor ..< cursor + length])
            if prefix.count > 0 { out.baseAddress!.copyMemory(from: prefix.baseAddress!, byteCount: prefix.count) }
            let f = UnsafeMutableRawBufferPointer(rebasing: out[prefix.count...])
            // Ethernet: as a forwarded frame, source and destination swapped.
            for i in 0 ..< 6 {
                f[i] = frame[6 &+ i]
                f[6 &+ i] = frame[i]
            }
            f.storeBytes(of: (isIPv4 ? UInt16(0x0800) : UInt16(0x86DD)).bigEndian, toByteOffset: 12, as: UInt16.self)
            // From the server to the client: the request's addresses swapped.
            let source = inPlaceOf ? packet.source : packet.destination
            let destination = inPlaceOf ? packet.destination : packet.source
            let ip = 14
            if isIPv4 {
                f.storeBytes(of: UInt16(0x4500).bigEndian, toByteOffset: ip, as: UInt16.self)
                f.storeBytes(of: UInt16(20 + 20 + chunk).bigEndian, toByteOffset: ip + 2, as: UInt16.self)
                f.storeBytes(of: UInt16(index).bigEndian, toByteOffset: ip + 4, as: UInt16.self)
                f.storeBytes(of: UInt16(0x4000).bigEndian, toByteOffset: ip + 6, as: UInt16.self)  // DF
                f[ip + 8] = 64
                f[ip + 9] = IPProtocol.tcp.rawValue
                f.storeBytes(of: UInt16(0), toByteOffset: ip + 10, as: UInt16.self)
                f.storeBytes(of: source.ipv4Value.bigEndian, toByteOffset: ip + 12, as: UInt32.self)
                f.storeBytes(of: destination.ipv4Value.bigEndian, toByteOffset: ip + 16, as: UInt32.self)
                Checksum.fillIPv4Header(f, at: ip, headerLength: 20)
            } else {
                f.storeBytes(of: UInt32(0x6000_0000).bigEndian, toByteOffset: ip, as: UInt32.self)
                f.storeBytes(of: UInt16(20 + chunk).bigEndian, toByteOffset: ip + 4, as: UInt16.self)
                f[ip + 6] = IPProtocol.tcp.rawValue
                f[ip + 7] = 64
                f.storeBytes(of: source.high.bigEndian, toByteOffset: ip + 8, as: UInt64.self)
                f.storeBytes(of: source.low.bigEndian, toByteOffset: ip + 16, as: UInt64.self)
                f.storeBytes(of: destination.high.bigEndian, toByteOffset: ip + 24, as: UInt64.self)
                f.storeBytes(of: destination.low.bigEndian, toByteOffset: ip + 32, as: UInt64.self)
            }
            let tcp = ip + ipLength
            f.storeBytes(of: (inPlaceOf ? packet.sourcePort : packet.destinationPort).bigEndian, toByteOffset: tcp, as: UInt16.self)
            f.storeBytes(of: (inPlaceOf ? packet.destinationPort : packet.sourcePort).bigEndian, toByteOffset: tcp + 2, as: UInt16.self)
            f.storeBytes(of: sequence.bigEndian, toByteOffset: tcp + 4, as: UInt32.self)
            f.storeBytes(of: acknowledgment.bigEndian, toByteOffset: tcp + 8, as: UInt32.self)
            f[tcp + 12] = 5 << 4
            var flags = TCPFlags.ack.rawValue
            if last { flags |= TCPFlags.fin.rawValue | TCPFlags.psh.rawValue }
            f[tcp + 13] = flags
            f.storeBytes(of: UInt16(65535).bigEndian, toByteOffset: tcp + 14, as: UInt16.self)  // window
            f.storeBytes(of: UInt16(0), toByteOffset: tcp + 16, as: UInt16.self)
            f.storeBytes(of: UInt16(0), toByteOffset: tcp + 18, as: UInt16.self)
            if chunk > 0 {
                (f.baseAddress! + tcp + 20).copyMemory(from: payload.baseAddress! + taken, byteCount: chunk)
            }
            Checksum.fill(f, segmentAt: tcp, length: 20 + chunk, protocol: .tcp, source: source, destination: destination)
            starts.append((cursor, length))
            sequence &+= UInt32(chunk)
            taken += chunk
            cursor += length
        }
        for (start, length) in starts { emit(start, length) }
        return cursor
    }
}
