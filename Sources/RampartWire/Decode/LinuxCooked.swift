/// A borrowed view of a Linux "cooked" capture header, version 1 (LINKTYPE_LINUX_SLL,
/// 16 bytes), which `tcpdump -i any` writes.
///
/// ```swift
/// if case .success(let sll) = LinuxCookedHeader.parse(frame, at: 0) {
///     print(sll.protocolType, sll.payloadOffset)   // 0x0800, 16
/// }
/// ```
@frozen
public struct LinuxCookedHeader: Sendable {
    public static let length = 16

    public var offset: Int = 0
    /// 0 to us, 1 broadcast, 2 multicast, 3 to another host, 4 sent by us.
    public var packetType: UInt16 = 0
    /// The ARPHRD_ type of the interface (1 for Ethernet).
    public var addressType: UInt16 = 0
    /// The EtherType of the payload (for ARPHRD_ types that carry EtherTypes).
    public var protocolType: UInt16 = 0

    @inlinable init() {}

    @inlinable public var payloadOffset: Int { offset &+ LinuxCookedHeader.length }

    /// Parses the header at `offset`; fails with `linuxCookedTooShort`.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<LinuxCookedHeader, DecodeEvent> {
        guard offset >= 0, offset <= bytes.count, bytes.count &- offset >= length else {
            return .failure(.linuxCookedTooShort)
        }
        var header = LinuxCookedHeader()
        header.offset = offset
        header.packetType = bytes.networkUInt16(at: offset)
        header.addressType = bytes.networkUInt16(at: offset &+ 2)
        header.protocolType = bytes.networkUInt16(at: offset &+ 14)
        return .success(header)
    }
}
