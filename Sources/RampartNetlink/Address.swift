/// An address assigned to an interface, with its prefix length and scope.
///
/// ```swift
/// for a in try socket.addresses(family: .ipv6, link: "eth0") { print(a.prefix, a.scope) }
/// ```
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public var linkIndex: Int32
    /// The local address and the on-link prefix length (`10.0.0.2/24`).
    public var prefix: NetlinkPrefix
    public var scope: RouteScope
    /// `IFA_F_*` flags (from `IFA_FLAGS` when present).
    public var flags: UInt32

    /// An address on link `linkIndex`.
    ///
    /// ```swift
    /// InterfaceAddress(linkIndex: 3, prefix: NetlinkPrefix("10.0.0.2/24")!)
    /// ```
    public init(linkIndex: Int32, prefix: NetlinkPrefix, scope: RouteScope = .universe, flags: UInt32 = 0) {
        self.linkIndex = linkIndex
        self.prefix = prefix
        self.scope = scope
        self.flags = flags
    }

    public var description: String { "\(prefix.address)/\(prefix.length) dev #\(linkIndex)" }

    static func decode(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> InterfaceAddress? {
        guard message.type == RTM.newAddr else { return nil }
        let header = ByteReader(message.payload)
        guard let familyValue = header.u8(at: 0), let length = header.u8(at: 1), let flags8 = header.u8(at: 2),
              let scope = header.u8(at: 3), let index = header.i32(at: 4)
        else { throw .malformedReply(operation: operation, reason: "short ifaddrmsg") }
        guard let family = NetlinkAddressFamily(rawValue: familyValue) else { return nil }
        let attributes = try NetlinkAttributes(parsing: header.slice(from: 8), operation: operation)
        guard let address = attributes.address(IFA.local) ?? attributes.address(IFA.address),
              address.family == family,
              let prefix = NetlinkPrefix(address: address, length: length)
        else { return nil }
        return InterfaceAddress(linkIndex: index, prefix: prefix, scope: RouteScope(rawValue: scope),
                                flags: attributes.u32(IFA.flags) ?? UInt32(flags8))
    }
}

extension NetlinkSocket {
    /// Adds an address. IPv6 addresses skip duplicate address detection by default so they
    /// are usable at once (`IFA_F_NODAD`), as a CNI plugin needs.
    ///
    /// ```swift
    /// try socket.addAddress(NetlinkPrefix("10.0.0.2/24")!, to: "eth0")
    /// ```
    public func addAddress(_ prefix: NetlinkPrefix, to link: LinkSelector, scope: RouteScope = .universe, skipDAD: Bool = true) throws(NetlinkError) {
        let operation = "adding address \(prefix.address)/\(prefix.length) to link \(link)"
        var request = NetlinkRequest(type: RTM.newAddr, flags: NLFlag.create | NLFlag.excl)
        try appendAddressHeader(&request, prefix, link, scope: scope, operation: operation)
        if skipDAD && prefix.family == .ipv6 { request.appendAttribute(IFA.flags, u32: IFA.nodad) }
        try execute(request, operation: operation)
    }

    /// Deletes an address.
    ///
    /// ```swift
    /// try socket.deleteAddress(NetlinkPrefix("fd00::2/64")!, from: "eth0")
    /// ```
    public func deleteAddress(_ prefix: NetlinkPrefix, from link: LinkSelector) throws(NetlinkError) {
        let operation = "deleting address \(prefix.address)/\(prefix.length) from link \(link)"
        var request = NetlinkRequest(type: RTM.delAddr, flags: 0)
        try appendAddressHeader(&request, prefix, link, scope: .universe, operation: operation)
        try execute(request, operation: operation)
    }

    /// Lists addresses, optionally of one family and one link.
    ///
    /// ```swift
    /// let v4 = try socket.addresses(family: .ipv4)
    /// ```
    public func addresses(family: NetlinkAddressFamily? = nil, link: LinkSelector? = nil) throws(NetlinkError) -> [InterfaceAddress] {
        let operation = "listing addresses"
        let index = try link.map { selector throws(NetlinkError) in try resolveIndex(selector) }
        var request = NetlinkRequest(type: RTM.getAddr, flags: 0)
        request.append([family?.rawValue ?? AddressFamilyValue.unspec, 0, 0, 0, 0, 0, 0, 0])
        var result: [InterfaceAddress] = []
        for message in try dump(request, operation: operation) {
            guard let address = try InterfaceAddress.decode(message, operation: operation) else { continue }
            if let family, address.prefix.family != family { continue }
            if let index, address.linkIndex != index { continue }
            result.append(address)
        }
        return result
    }

    /// The interface index for a selector (asks the kernel for a name).
    ///
    /// ```swift
    /// let index = try socket.resolveIndex("eth0")
    /// ```
    public func resolveIndex(_ link: LinkSelector) throws(NetlinkError) -> Int32 {
        switch link {
        case .index(let index): return index
        case .name: return try self.link(link).index
        }
    }

    private func appendAddressHeader(_ request: inout NetlinkRequest, _ prefix: NetlinkPrefix, _ link: LinkSelector,
                                     scope: RouteScope, operation: String) throws(NetlinkError) {
        let index = try resolveIndex(link)
        request.appendInteger(prefix.family.rawValue)
        request.appendInteger(prefix.length)
        request.appendInteger(UInt8(0))
        request.appendInteger(scope.rawValue)
        request.appendInteger(index)
        request.appendAttribute(IFA.local, bytes: prefix.address.bytes)
        request.appendAttribute(IFA.address, bytes: prefix.address.bytes)
    }
}
