extension NetlinkSocket {
    /// Every link in the socket's namespace.
    ///
    /// ```swift
    /// let names = try socket.links().map(\.name)
    /// ```
    public func links() throws(NetlinkError) -> [Link] {
        let operation = "listing links"
        var request = NetlinkRequest(type: RTM.getLink, flags: 0)
        request.appendInterfaceInfo()
        var links: [Link] = []
        for message in try dump(request, operation: operation) {
            if let link = try Link.decode(message, operation: operation) { links.append(link) }
        }
        return links
    }

    /// One link by name or index.
    ///
    /// - Throws: `.kernel(errno: ENODEV)` when there is no such link.
    ///
    /// ```swift
    /// let vx = try socket.link("vxlan0")
    /// ```
    public func link(_ selector: LinkSelector) throws(NetlinkError) -> Link {
        let operation = "getting link \(selector)"
        var request = NetlinkRequest(type: RTM.getLink, flags: 0)
        try request.appendLinkHeader(selector, operation: operation)
        let replies = try execute(request, operation: operation)
        for message in replies {
            if let link = try Link.decode(message, operation: operation) { return link }
        }
        throw .notFound(operation: operation)
    }

    /// Creates a veth pair. The peer is created directly inside `peerNamespace` when given
    /// (`IFLA_NET_NS_FD`), so it never appears in this socket's namespace.
    ///
    /// ```swift
    /// let pod = try NetworkNamespace(path: netnsPath)
    /// try socket.addVeth(name: "rmp1a2b3c", peerName: "eth0", peerNamespace: pod)
    /// ```
    public func addVeth(name: String, peerName: String, peerNamespace: NetworkNamespace? = nil, mtu: UInt32? = nil) throws(NetlinkError) {
        let operation = "adding veth \(name) peer \(peerName)"
        var request = NetlinkRequest(type: RTM.newLink, flags: NLFlag.create | NLFlag.excl)
        request.appendInterfaceInfo()
        try request.appendInterfaceName(name, operation: operation)
        if let mtu { request.appendAttribute(IFLA.mtu, u32: mtu) }
        let info = request.beginNested(IFLA.linkinfo)
        request.appendAttribute(IFLA.infoKind, string: "veth")
        let data = request.beginNested(IFLA.infoData)
        let peer = request.beginNested(IFLA.vethInfoPeer)
        request.appendInterfaceInfo()
        try request.appendInterfaceName(peerName, operation: operation)
        if let mtu { request.appendAttribute(IFLA.mtu, u32: mtu) }
        if let peerNamespace { request.appendAttribute(IFLA.netNsFD, u32: UInt32(bitPattern: peerNamespace.descriptor)) }
        request.endNested(peer)
        request.endNested(data)
        request.endNested(info)
        try execute(request, operation: operation)
    }

    /// Creates a VXLAN device.
    ///
    /// ```swift
    /// try socket.addVXLAN(VXLANConfiguration(name: "rmp-vx", vni: 42, remote: NetlinkAddress("10.0.0.2")))
    /// ```
    public func addVXLAN(_ configuration: VXLANConfiguration) throws(NetlinkError) {
        let c = configuration
        let operation = "adding vxlan \(c.name) vni \(c.vni)"
        var request = NetlinkRequest(type: RTM.newLink, flags: NLFlag.create | NLFlag.excl)
        request.appendInterfaceInfo()
        try request.appendInterfaceName(c.name, operation: operation)
        if let mtu = c.mtu { request.appendAttribute(IFLA.mtu, u32: mtu) }
        let info = request.beginNested(IFLA.linkinfo)
        request.appendAttribute(IFLA.infoKind, string: "vxlan")
        let data = request.beginNested(IFLA.infoData)
        request.appendAttribute(VXLANAttribute.id, u32: c.vni)
        if let remote = c.remote {
            request.appendAttribute(remote.family == .ipv4 ? VXLANAttribute.group : VXLANAttribute.group6, bytes: remote.bytes)
        }
        if let local = c.local {
            request.appendAttribute(local.family == .ipv4 ? VXLANAttribute.local : VXLANAttribute.local6, bytes: local.bytes)
        }
        if let underlying = c.underlyingIndex { request.appendAttribute(VXLANAttribute.link, u32: UInt32(bitPattern: underlying)) }
        request.appendAttribute(VXLANAttribute.port, bytes: [UInt8(c.port >> 8), UInt8(c.port & 0xFF)])
        request.appendAttribute(VXLANAttribute.learning, u8: c.learning ? 1 : 0)
        if let ttl = c.ttl { request.appendAttribute(VXLANAttribute.ttl, u8: ttl) }
        request.endNested(data)
        request.endNested(info)
        try execute(request, operation: operation)
    }

