/// A borrowed view of a Linux "cooked" capture header, version 2 (LINKTYPE_LINUX_SLL2,
/// 20 bytes), which adds the interface index.
///
/// ```swift
/// if case .success(let sll) = LinuxCooked2Header.parse(frame, at: 0) {
///     print(sll.interfaceIndex, sll.protocolType)
/// }
/// ```
@frozen
public struct LinuxCooked2Header: Sendable {
    public static let length = 20

    public var offset: Int = 0
    /// The EtherType of the payload.
    public var protocolType: UInt16 = 0
    public var interfaceIndex: UInt32 = 0
    /// The ARPHRD_ type of the interface (1 for Ethernet).
    public var addressType: UInt16 = 0
    /// 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us.
    public var packetType: UInt8 = 0

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ LinuxCooked2Header.length }

    /// Parses the header at `offset`; fails with `linuxCookedTooShort`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<LinuxCooked2Header, DecodeEvent> {
        guard offset >= 0, offset <= bytes.count, bytes.count &- offset >= length else {
            return .failure(.linuxCookedTooShort)
        }
        var header = LinuxCooked2Header()
        header.offset = offset
        header.protocolType = bytes.networkUInt16(at: offset)
        header.interfaceIndex = bytes.networkUInt32(at: offset &+ 4)
        header.addressType = bytes.networkUInt16(at: offset &+ 8)
        header.packetType = bytes.networkUInt8(at: offset &+ 10)
        return .success(header)
    }
}
