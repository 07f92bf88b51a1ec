/// A view of the fixed IPv6 header (RFC 8200). The extension headers that may follow are
/// walked by `IPv6ExtensionChain`.
///
/// ```swift
/// if case .success(let ip) = IPv6Header.parse(frame, at: 14) {
///     print(ip.source, ip.nextHeader, ip.end)
/// }
/// ```
@frozen
public struct IPv6Header: Sendable {
    public static let length = 40

    public var offset: Int = 0
    public var trafficClass: UInt8 = 0
    public var flowLabel: UInt32 = 0
    /// The payload length field (extension headers plus upper layer), as sent.
    public var payloadLength: Int = 0
    /// The first next-header value (an extension header or the upper-layer protocol).
    public var nextHeader: UInt8 = 0
    public var hopLimit: UInt8 = 0
    public var source: IPAddress = .zero
    public var destination: IPAddress = .zero
    /// How many bytes the buffer held from `offset` on, to tell truncation.
    public var capturedLength: Int = 0

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ IPv6Header.length }

    /// Header plus payload. A payload length of 0 before a hop-by-hop header is a
    /// jumbogram (RFC 2675); its real length is in an option, so the capture's is used.
    @inlinable public var totalLength: Int {
        payloadLength == 0 && nextHeader == 0 ? capturedLength : IPv6Header.length &+ payloadLength
    }
    /// Where the packet ends according to its header (may be past the captured bytes).
    @inlinable public var end: Int { offset &+ totalLength }
    /// The capture holds fewer bytes than the payload length says.
    @inlinable public var isTruncated: Bool { totalLength > capturedLength }

    /// Parses the 40-byte header at `offset`. Fails with `ipv6TooShort` or `ipv6WrongVersion`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<IPv6Header, DecodeEvent> {
        guard offset >= 0, offset <= bytes.count else { return .failure(.ipv6TooShort) }
        let available = bytes.count &- offset
        guard available >= length else { return .failure(.ipv6TooShort) }
        let word = bytes.networkUInt32(at: offset)
        guard word >> 28 == 6 else { return .failure(.ipv6WrongVersion) }
        var header = IPv6Header()
        header.offset = offset
        header.trafficClass = UInt8(truncatingIfNeeded: word >> 20)
        header.flowLabel = word & 0x000F_FFFF
        header.payloadLength = Int(bytes.networkUInt16(at: offset &+ 4))
        header.nextHeader = bytes.networkUInt8(at: offset &+ 6)
        header.hopLimit = bytes.networkUInt8(at: offset &+ 7)
        header.source = IPAddress.ipv6(from: bytes, at: offset &+ 8)
        header.destination = IPAddress.ipv6(from: bytes, at: offset &+ 24)
        header.capturedLength = available
        return .success(header)
    }
}
