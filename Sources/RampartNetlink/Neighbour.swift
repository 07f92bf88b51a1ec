/// A neighbour (ARP/NDP) entry or, with `family == nil`, a bridge/VXLAN FDB entry.
///
/// ```swift
/// try socket.replaceNeighbour(Neighbour(linkIndex: 3, address: NetlinkAddress("169.254.1.1")!,
///                                       macAddress: MACAddress("ee:ee:ee:ee:ee:ee")!))
/// ```
public struct Neighbour: Sendable, Hashable, CustomStringConvertible {
    public var linkIndex: Int32
    /// The IP address (for an FDB entry: the remote VTEP, `NDA_DST`).
    public var address: NetlinkAddress?
    public var macAddress: MACAddress?
    /// `NUD_*` state bits; `0x80` is permanent.
    public var state: UInt16
    /// `NTF_*` flags; `0x02` is self.
    public var flags: UInt8

    /// A neighbour entry; `state` defaults to permanent (`NUD_PERMANENT`).
    ///
    /// ```swift
    /// Neighbour(linkIndex: 3, address: NetlinkAddress("10.0.0.1"), macAddress: MACAddress("02:00:00:00:00:01"))
    /// ```
    public init(linkIndex: Int32, address: NetlinkAddress?, macAddress: MACAddress?, state: UInt16 = 0x80, flags: UInt8 = 0) {
        self.linkIndex = linkIndex
        self.address = address
        self.macAddress = macAddress
        self.state = state
        self.flags = flags
    }

    public var isPermanent: Bool { state & NDA.permanent != 0 }

    public var description: String {
        "\(address.map { "\($0)" } ?? "-") lladdr \(macAddress.map { "\($0)" } ?? "-") dev #\(linkIndex)"
    }

    static func decode(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> (family: UInt8, Neighbour)? {
        guard message.type == RTM.newNeigh else { return nil }
        let header = ByteReader(message.payload)
        guard let family = header.u8(at: 0), let index = header.i32(at: 4), let state = header.u16(at: 8),
              let flags = header.u8(at: 10)
        else { throw .malformedReply(operation: operation, reason: "short ndmsg") }
        let attributes = try NetlinkAttributes(parsing: header.slice(from: 12), operation: operation)
        return (family, Neighbour(linkIndex: index, address: attributes.address(NDA.dst),
                                  macAddress: attributes[NDA.lladdr].flatMap { MACAddress(bytes: $0) },
                                  state: state, flags: flags))
    }
}

extension NetlinkSocket {
    /// Adds a permanent neighbour entry; EEXIST if one is there.
    ///
    /// ```swift
    /// try socket.addNeighbour(Neighbour(linkIndex: 3, address: gw, macAddress: mac))
    /// ```
    public func addNeighbour(_ neighbour: Neighbour) throws(NetlinkError) {
        try sendNeighbour(neighbour, type: RTM.newNeigh, flags: NLFlag.create | NLFlag.excl, verb: "adding")
    }

    /// Adds or overwrites a neighbour entry.
    ///
    /// ```swift
    /// try socket.replaceNeighbour(Neighbour(linkIndex: 3, address: gw, macAddress: mac))
    /// ```
    public func replaceNeighbour(_ neighbour: Neighbour) throws(NetlinkError) {
        try sendNeighbour(neighbour, type: RTM.newNeigh, flags: NLFlag.create | NLFlag.replace, verb: "replacing")
    }

    /// Deletes the neighbour entry for the address on the link.
    ///
    /// ```swift
    /// try socket.deleteNeighbour(Neighbour(linkIndex: 3, address: gw, macAddress: nil))
    /// ```
    public func deleteNeighbour(_ neighbour: Neighbour) throws(NetlinkError) {
        try sendNeighbour(neighbour, type: RTM.delNeigh, flags: 0, verb: "deleting")
    }

    /// Lists neighbour entries of one family, optionally for one link.
    ///
    /// ```swift
    /// let arp = try socket.neighbours(family: .ipv4, link: .index(3))
    /// ```
    public func neighbours(family: NetlinkAddressFamily, link: LinkSelector? = nil) throws(NetlinkError) -> [Neighbour] {
        try listNeighbours(family: family.rawValue, link: link, operation: "listing \(family) neighbours")
    }

    /// Appends a VXLAN FDB entry (`bridge fdb append MAC dev VX dst REMOTE self permanent`).
    /// With the default all-zero MAC, each remote gets a copy of broadcast and unknown
    /// traffic, so one device reaches several endpoints.
    ///
    /// ```swift
    /// for peer in ["10.0.0.2", "10.0.0.3"] {
    ///     try socket.appendFDBEntry(link: "rmp-vx0", destination: NetlinkAddress(peer)!)
    /// }
    /// ```
    public func appendFDBEntry(link: LinkSelector, macAddress: MACAddress = .zero, destination: NetlinkAddress) throws(NetlinkError) {
        try sendFDB(link: link, macAddress: macAddress, destination: destination, type: RTM.newNeigh,
                    flags: NLFlag.create | NLFlag.append, verb: "appending")
    }

