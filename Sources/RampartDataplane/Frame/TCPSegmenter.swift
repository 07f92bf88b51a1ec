import RampartWire

/// Cuts an oversized inner TCP packet into segments that fit the path back, as the kernel's
/// TSO/GSO would have. A node that reaches the firewall through a veth hands it whole
/// 64 KB TSO super-packets in one tunnel datagram (Linux does not segment UDP-tunnel GSO
/// for a plain UDP socket); sent back unchanged they cannot leave the node through a
/// 1500-byte pod interface, and the connection stalls.
///
/// Each segment gets the original headers with its IP length, IPv4 id, TCP sequence number
/// and flags (FIN and PSH on the last segment only, CWR on the first) adjusted, and both
/// checksums complete.
///
/// ```swift
/// let n = TCPSegmenter.segment(frame, packet: p, maximumSegment: 1448, into: arena) { offset, length in
///     queue(arena[offset ..< offset + length])
/// }
/// ```
public enum TCPSegmenter {
    /// Whether `packet` (decoded from a frame) is a TCP packet longer than `mtu` at the IP
    /// layer that this segmenter can cut: not a fragment, no IPv6 extension headers.
    @inlinable
    public static func needsSegmenting(_ packet: DecodedPacket, mtu: Int) -> Bool {
        packet.ipProtocol == .tcp && !packet.isFragment && packet.networkLength > mtu && packet.payloadLength > 0
            && (packet.ipVersion == 4 || packet.transportOffset == packet.networkOffset &+ 40)
    }

    /// Writes the segments of the TCP packet in `frame` one after another into `arena`
    /// starting at `offset`, each preceded by `prefix` bytes copied from `prefixBytes`
    /// (the tunnel header), and calls `emit(start, length)` for each. Returns the arena
    /// offset after the last segment, or nil when the arena is too small (nothing emitted
    /// for the segments that did not fit).
    @inlinable
    public static func segment(
        _ frame: UnsafeRawBufferPointer, packet: DecodedPacket, mtu: Int, prefix: UnsafeRawBufferPointer,
        into arena: UnsafeMutableRawBufferPointer, at offset: Int, emit: (Int, Int) -> Void
    ) -> Int? {
        let headerEnd = packet.payloadOffset
        let headers = headerEnd
        let ipHeader = packet.transportOffset &- packet.networkOffset
        let tcpHeader = packet.payloadOffset &- packet.transportOffset
        let maximumSegment = mtu &- ipHeader &- tcpHeader
        let payloadEnd = min(packet.payloadOffset &+ packet.payloadLength, frame.count)
        guard maximumSegment >= 64, headers > 0, headerEnd <= frame.count, payloadEnd > headerEnd else { return nil }
        let isIPv4 = packet.ipVersion == 4
        let ip = packet.networkOffset
        let tcp = packet.transportOffset
        let flags = frame[tcp &+ 13]
        let identifier = isIPv4 ? UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: ip &+ 4, as: UInt16.self)) : 0
        var cursor = offset
        var taken = headerEnd
        var index: UInt16 = 0
        while taken < payloadEnd {
            let chunk = min(maximumSegment, payloadEnd &- taken)
            let length = prefix.count &+ headers &+ chunk
            guard cursor <= arena.count &- length else { return nil }
            let out = UnsafeMutableRawBufferPointer(rebasing: arena[cursor ..< cursor &+ length])
            out.baseAddress!.copyMemory(from: prefix.baseAddress!, byteCount: prefix.count)
            let f = UnsafeMutableRawBufferPointer(rebasing: out[prefix.count...])
            f.baseAddress!.copyMemory(from: frame.baseAddress!, byteCount: headers)
            (f.baseAddress! + headers).copyMemory(from: frame.baseAddress! + taken, byteCount: chunk)
            let last = taken &+ chunk >= payloadEnd
            if isIPv4 {
                f.storeBytes(of: UInt16(truncatingIfNeeded: ipHeader &+ tcpHeader &+ chunk).bigEndian, toByteOffset: ip &+ 2, as: UInt16.self)
                f.storeBytes(of: (identifier &+ index).bigEndian, toByteOffset: ip &+ 4, as: UInt16.self)
                Checksum.fillIPv4Header(f, at: ip, headerLength: ipHeader)
            } else {
                f.storeBytes(of: UInt16(truncatingIfNeeded: tcpHeader &+ chunk).bigEndian, toByteOffset: ip &+ 4, as: UInt16.self)
            }
            let sequence = packet.tcpSequence &+ UInt32(truncatingIfNeeded: taken &- headerEnd)
            f.storeBytes(of: sequence.bigEndian, toByteOffset: tcp &+ 4, as: UInt32.self)
            var segmentFlags = flags
            if !last { segmentFlags &= ~(TCPFlags.fin.rawValue | TCPFlags.psh.rawValue) }
            if index > 0 { segmentFlags &= ~TCPFlags.cwr.rawValue }
            f[tcp &+ 13] = segmentFlags
            Checksum.fill(f, segmentAt: tcp, length: tcpHeader &+ chunk, protocol: .tcp,
                          source: packet.source, destination: packet.destination)
            emit(cursor, length)
            cursor &+= length
            taken &+= chunk
            index &+= 1
        }
        return cursor
    }
}
