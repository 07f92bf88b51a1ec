/// A view of a Geneve header (RFC 8926): version 0, options walked and bounds-checked,
/// carrying an Ethernet frame (protocol type 0x6558).
///
/// ```swift
/// if case .success(let geneve) = GeneveHeader.parse(frame, at: udp.payloadOffset, end: udp.end) {
///     print(geneve.vni, geneve.optionsLength, geneve.payloadOffset)
/// }
/// ```
@frozen
public struct GeneveHeader: Sendable {
    public static let minimumLength = 8
    /// Transparent Ethernet bridging: the only payload the firewall decapsulates.
    public static let protocolEthernet: UInt16 = 0x6558

    public var offset: Int = 0
    /// Length of the options in bytes (0 to 252).
    public var optionsLength: Int = 0
    public var optionCount: Int = 0
    /// The O bit: an OAM packet, for the tunnel endpoints rather than the tenant.
    public var isControl: Bool = false
    /// The C bit: a critical option is present.
    public var hasCriticalOptions: Bool = false
    public var protocolType: UInt16 = 0
    public var vni: UInt32 = 0

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ GeneveHeader.minimumLength &+ optionsLength }

    /// Parses the header at `offset` within `end`. Fails with `geneveTooShort` (fixed part
    /// or options past `end`), `geneveVersionInvalid`, `geneveOptionsInvalid` (an option
    /// running past the option area), `geneveUnknownProtocol` (not Ethernet), or
    /// `captureTruncated`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Result<GeneveHeader, DecodeEvent> {
        if let event = roomCheck(bytes, offset, minimumLength, end, .geneveTooShort) { return .failure(event) }
        let first = bytes.networkUInt8(at: offset)
        guard first >> 6 == 0 else { return .failure(.geneveVersionInvalid) }
        let optionsLength = Int(first & 0x3F) &* 4
        if let event = roomCheck(bytes, offset, minimumLength &+ optionsLength, end, .geneveTooShort) {
            return .failure(event)
        }
        // Each option: class (2), type (1), 3 reserved bits and a 5-bit length in 4-byte
        // words, then the data; together they must fill the option area exactly.
        var i = offset &+ minimumLength
        let optionsEnd = i &+ optionsLength
        var count = 0
        while i < optionsEnd {
            guard optionsEnd &- i >= 4 else { return .failure(.geneveOptionsInvalid) }
            let length = 4 &+ Int(bytes.networkUInt8(at: i &+ 3) & 0x1F) &* 4
            guard length <= optionsEnd &- i else { return .failure(.geneveOptionsInvalid) }
            i &+= length
            count &+= 1
        }
        let protocolType = bytes.networkUInt16(at: offset &+ 2)
        guard protocolType == protocolEthernet else { return .failure(.geneveUnknownProtocol) }
        let flags = bytes.networkUInt8(at: offset &+ 1)
        var header = GeneveHeader()
        header.offset = offset
        header.optionsLength = optionsLength
        header.optionCount = count
        header.isControl = flags & 0x80 != 0
        header.hasCriticalOptions = flags & 0x40 != 0
        header.protocolType = protocolType
        header.vni = bytes.networkUInt32(at: offset &+ 4) >> 8
        return .success(header)
    }

    /// Parses a header that must end within the buffer.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<GeneveHeader, DecodeEvent> {
        parse(bytes, at: offset, end: bytes.count)
    }
}
