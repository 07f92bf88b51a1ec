/// A borrowed view of an Ethernet II header with up to two VLAN tags (802.1Q, and the
/// 802.1ad / pre-standard 0x9100 outer tag of QinQ).
///
/// ```swift
/// switch EthernetHeader.parse(frame, at: 0) {
/// case .success(let eth): print(eth.etherType, eth.vlanID, eth.headerLength)
/// case .failure(let event): print(event.name)
/// }
/// ```
@frozen
public struct EthernetHeader: Sendable {
    public static let minimumLength = 14
    /// Two tags are what QinQ defines; a third is refused rather than silently skipped.
    public static let maximumTags = 2

    public static let etherTypeIPv4: UInt16 = 0x0800
    public static let etherTypeIPv6: UInt16 = 0x86DD
    public static let etherTypeARP: UInt16 = 0x0806
    public static let etherTypeVLAN: UInt16 = 0x8100
    public static let etherTypeQinQ: UInt16 = 0x88A8
    public static let etherTypeQinQLegacy: UInt16 = 0x9100

    /// Offset of the header in the buffer.
    public var offset: Int = 0
    /// MAC header plus tags: 14, 18 or 22.
    public var headerLength: Int = 0
    /// The EtherType after the tags.
    public var etherType: UInt16 = 0
    /// The 12-bit VLAN id of the innermost tag (0 when untagged).
    public var vlanID: UInt16 = 0
    /// The 12-bit VLAN id of the outer tag when two are present (0 otherwise).
    public var outerVLANID: UInt16 = 0
    public var tagCount: Int = 0
    /// The 48-bit destination and source addresses, most significant byte first.
    public var destinationMAC: UInt64 = 0
    public var sourceMAC: UInt64 = 0

    @inlinable init() {}

    /// Offset of the first byte after the header (and its tags).
    @inlinable public var payloadOffset: Int { offset &+ headerLength }

    @inlinable @inline(__always)
    static func isTag(_ type: UInt16) -> Bool {
        type == etherTypeVLAN || type == etherTypeQinQ || type == etherTypeQinQLegacy
    }

    /// Parses the header at `offset`. Fails with `ethernetTooShort`, `vlanTooShort` or
    /// `vlanTooManyTags`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<EthernetHeader, DecodeEvent> {
        guard offset >= 0, offset <= bytes.count, bytes.count &- offset >= minimumLength else {
            return .failure(.ethernetTooShort)
        }
        let destination = UInt64(bytes.networkUInt32(at: offset)) << 16 | UInt64(bytes.networkUInt16(at: offset &+ 4))
        let source = UInt64(bytes.networkUInt16(at: offset &+ 6)) << 32 | UInt64(bytes.networkUInt32(at: offset &+ 8))
        var type = bytes.networkUInt16(at: offset &+ 12)
        var length = minimumLength
        var tags = 0
        var inner: UInt16 = 0
        var outer: UInt16 = 0
        while isTag(type) {
            guard tags < maximumTags else { return .failure(.vlanTooManyTags) }
            // A tag is TCI (2 bytes) then the next EtherType (2 bytes).
            guard bytes.count &- offset &- length >= 4 else { return .failure(.vlanTooShort) }
            let tci = bytes.networkUInt16(at: offset &+ length)
            outer = inner
            inner = tci & 0x0FFF
            type = bytes.networkUInt16(at: offset &+ length &+ 2)
            length &+= 4
            tags &+= 1
        }
        var header = EthernetHeader()
        header.offset = offset
        header.headerLength = length
        header.etherType = type
        header.vlanID = inner
        header.outerVLANID = tags == 2 ? outer : 0
        header.tagCount = tags
        header.destinationMAC = destination
        header.sourceMAC = source
        return .success(header)
    }
}
