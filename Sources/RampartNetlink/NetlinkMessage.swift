/// Rounds up to the 4-byte boundary that netlink headers and attributes align to.
@inline(__always)
func netlinkAligned(_ length: Int) -> Int { (length &+ 3) & ~3 }

/// One decoded netlink message: the `nlmsghdr` fields and its payload (the bytes after
/// the 16-byte header, up to `nlmsg_len`).
///
/// ```swift
/// let messages = try NetlinkMessage.parse(bytes, operation: "listing links")
/// for m in messages where m.type == 16 { ... }
/// ```
public struct NetlinkMessage: Sendable, Hashable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    public var payload: [UInt8]

    static let headerSize = 16

    /// Splits a datagram into messages. Every length is checked against what remains, so
    /// truncated or hostile input is rejected with `.malformedReply`, never a trap.
    ///
    /// ```swift
    /// let messages = try NetlinkMessage.parse(datagram, operation: "listing routes")
    /// ```
    public static func parse(_ bytes: [UInt8], operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = 0
        let reader = ByteReader(bytes)
        while bytes.count - offset >= headerSize {
            guard let length32 = reader.u32(at: offset),
                  let type = reader.u16(at: offset + 4),
                  let flags = reader.u16(at: offset + 6),
                  let sequence = reader.u32(at: offset + 8),
                  let portID = reader.u32(at: offset + 12)
            else { throw .malformedReply(operation: operation, reason: "short header") }
            let length = Int(length32)
            guard length >= headerSize, length <= bytes.count - offset else {
                throw .malformedReply(operation: operation, reason: "message length \(length) outside 16...\(bytes.count - offset)")
            }
            let payload = Array(bytes[(offset + headerSize)..<(offset + length)])
            messages.append(NetlinkMessage(type: type, flags: flags, sequence: sequence, portID: portID, payload: payload))
            // The last message may omit its alignment padding.
            offset += min(netlinkAligned(length), bytes.count - offset)
        }
        guard offset == bytes.count else {
            throw .malformedReply(operation: operation, reason: "\(bytes.count - offset) trailing bytes")
        }
        return messages
    }
}

/// Bounds-checked little readers over a byte array: every read returns nil when it would
/// leave the array, so parsers never index out of range.
struct ByteReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func u8(at offset: Int) -> UInt8? {
        guard offset >= 0, offset < bytes.count else { return nil }
        return bytes[offset]
    }

    /// Host byte order, as netlink headers are.
    func u16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= bytes.count - 2 else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
    }

    func u32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= bytes.count - 4 else { return nil }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    }

    func i32(at offset: Int) -> Int32? { u32(at: offset).map { Int32(bitPattern: $0) } }

    func slice(from offset: Int) -> [UInt8] {
        guard offset >= 0, offset < bytes.count else { return [] }
        return Array(bytes[offset...])
    }
}

/// The `rtattr`/`nlattr` list that follows a fixed header. Lookup returns the first
/// attribute of a type; `NLA_F_NESTED` and `NLA_F_NET_BYTEORDER` are masked off.
///
/// ```swift
/// let attributes = try NetlinkAttributes(parsing: payload.suffix(from: 16), operation: "listing links")
/// let name = attributes.string(3)   // IFLA_IFNAME
/// ```
public struct NetlinkAttributes: Sendable, Hashable {
    /// Each attribute's type (flags masked) and value (without header or padding).
    public var entries: [(type: UInt16, value: [UInt8])] { storage.map { ($0.type, $0.value) } }
    private var storage: [Entry]

    private struct Entry: Sendable, Hashable {
        var type: UInt16
        var value: [UInt8]
    }

