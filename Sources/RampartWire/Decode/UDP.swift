/// A view of a UDP header (RFC 768).
///
/// ```swift
/// if case .success(let udp) = UDPHeader.parse(frame, at: 34, end: ip.end) {
///     print(udp.destinationPort, udp.payloadLength)
/// }
/// ```
@frozen
public struct UDPHeader: Sendable {
    public static let length = 8

    public var offset: Int = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// The length field: header plus payload.
    public var length: Int = 0
    public var checksum: UInt16 = 0

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ UDPHeader.length }
    @inlinable public var payloadLength: Int { length &- UDPHeader.length }
    /// Where the datagram ends according to its length field.
    @inlinable public var end: Int { offset &+ length }

    /// Parses the header at `offset`, within `end` (the IP packet's end). Fails with
    /// `udpTooShort`, `udpLengthInvalid` (length field below 8 or past `end`; bytes after
    /// the datagram are padding and allowed), or `captureTruncated`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Result<UDPHeader, DecodeEvent> {
        if let event = roomCheck(bytes, offset, length, end, .udpTooShort) { return .failure(event) }
        let declared = Int(bytes.networkUInt16(at: offset &+ 4))
        guard declared >= length, declared <= end &- offset else { return .failure(.udpLengthInvalid) }
        var header = UDPHeader()
        header.offset = offset
        header.sourcePort = bytes.networkUInt16(at: offset)
        header.destinationPort = bytes.networkUInt16(at: offset &+ 2)
        header.length = declared
        header.checksum = bytes.networkUInt16(at: offset &+ 6)
        return .success(header)
    }

    /// Parses a header that must end within the buffer.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<UDPHeader, DecodeEvent> {
        parse(bytes, at: offset, end: bytes.count)
    }
}
