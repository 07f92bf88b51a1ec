/// A borrowed view of an IPv4 header (RFC 791), options validated.
///
/// The total length may exceed the captured bytes (a snap length cut the packet); the
/// view reports that through `isTruncated` and leaves the policy to the caller.
///
/// ```swift
/// if case .success(let ip) = IPv4Header.parse(frame, at: 14) {
///     print(ip.source, ip.destination, ip.protocol, ip.payloadOffset)
/// }
/// ```
@frozen
public struct IPv4Header: Sendable {
    public static let minimumLength = 20

    public var offset: Int = 0
    /// IHL × 4: 20 to 60.
    public var headerLength: Int = 0
    /// The total length field: header plus payload, as sent.
    public var totalLength: Int = 0
    public var typeOfService: UInt8 = 0
    public var identification: UInt16 = 0
    /// Flags (3 bits) and fragment offset (13 bits, in 8-byte units) as sent.
    public var flagsAndFragmentOffset: UInt16 = 0
    public var timeToLive: UInt8 = 0
    public var `protocol`: IPProtocol = IPProtocol(rawValue: 0)
    public var checksum: UInt16 = 0
    public var source: IPAddress = .zero
    public var destination: IPAddress = .zero
    /// How many bytes the buffer held from `offset` on, to tell truncation.
    public var capturedLength: Int = 0

    @inlinable init() {}

    @inlinable public var dontFragment: Bool { flagsAndFragmentOffset & 0x4000 != 0 }
    @inlinable public var moreFragments: Bool { flagsAndFragmentOffset & 0x2000 != 0 }
    /// Offset of this fragment's data in the datagram, in bytes.
    @inlinable public var fragmentOffset: Int { Int(flagsAndFragmentOffset & 0x1FFF) &* 8 }
    /// True for any fragment: first (MF set, offset 0) or later.
    @inlinable public var isFragment: Bool { flagsAndFragmentOffset & 0x3FFF != 0 }
    @inlinable public var payloadOffset: Int { offset &+ headerLength }
    /// Where the packet ends according to its header (may be past the captured bytes).
    @inlinable public var end: Int { offset &+ totalLength }
    /// The capture holds fewer bytes than the total length says.
    @inlinable public var isTruncated: Bool { totalLength > capturedLength }

    /// Parses and validates the header at `offset`. Fails with `ipv4TooShort` (fewer than
    /// 20 bytes, or fewer than IHL × 4), `ipv4WrongVersion`, `ipv4HeaderLengthInvalid`
    /// (IHL < 5), `ipv4TotalLengthInvalid` (total length < IHL × 4), `ipv4OptionsInvalid`,
    /// `fragmentInvalid` (a non-last fragment whose data is empty or not a multiple of 8)
    /// or `fragmentTooLarge` (offset plus data past 65535).
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<IPv4Header, DecodeEvent> {
        guard offset >= 0, offset <= bytes.count else { return .failure(.ipv4TooShort) }
        let available = bytes.count &- offset
        guard available >= minimumLength else { return .failure(.ipv4TooShort) }
        let first = bytes.networkUInt8(at: offset)
        guard first >> 4 == 4 else { return .failure(.ipv4WrongVersion) }
        let headerLength = Int(first & 0x0F) &* 4
        guard headerLength >= minimumLength else { return .failure(.ipv4HeaderLengthInvalid) }
        guard headerLength <= available else { return .failure(.ipv4TooShort) }
        let totalLength = Int(bytes.networkUInt16(at: offset &+ 2))
        guard totalLength >= headerLength else { return .failure(.ipv4TotalLengthInvalid) }
        if headerLength > minimumLength,
           !optionsAreValid(bytes, from: offset &+ minimumLength, to: offset &+ headerLength) {
            return .failure(.ipv4OptionsInvalid)
        }
        var header = IPv4Header()
        header.offset = offset
        header.headerLength = headerLength
        header.totalLength = totalLength
        header.typeOfService = bytes.networkUInt8(at: offset &+ 1)
        header.identification = bytes.networkUInt16(at: offset &+ 4)
        header.flagsAndFragmentOffset = bytes.networkUInt16(at: offset &+ 6)
        header.timeToLive = bytes.networkUInt8(at: offset &+ 8)
        header.protocol = IPProtocol(rawValue: bytes.networkUInt8(at: offset &+ 9))
        header.checksum = bytes.networkUInt16(at: offset &+ 10)
        header.source = IPAddress.ipv4(from: bytes, at: offset &+ 12)
        header.destination = IPAddress.ipv4(from: bytes, at: offset &+ 16)
        header.capturedLength = available
        if header.isFragment {
            let dataLength = totalLength &- headerLength
            if header.moreFragments && (dataLength == 0 || dataLength & 7 != 0) {
                return .failure(.fragmentInvalid)
            }
            if header.fragmentOffset &+ dataLength > 65535 { return .failure(.fragmentTooLarge) }
        }
        return .success(header)
    }

    /// Walks the options: EOL ends the list (the rest is padding), NOP is one byte, every
    /// other option has a length byte of at least 2 that must stay inside the header.
    @inlinable
    static func optionsAreValid(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        var i = start
        while i < end {
            let kind = bytes.networkUInt8(at: i)
            if kind == 0 { return true }
            if kind == 1 { i &+= 1; continue }
            guard end &- i >= 2 else { return false }
            let length = Int(bytes.networkUInt8(at: i &+ 1))
            guard length >= 2, length <= end &- i else { return false }
            i &+= length
        }
        return true
    }
}