    /// Creates or replaces the FDB entry of a unicast MAC (`bridge fdb replace MAC dev VX dst
    /// REMOTE self permanent`): the remote changes in one step, so frames to that MAC are
    /// never without a destination (delete then append drops what is sent in between).
    ///
    /// ```swift
    /// try socket.replaceFDBEntry(link: "rmp-vx0", macAddress: MACAddress("02:00:00:00:00:07")!, destination: NetlinkAddress("10.0.0.3")!)
    /// ```
    public func replaceFDBEntry(link: LinkSelector, macAddress: MACAddress, destination: NetlinkAddress) throws(NetlinkError) {
        try sendFDB(link: link, macAddress: macAddress, destination: destination, type: RTM.newNeigh,
                    flags: NLFlag.create | NLFlag.replace, verb: "replacing")
    }

    /// Deletes one FDB entry (the MAC and remote pair).
    ///
    /// ```swift
    /// try socket.deleteFDBEntry(link: "rmp-vx0", destination: NetlinkAddress("10.0.0.3")!)
    /// ```
    public func deleteFDBEntry(link: LinkSelector, macAddress: MACAddress = .zero, destination: NetlinkAddress) throws(NetlinkError) {
        try sendFDB(link: link, macAddress: macAddress, destination: destination, type: RTM.delNeigh, flags: 0, verb: "deleting")
    }

    /// The FDB entries of one device.
    ///
    /// ```swift
    /// let remotes = try socket.fdbEntries(link: "rmp-vx0").compactMap(\.address)
    /// ```
    public func fdbEntries(link: LinkSelector) throws(NetlinkError) -> [Neighbour] {
        try listNeighbours(family: AddressFamilyValue.bridge, link: link, operation: "listing fdb of link \(link)")
    }

    private func listNeighbours(family: UInt8, link: LinkSelector?, operation: String) throws(NetlinkError) -> [Neighbour] {
        let index = try link.map { selector throws(NetlinkError) in try resolveIndex(selector) }
        var request = NetlinkRequest(type: RTM.getNeigh, flags: 0)
        request.append([family, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        var result: [Neighbour] = []
        for message in try dump(request, operation: operation) {
            guard let (entryFamily, entry) = try Neighbour.decode(message, operation: operation),
                  entryFamily == family else { continue }
            if let index, entry.linkIndex != index { continue }
            result.append(entry)
        }
        return result
    }

    private func sendNeighbour(_ neighbour: Neighbour, type: UInt16, flags: UInt16, verb: String) throws(NetlinkError) {
        let operation = "\(verb) neighbour \(neighbour)"
        guard let address = neighbour.address else {
            throw .invalidArgument(operation: operation, reason: "a neighbour entry needs an IP address")
        }
        var request = NetlinkRequest(type: type, flags: flags)
        appendNeighbourHeader(&request, family: address.family.rawValue, index: neighbour.linkIndex,
                              state: neighbour.state, flags: neighbour.flags)
        request.appendAttribute(NDA.dst, bytes: address.bytes)
        if let mac = neighbour.macAddress { request.appendAttribute(NDA.lladdr, bytes: mac.bytes) }
        try execute(request, operation: operation)
    }

    private func sendFDB(link: LinkSelector, macAddress: MACAddress, destination: NetlinkAddress, type: UInt16,
                         flags: UInt16, verb: String) throws(NetlinkError) {
        let operation = "\(verb) fdb entry \(macAddress) dst \(destination) on link \(link)"
        let index = try resolveIndex(link)
        var request = NetlinkRequest(type: type, flags: flags)
        appendNeighbourHeader(&request, family: AddressFamilyValue.bridge, index: index,
                              state: NDA.permanent | NDA.noarp, flags: NDA.flagSelf)
        request.appendAttribute(NDA.lladdr, bytes: macAddress.bytes)
        request.appendAttribute(NDA.dst, bytes: destination.bytes)
        try execute(request, operation: operation)
    }

    private func appendNeighbourHeader(_ request: inout NetlinkRequest, family: UInt8, index: Int32, state: UInt16, flags: UInt8) {
        request.appendInteger(family)
        request.appendInteger(UInt8(0))
        request.appendInteger(UInt16(0))
        request.appendInteger(index)
        request.appendInteger(state)
        request.appendInteger(flags)
        request.appendInteger(UInt8(0))  // ndm_type
    }
}
