/// One network interface as `RTM_GETLINK` reports it.
///
/// ```swift
/// let eth0 = try socket.link("eth0")
/// print(eth0.index, eth0.kind ?? "-", eth0.mtu, eth0.isUp)
/// ```
public struct Link: Sendable, Hashable {
    public var index: Int32
    public var name: String
    /// `IFLA_INFO_KIND`: "veth", "vxlan", "dummy", ...; nil for physical devices and `lo`.
    public var kind: String?
    public var mtu: UInt32
    /// The administrative `IFF_UP` flag.
    public var isUp: Bool
    /// The raw `ifi_flags` (`IFF_*`).
    public var flags: UInt32
    public var macAddress: MACAddress?
    /// `IFLA_MASTER`: the bridge or VRF this link is enslaved to.
    public var masterIndex: Int32?
    /// `IFLA_LINK`: the peer (veth) or lower device index, possibly in another namespace.
    public var parentIndex: Int32?
    /// `IFLA_LINK_NETNSID`: the namespace id of the peer/lower device, when elsewhere.
    public var linkNetnsID: Int32?

    static func decode(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> Link? {
        guard message.type == RTM.newLink else { return nil }
        let header = ByteReader(message.payload)
        guard let index = header.i32(at: 4), let flags = header.u32(at: 8) else {
            throw .malformedReply(operation: operation, reason: "short ifinfomsg")
        }
        let attributes = try NetlinkAttributes(parsing: header.slice(from: 16), operation: operation)
        let info = try attributes.nested(IFLA.linkinfo, operation: operation)
        return Link(
            index: index,
            name: attributes.string(IFLA.ifname) ?? "",
            kind: info?.string(IFLA.infoKind),
            mtu: attributes.u32(IFLA.mtu) ?? 0,
            isUp: flags & 1 != 0,
            flags: flags,
            macAddress: attributes[IFLA.address].flatMap { MACAddress(bytes: $0) },
            masterIndex: attributes.u32(IFLA.master).map { Int32(bitPattern: $0) },
            parentIndex: attributes.u32(IFLA.link).map { Int32(bitPattern: $0) },
            linkNetnsID: attributes.u32(IFLA.linkNetnsID).map { Int32(bitPattern: $0) })
    }
}

/// Names a link by interface index or by name; the kernel resolves names itself.
///
/// ```swift
/// try socket.setLinkUp("veth0")          // by name (string literal)
/// try socket.setLinkUp(.index(7))        // by index
/// ```
public enum LinkSelector: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    case index(Int32)
    case name(String)

    /// A link named by a string literal.
    ///
    /// ```swift
    /// let selector: LinkSelector = "eth0"
    /// ```
    public init(stringLiteral value: String) { self = .name(value) }

    public var description: String {
        switch self {
        case .index(let index): return "#\(index)"
        case .name(let name): return name
        }
    }
}

extension NetlinkRequest {
    /// `struct ifinfomsg` (16 bytes).
    mutating func appendInterfaceInfo(index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) {
        appendInteger(UInt8(AddressFamilyValue.unspec))
        appendInteger(UInt8(0))
        appendInteger(UInt16(0))
        appendInteger(index)
        appendInteger(flags)
        appendInteger(change)
    }

    /// ifinfomsg addressed to `link`, with IFLA_IFNAME for a name.
    mutating func appendLinkHeader(_ link: LinkSelector, flags: UInt32 = 0, change: UInt32 = 0, operation: String) throws(NetlinkError) {
        switch link {
        case .index(let index):
            appendInterfaceInfo(index: index, flags: flags, change: change)
        case .name(let name):
            appendInterfaceInfo(flags: flags, change: change)
            try appendInterfaceName(name, operation: operation)
        }
    }

    mutating func appendInterfaceName(_ name: String, type: UInt16 = IFLA.ifname, operation: String) throws(NetlinkError) {
        guard !name.isEmpty, name.utf8.count < 16 else {
            throw .invalidArgument(operation: operation, reason: "interface name \"\(name)\" must be 1 to 15 bytes")
        }
        appendAttribute(type, string: name)
    }
}
