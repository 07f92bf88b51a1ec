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

    /// Finishes the TCP or UDP checksum of a decoded frame when, and only when, checksum
    /// offload left it unfinished. A pod's veth hands packets over with CHECKSUM_PARTIAL:
    /// the kernel wrote the folded pseudo-header sum (addresses, protocol, length; not
    /// complemented, without the payload) and expects the device to add the payload. That
    /// shape is recognised exactly and completed. Any other checksum is verified and left
    /// as it is: a wrong one is reported `.invalid`, never made valid (the firewall drops
    /// it). Fragments and other protocols are `.notChecked` (their checksum covers bytes
    /// this frame does not hold).
    ///
    /// - Precondition: `packet` was decoded from `frame` (offsets index into it).
    @inlinable
    @discardableResult
    public static func completeChecksum(_ frame: UnsafeMutableRawBufferPointer, packet: DecodedPacket) -> ChecksumState {
        let state = checksumState(UnsafeRawBufferPointer(frame), packet: packet)
        guard state == .partial else { return state }
        let start = packet.transportOffset
        let end = packet.networkOffset &+ packet.networkLength
        let filled = Checksum.fill(frame, segmentAt: start, length: end &- start, protocol: packet.ipProtocol,
                                   source: packet.source, destination: packet.destination)
        return filled ? .partial : .notChecked
    }

    /// What the TCP or UDP checksum of a decoded frame is, without changing it: `.partial`
    /// is the shape CHECKSUM_PARTIAL leaves (the field equals the pseudo-header sum for the
    /// segment's length), checked first and without reading the payload.
    @inlinable
    public static func checksumState(_ frame: UnsafeRawBufferPointer, packet: DecodedPacket) -> ChecksumState {
        guard packet.ipVersion != 0, !packet.isFragment,
              packet.ipProtocol == .tcp || packet.ipProtocol == .udp else { return .notChecked }
        let start = packet.transportOffset
        // The segment ends where the IP packet says, never past the frame (padding excluded).
        let end = packet.networkOffset &+ packet.networkLength
        let at = packet.ipProtocol == .tcp ? 16 : 6
        guard start > 0, start &+ at &+ 2 <= end, end <= frame.count else { return .notChecked }
        let field = UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: start &+ at, as: UInt16.self))
        let pseudo = Checksum.pseudoHeaderSum(
            source: packet.source, destination: packet.destination, protocol: packet.ipProtocol, length: end &- start)
        if field == pseudo { return .partial }
        let segment = UnsafeRawBufferPointer(rebasing: frame[start ..< end])
        return Checksum.transportIsValid(segment, protocol: packet.ipProtocol, source: packet.source, destination: packet.destination)
            ? .valid : .invalid
    }
}

/// What the firewall found in an inner TCP/UDP checksum (`FrameRewrite.completeChecksum`).
public enum ChecksumState: Equatable, Sendable {
    /// Not TCP or UDP, a fragment, or not inside the frame: left alone.
    case notChecked
    /// Verified as received.
    case valid
    /// Left unfinished by checksum offload (the pseudo-header sum only); completed by
    /// `completeChecksum`.
    case partial
    /// Neither valid nor the offload's partial form: wrong. Never repaired.
    case invalid
}
