/// A view of a TCP header (RFC 9293) with its options parsed and their lengths validated.
///
/// ```swift
/// if case .success(let tcp) = TCPHeader.parse(frame, at: 34, end: ip.end) {
///     print(tcp.destinationPort, tcp.flags, tcp.options.mss ?? 536)
/// }
/// ```
@frozen
public struct TCPHeader: Sendable {
    public static let minimumLength = 20

    public var offset: Int = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var sequence: UInt32 = 0
    public var acknowledgment: UInt32 = 0
    /// Data offset × 4: 20 to 60.
    public var headerLength: Int = 0
    public var flags: TCPFlags = TCPFlags(rawValue: 0)
    public var window: UInt16 = 0
    public var checksum: UInt16 = 0
    public var urgentPointer: UInt16 = 0
    public var options: TCPOptions = TCPOptions()

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ headerLength }

    /// Parses the header at `offset`, which must end by `end` (the IP packet's end).
    /// Fails with `tcpTooShort` (fewer than 20 bytes, or than data offset × 4, before
    /// `end`), `tcpHeaderLengthInvalid` (data offset < 5), `tcpOptionsInvalid`, or
    /// `captureTruncated` (the header lies inside `end` but past the captured bytes).
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Result<TCPHeader, DecodeEvent> {
        if let event = roomCheck(bytes, offset, minimumLength, end, .tcpTooShort) { return .failure(event) }
        let headerLength = Int(bytes.networkUInt8(at: offset &+ 12) >> 4) &* 4
        guard headerLength >= minimumLength else { return .failure(.tcpHeaderLengthInvalid) }
        if let event = roomCheck(bytes, offset, headerLength, end, .tcpTooShort) { return .failure(event) }
        var header = TCPHeader()
        if headerLength > minimumLength {
            guard let options = TCPOptions.parse(bytes, from: offset &+ minimumLength, to: offset &+ headerLength) else {
                return .failure(.tcpOptionsInvalid)
            }
            header.options = options
        }
        header.offset = offset
        header.sourcePort = bytes.networkUInt16(at: offset)
        header.destinationPort = bytes.networkUInt16(at: offset &+ 2)
        header.sequence = bytes.networkUInt32(at: offset &+ 4)
        header.acknowledgment = bytes.networkUInt32(at: offset &+ 8)
        header.headerLength = headerLength
        header.flags = TCPFlags(rawValue: bytes.networkUInt8(at: offset &+ 13))
        header.window = bytes.networkUInt16(at: offset &+ 14)
        header.checksum = bytes.networkUInt16(at: offset &+ 16)
        header.urgentPointer = bytes.networkUInt16(at: offset &+ 18)
        return .success(header)
    }

    /// Parses a header that must end within the buffer.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<TCPHeader, DecodeEvent> {
        parse(bytes, at: offset, end: bytes.count)
    }
}

/// The TCP options the session tracker needs: MSS, window scale, SACK-permitted, SACK
/// blocks and timestamps. Absent options are nil (or false / 0).
///
/// ```swift
/// if tcp.flags.contains(.syn), let shift = tcp.options.windowScale { print("scale", shift) }
/// ```
@frozen
public struct TCPOptions: Sendable {
    // Flat storage (no Optionals inside): this value is copied into every DecodedPacket,
    // and Optional payloads made its layout ragged and its copies slow.
    /// Offset in the frame of the first SACK block.
    public var sackOffset: Int = 0
    public var timestampValue: UInt32 = 0
    public var timestampEcho: UInt32 = 0
    @usableFromInline var mssValue: UInt16 = 0
    @usableFromInline var windowScaleValue: UInt8 = 0
    @usableFromInline var present: UInt8 = 0
    /// 0 to 4 SACK blocks, each 8 bytes (left edge, right edge) from `sackOffset`.
    @inlinable public var sackBlockCount: Int { Int(sackBlocks) }
    @usableFromInline var sackBlocks: UInt8 = 0

    @usableFromInline static let hasMSS: UInt8 = 1
    @usableFromInline static let hasWindowScale: UInt8 = 2
    @usableFromInline static let hasSACKPermitted: UInt8 = 4
    @usableFromInline static let hasTimestampFlag: UInt8 = 8

    @inlinable public init() {}

    @inlinable public var mss: UInt16? { present & TCPOptions.hasMSS != 0 ? mssValue : nil }
    /// The shift count as sent (RFC 7323 caps its use at 14).
    @inlinable public var windowScale: UInt8? { present & TCPOptions.hasWindowScale != 0 ? windowScaleValue : nil }
    @inlinable public var sackPermitted: Bool { present & TCPOptions.hasSACKPermitted != 0 }
    @inlinable public var hasTimestamp: Bool { present & TCPOptions.hasTimestampFlag != 0 }

    /// The `index`-th SACK block read from the same bytes the header was parsed from.
    @inlinable
    public func sackBlock(_ index: Int, in bytes: UnsafeRawBufferPointer) -> (left: UInt32, right: UInt32)? {
        guard index >= 0, index < sackBlockCount else { return nil }
        let at = sackOffset &+ index &* 8
        guard at >= 0, at <= bytes.count &- 8 else { return nil }
        return (bytes.networkUInt32(at: at), bytes.networkUInt32(at: at &+ 4))
    }

    /// Walks the option bytes `start..<end` (the caller checked they are in the buffer).
    /// Returns nil when a length byte is missing, below 2, runs past `end`, or does not
    /// match the fixed length of a known option.
    @inlinable
    static func parse(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> TCPOptions? {
        var options = TCPOptions()
        var i = start
        while i < end {
            let kind = bytes.networkUInt8(at: i)
            if kind == 0 { break }
            if kind == 1 { i &+= 1; continue }
            guard end &- i >= 2 else { return nil }
            let length = Int(bytes.networkUInt8(at: i &+ 1))
            guard length >= 2, length <= end &- i else { return nil }
            switch kind {
            case 2:
                guard length == 4 else { return nil }
                options.mssValue = bytes.networkUInt16(at: i &+ 2)
                options.present |= hasMSS
            case 3:
                guard length == 3 else { return nil }
                options.windowScaleValue = bytes.networkUInt8(at: i &+ 2)
                options.present |= hasWindowScale
            case 4:
                guard length == 2 else { return nil }
                options.present |= hasSACKPermitted
            case 5:
                let blocks = (length &- 2) / 8
                guard blocks >= 1, blocks <= 4, length == 2 &+ blocks &* 8 else { return nil }
                options.sackBlocks = UInt8(truncatingIfNeeded: blocks)
                options.sackOffset = i &+ 2
            case 8:
                guard length == 10 else { return nil }
                options.present |= hasTimestampFlag
                options.timestampValue = bytes.networkUInt32(at: i &+ 2)
                options.timestampEcho = bytes.networkUInt32(at: i &+ 6)
            default:
                break
            }
            i &+= length
        }
        return options
    }
}