    /// Parses attributes until the bytes end. A length below 4 or past the end is rejected.
    ///
    /// ```swift
    /// let nested = try NetlinkAttributes(parsing: linkinfo, operation: "listing links")
    /// ```
    public init(parsing bytes: [UInt8], operation: String) throws(NetlinkError) {
        storage = []
        let reader = ByteReader(bytes)
        var offset = 0
        while bytes.count - offset >= 4 {
            guard let length16 = reader.u16(at: offset), let rawType = reader.u16(at: offset + 2) else {
                throw .malformedReply(operation: operation, reason: "short attribute header")
            }
            let length = Int(length16)
            guard length >= 4, length <= bytes.count - offset else {
                throw .malformedReply(operation: operation, reason: "attribute \(rawType & 0x3FFF) length \(length) outside 4...\(bytes.count - offset)")
            }
            storage.append(Entry(type: rawType & 0x3FFF, value: Array(bytes[(offset + 4)..<(offset + length)])))
            offset += min(netlinkAligned(length), bytes.count - offset)
        }
    }

    /// The raw value of the first attribute of `type`.
    ///
    /// ```swift
    /// attributes[1]   // IFLA_ADDRESS bytes
    /// ```
    public subscript(type: UInt16) -> [UInt8]? { storage.first { $0.type == type }?.value }

    /// A host-order 32-bit value; nil when absent or not exactly 4 bytes.
    ///
    /// ```swift
    /// let mtu = attributes.u32(4)   // IFLA_MTU
    /// ```
    public func u32(_ type: UInt16) -> UInt32? {
        guard let value = self[type], value.count == 4 else { return nil }
        return ByteReader(value).u32(at: 0)
    }

    /// An 8-bit value; nil when absent or empty.
    ///
    /// ```swift
    /// let ttl = vxlanData.u8(5)   // IFLA_VXLAN_TTL
    /// ```
    public func u8(_ type: UInt16) -> UInt8? { self[type]?.first }

    /// A network-order 16-bit value (ports).
    ///
    /// ```swift
    /// let port = vxlanData.u16BigEndian(15)   // IFLA_VXLAN_PORT
    /// ```
    public func u16BigEndian(_ type: UInt16) -> UInt16? {
        guard let value = self[type], value.count == 2 else { return nil }
        return UInt16(value[0]) << 8 | UInt16(value[1])
    }

    /// A C string: the bytes up to the first NUL.
    ///
    /// ```swift
    /// let name = attributes.string(3)   // IFLA_IFNAME
    /// ```
    public func string(_ type: UInt16) -> String? {
        guard let value = self[type] else { return nil }
        return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An IPv4 or IPv6 address; nil when absent or of another size.
    ///
    /// ```swift
    /// let gateway = attributes.address(5)   // RTA_GATEWAY
    /// ```
    public func address(_ type: UInt16) -> NetlinkAddress? { self[type].flatMap { NetlinkAddress(bytes: $0) } }

    /// The attributes nested inside attribute `type`.
    ///
    /// ```swift
    /// let info = try attributes.nested(18, operation: "listing links")   // IFLA_LINKINFO
    /// ```
    public func nested(_ type: UInt16, operation: String) throws(NetlinkError) -> NetlinkAttributes? {
        guard let value = self[type] else { return nil }
        return try NetlinkAttributes(parsing: value, operation: operation)
    }
}

/// Builds one request: the header, the fixed family header, then attributes (nested ones
/// by `beginNested`/`endNested`). Lengths and the sequence number are filled in last.
///
/// ```swift
/// var request = NetlinkRequest(type: 16, flags: 0x05)
/// request.appendInterfaceInfo(index: 0)
/// request.appendAttribute(3, string: "veth0")
/// ```
public struct NetlinkRequest: Sendable {
    public private(set) var bytes: [UInt8]

    /// A request of message `type` (`RTM_*`); `NLM_F_REQUEST` is always set.
    ///
    /// ```swift
    /// var request = NetlinkRequest(type: 24, flags: 0x600)   // RTM_NEWROUTE, CREATE|EXCL
    /// ```
    public init(type: UInt16, flags: UInt16) {
        bytes = [UInt8](repeating: 0, count: NetlinkMessage.headerSize)
        write(UInt16(type), at: 4)
        write(UInt16(flags | NLFlag.request), at: 6)
    }

