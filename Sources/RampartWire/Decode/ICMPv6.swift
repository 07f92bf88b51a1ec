/// A view of an ICMPv6 header (RFC 4443): type, code, checksum and, for echo request and
/// reply, the identifier and sequence number.
///
/// ```swift
/// if case .success(let icmp) = ICMPv6Header.parse(frame, at: 34, end: ip.end) {
///     print(icmp.type, icmp.code, icmp.identifier)
/// }
/// ```
@frozen
public struct ICMPv6Header: Sendable {
    /// Every ICMPv6 message in use has at least the 4-byte header and 4 bytes of "rest of header".
    public static let minimumLength = 8
    public static let echoReply: UInt8 = 129
    public static let echoRequest: UInt8 = 128

    public var offset: Int = 0
    public var type: UInt8 = 0
    public var code: UInt8 = 0
    public var checksum: UInt16 = 0
    /// The rest-of-header word (identifier and sequence for echo messages).
    public var restOfHeader: UInt32 = 0

    @inlinable init() {}

    @inlinable public var isEcho: Bool { type == ICMPv6Header.echoRequest || type == ICMPv6Header.echoReply }
    /// Echo identifier, 0 for other types.
    @inlinable public var identifier: UInt16 { isEcho ? UInt16(truncatingIfNeeded: restOfHeader >> 16) : 0 }
    @inlinable public var sequenceNumber: UInt16 { isEcho ? UInt16(truncatingIfNeeded: restOfHeader) : 0 }
    /// The message body (after the 8 bytes).
    @inlinable public var payloadOffset: Int { offset &+ ICMPv6Header.minimumLength }

    /// Parses the header at `offset` within `end`; fails with `icmpv6TooShort` or `captureTruncated`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Result<ICMPv6Header, DecodeEvent> {
        if let event = roomCheck(bytes, offset, minimumLength, end, .icmpv6TooShort) { return .failure(event) }
        var header = ICMPv6Header()
        header.offset = offset
        header.type = bytes.networkUInt8(at: offset)
        header.code = bytes.networkUInt8(at: offset &+ 1)
        header.checksum = bytes.networkUInt16(at: offset &+ 2)
        header.restOfHeader = bytes.networkUInt32(at: offset &+ 4)
        return .success(header)
    }

    /// Parses a header that must end within the buffer.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<ICMPv6Header, DecodeEvent> {
        parse(bytes, at: offset, end: bytes.count)
    }
}
