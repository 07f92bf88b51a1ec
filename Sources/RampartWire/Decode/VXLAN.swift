/// A view of a VXLAN header (RFC 7348): 8 bytes, the I flag, a 24-bit VNI, then an
/// Ethernet frame.
///
/// ```swift
/// if case .success(let vxlan) = VXLANHeader.parse(frame, at: udp.payloadOffset, end: udp.end) {
///     print(vxlan.vni, vxlan.payloadOffset)   // inner Ethernet starts there
/// }
/// ```
@frozen
public struct VXLANHeader: Sendable {
    public static let length = 8
    /// The I flag: the VNI is valid. RFC 7348 requires it; the other bits are reserved and
    /// ignored on receipt (VXLAN-GBP uses some of them).
    public static let vniValidFlag: UInt8 = 0x08

    public var offset: Int = 0
    public var flags: UInt8 = 0
    /// The 24-bit VXLAN network identifier (Rampart's cluster id).
    public var vni: UInt32 = 0

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ VXLANHeader.length }

    /// Parses the header at `offset` within `end`; fails with `vxlanTooShort`,
    /// `vxlanFlagsInvalid` (I flag clear) or `captureTruncated`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Result<VXLANHeader, DecodeEvent> {
        if let event = roomCheck(bytes, offset, length, end, .vxlanTooShort) { return .failure(event) }
        let flags = bytes.networkUInt8(at: offset)
        guard flags & vniValidFlag != 0 else { return .failure(.vxlanFlagsInvalid) }
        var header = VXLANHeader()
        header.offset = offset
        header.flags = flags
        header.vni = bytes.networkUInt32(at: offset &+ 4) >> 8
        return .success(header)
    }

    /// Parses a header that must end within the buffer.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<VXLANHeader, DecodeEvent> {
        parse(bytes, at: offset, end: bytes.count)
    }
}