    /// The type from the header.
    public var type: UInt16 { ByteReader(bytes).u16(at: 4) ?? 0 }
    /// The flags from the header.
    public var flags: UInt16 { ByteReader(bytes).u16(at: 6) ?? 0 }

    mutating func setFlags(_ flags: UInt16) { write(flags, at: 6) }

    /// Appends raw bytes (a fixed family header), then pads to 4-byte alignment.
    ///
    /// ```swift
    /// request.append([2, 0, 0, 0, 0, 0, 0, 0])   // ifaddrmsg for AF_INET
    /// ```
    public mutating func append(_ raw: [UInt8]) {
        bytes += raw
        padToAlignment()
    }

    /// Appends a host-order integer (netlink's byte order) without padding.
    ///
    /// ```swift
    /// request.appendInteger(Int32(3))   // ifi_index
    /// ```
    public mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }

    mutating func padToAlignment() {
        bytes += [UInt8](repeating: 0, count: netlinkAligned(bytes.count) - bytes.count)
    }

    /// Appends one attribute with a raw value.
    ///
    /// ```swift
    /// request.appendAttribute(1, bytes: mac.bytes)
    /// ```
    public mutating func appendAttribute(_ type: UInt16, bytes value: [UInt8]) {
        padToAlignment()
        appendInteger(UInt16(4 + value.count))
        appendInteger(type)
        bytes += value
        padToAlignment()
    }

    /// A NUL-terminated string attribute.
    ///
    /// ```swift
    /// request.appendAttribute(3, string: "eth0")   // IFLA_IFNAME
    /// ```
    public mutating func appendAttribute(_ type: UInt16, string: String) {
        appendAttribute(type, bytes: Array(string.utf8) + [0])
    }

    /// A host-order 32-bit attribute.
    ///
    /// ```swift
    /// request.appendAttribute(4, u32: 1450)   // IFLA_MTU
    /// ```
    public mutating func appendAttribute(_ type: UInt16, u32 value: UInt32) {
        withUnsafeBytes(of: value) { appendAttribute(type, bytes: Array($0)) }
    }

    /// An 8-bit attribute.
    ///
    /// ```swift
    /// request.appendAttribute(7, u8: 0)   // IFLA_VXLAN_LEARNING off
    /// ```
    public mutating func appendAttribute(_ type: UInt16, u8 value: UInt8) {
        appendAttribute(type, bytes: [value])
    }

    /// Opens a nested attribute; pass the result to `endNested`.
    ///
    /// ```swift
    /// let info = request.beginNested(18)   // IFLA_LINKINFO
    /// request.appendAttribute(1, string: "veth")
    /// request.endNested(info)
    /// ```
    public mutating func beginNested(_ type: UInt16) -> Int {
        padToAlignment()
        let start = bytes.count
        appendInteger(UInt16(0))
        appendInteger(type | 0x8000)  // NLA_F_NESTED
        return start
    }

    /// Closes a nested attribute by writing its length.
    ///
    /// ```swift
    /// request.endNested(info)
    /// ```
    public mutating func endNested(_ start: Int) {
        padToAlignment()
        write(UInt16(truncatingIfNeeded: bytes.count - start), at: start)
    }

    /// The finished datagram with `nlmsg_len` and `nlmsg_seq` set.
    ///
    /// ```swift
    /// let datagram = request.finalized(sequence: 42)
    /// ```
    public func finalized(sequence: UInt32) -> [UInt8] {
        var copy = self
        copy.write(UInt32(truncatingIfNeeded: bytes.count), at: 0)
        copy.write(sequence, at: 8)
        return copy.bytes
    }

    private mutating func write<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value) { raw in
            for (i, byte) in raw.enumerated() { bytes[offset + i] = byte }
        }
    }
}
