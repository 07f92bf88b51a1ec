import RampartWire

/// In-place edits the firewall makes to an inner Ethernet frame before it goes back into
/// the tunnel.
///
/// ```swift
/// FrameRewrite.swapMACs(frame)                       // the node routes it on
/// FrameRewrite.completeChecksum(frame, packet: p)    // offload left it unfinished
/// ```
public enum FrameRewrite {
    /// Swaps the destination and source MAC addresses (bytes 0-5 and 6-11). Returns false
    /// for a frame shorter than an Ethernet header.
    @inlinable
    @discardableResult
    public static func swapMACs(_ frame: UnsafeMutableRawBufferPointer) -> Bool {
        guard frame.count >= 14 else { return false }
        let destinationHigh = frame.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
        let destinationLow = frame.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
        let sourceHigh = frame.loadUnaligned(fromByteOffset: 6, as: UInt32.self)
        let sourceLow = frame.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
        frame.storeBytes(of: sourceHigh, toByteOffset: 0, as: UInt32.self)
        frame.storeBytes(of: sourceLow, toByteOffset: 4, as: UInt16.self)
        frame.storeBytes(of: destinationHigh, toByteOffset: 6, as: UInt32.self)
        frame.storeBytes(of: destinationLow, toByteOffset: 10, as: UInt16.self)
        return true
    }

    /// Completes the TCP or UDP checksum of a decoded frame when it does not verify: a pod's
    /// veth hands packets over with checksum offload (CHECKSUM_PARTIAL), so the field holds
    /// only the pseudo-header sum, and the receiver drops them unless someone finishes it.
    /// Fragments and other protocols are left alone (their checksum covers bytes we do not
    /// have). Returns true when it rewrote the field.
    ///
    /// - Precondition: `packet` was decoded from `frame` (offsets index into it).
    @inlinable
    @discardableResult
    public static func completeChecksum(_ frame: UnsafeMutableRawBufferPointer, packet: DecodedPacket) -> Bool {
        guard packet.ipVersion != 0, !packet.isFragment,
              packet.ipProtocol == .tcp || packet.ipProtocol == .udp else { return false }
        let start = packet.transportOffset
        // The segment ends where the IP packet says, never past the frame (padding excluded).
        let end = packet.networkOffset &+ packet.networkLength
        guard start > 0, start < end, end <= frame.count else { return false }
        let segment = UnsafeRawBufferPointer(rebasing: frame[start ..< end])
        if Checksum.transportIsValid(segment, protocol: packet.ipProtocol, source: packet.source, destination: packet.destination) {
            return false
        }
        return Checksum.fill(frame, segmentAt: start, length: end &- start, protocol: packet.ipProtocol,
                             source: packet.source, destination: packet.destination)
    }
}