    /// Sets `IFF_UP`.
    ///
    /// ```swift
    /// try socket.setLinkUp("eth0")
    /// ```
    public func setLinkUp(_ link: LinkSelector) throws(NetlinkError) {
        try modifyLink(link, flags: 1, change: 1, operation: "setting link \(link) up") { _ throws(NetlinkError) in }
    }

    /// Clears `IFF_UP`.
    ///
    /// ```swift
    /// try socket.setLinkDown("eth0")
    /// ```
    public func setLinkDown(_ link: LinkSelector) throws(NetlinkError) {
        try modifyLink(link, flags: 0, change: 1, operation: "setting link \(link) down") { _ throws(NetlinkError) in }
    }

    /// Sets the MTU.
    ///
    /// ```swift
    /// try socket.setMTU("eth0", 1450)
    /// ```
    public func setMTU(_ link: LinkSelector, _ mtu: UInt32) throws(NetlinkError) {
        try modifyLink(link, operation: "setting mtu \(mtu) on link \(link)") { request throws(NetlinkError) in
            request.appendAttribute(IFLA.mtu, u32: mtu)
        }
    }

    /// Sets the link-layer address.
    ///
    /// ```swift
    /// try socket.setMACAddress("eth0", MACAddress("02:00:00:00:00:01")!)
    /// ```
    public func setMACAddress(_ link: LinkSelector, _ mac: MACAddress) throws(NetlinkError) {
        try modifyLink(link, operation: "setting address \(mac) on link \(link)") { request throws(NetlinkError) in
            request.appendAttribute(IFLA.address, bytes: mac.bytes)
        }
    }

    /// Renames a link (it must be down).
    ///
    /// ```swift
    /// try socket.renameLink("veth-tmp", to: "eth0")
    /// ```
    public func renameLink(_ link: LinkSelector, to newName: String) throws(NetlinkError) {
        let operation = "renaming link \(link) to \(newName)"
        let index: Int32
        switch link {
        case .index(let i): index = i
        case .name: index = try self.link(link).index
        }
        try modifyLink(.index(index), operation: operation) { request throws(NetlinkError) in
            try request.appendInterfaceName(newName, operation: operation)
        }
    }

    /// Moves a link into another network namespace.
    ///
    /// ```swift
    /// try socket.moveLink("veth1", to: try NetworkNamespace(path: "/run/netns/pod1"))
    /// ```
    public func moveLink(_ link: LinkSelector, to namespace: NetworkNamespace) throws(NetlinkError) {
        try modifyLink(link, operation: "moving link \(link) to \(namespace.path)") { request throws(NetlinkError) in
            request.appendAttribute(IFLA.netNsFD, u32: UInt32(bitPattern: namespace.descriptor))
        }
    }

    /// Deletes a link (for a veth, both ends).
    ///
    /// ```swift
    /// try socket.deleteLink("rmp1a2b3c")
    /// ```
    public func deleteLink(_ link: LinkSelector) throws(NetlinkError) {
        let operation = "deleting link \(link)"
        var request = NetlinkRequest(type: RTM.delLink, flags: 0)
        try request.appendLinkHeader(link, operation: operation)
        try execute(request, operation: operation)
    }

    private func modifyLink(
        _ link: LinkSelector, flags: UInt32 = 0, change: UInt32 = 0, operation: String,
        _ attributes: (inout NetlinkRequest) throws(NetlinkError) -> Void
    ) throws(NetlinkError) {
        var request = NetlinkRequest(type: RTM.newLink, flags: 0)
        try request.appendLinkHeader(link, flags: flags, change: change, operation: operation)
        try attributes(&request)
        try execute(request, operation: operation)
    }
}
