/// A route in one table. The family follows `destination`; a default route is
/// `.defaultRoute(.ipv4)` / `.defaultRoute(.ipv6)`.
///
/// ```swift
/// // default dev rmp0 table 100
/// var route = Route(destination: .defaultRoute(.ipv4), outputInterface: vethIndex, table: 100)
/// // 10.1.0.0/16 via 169.254.1.1 dev eth0 onlink metric 10
/// var pod = Route(destination: NetlinkPrefix("10.1.0.0/16")!, gateway: NetlinkAddress("169.254.1.1"),
///                 outputInterface: 2, onLink: true, priority: 10)
/// ```
public struct Route: Sendable, Hashable, CustomStringConvertible {
    public var destination: NetlinkPrefix
    public var gateway: NetlinkAddress?
    public var outputInterface: Int32?
    /// `RTA_PREFSRC`.
    public var preferredSource: NetlinkAddress?
    /// nil chooses like `ip route`: `.link` without a gateway, `.universe` with one.
    public var scope: RouteScope?
    /// The routing table (254 is main, 255 local); values above 255 go in `RTA_TABLE`.
    public var table: UInt32
    public var `protocol`: RouteProtocol
    public var type: RouteType
    /// The metric (`RTA_PRIORITY`).
    public var priority: UInt32?
    /// `RTNH_F_ONLINK`: the gateway is on the link even without a covering prefix.
    public var onLink: Bool

    /// A route; unset fields are left out of the request.
    ///
    /// ```swift
    /// Route(destination: NetlinkPrefix("fd00:1::/64")!, outputInterface: 3, table: 100)
    /// ```
    public init(destination: NetlinkPrefix, gateway: NetlinkAddress? = nil, outputInterface: Int32? = nil,
                preferredSource: NetlinkAddress? = nil, scope: RouteScope? = nil, table: UInt32 = 254,
                protocol: RouteProtocol = .boot, type: RouteType = .unicast, priority: UInt32? = nil,
                onLink: Bool = false) {
        self.destination = destination
        self.gateway = gateway
        self.outputInterface = outputInterface
        self.preferredSource = preferredSource
        self.scope = scope
        self.table = table
        self.protocol = `protocol`
        self.type = type
        self.priority = priority
        self.onLink = onLink
    }

    public var family: NetlinkAddressFamily { destination.family }

    /// `10.1.0.0/16 via 10.0.0.1 dev #3 table 100`, the object named in errors.
    public var description: String {
        var text = "\(destination)"
        if let gateway { text += " via \(gateway)" }
        if let outputInterface { text += " dev #\(outputInterface)" }
        text += " table \(table)"
        return text
    }

    static func decode(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> Route? {
        guard message.type == RTM.newRoute else { return nil }
        let header = ByteReader(message.payload)
        guard let familyValue = header.u8(at: 0), let dstLength = header.u8(at: 1), let table8 = header.u8(at: 4),
              let proto = header.u8(at: 5), let scope = header.u8(at: 6), let type = header.u8(at: 7),
              let flags = header.u32(at: 8)
        else { throw .malformedReply(operation: operation, reason: "short rtmsg") }
        guard let family = NetlinkAddressFamily(rawValue: familyValue) else { return nil }
        let attributes = try NetlinkAttributes(parsing: header.slice(from: 12), operation: operation)
        let destination: NetlinkPrefix
        if let address = attributes.address(RTA.dst) {
            guard address.family == family, let prefix = NetlinkPrefix(address: address, length: dstLength) else {
                throw .malformedReply(operation: operation, reason: "route destination does not match its family")
            }
            destination = prefix
        } else {
            destination = .defaultRoute(family)
        }
        return Route(
            destination: destination,
            gateway: attributes.address(RTA.gateway),
            outputInterface: attributes.u32(RTA.oif).map { Int32(bitPattern: $0) },
            preferredSource: attributes.address(RTA.prefsrc),
            scope: RouteScope(rawValue: scope),
            table: attributes.u32(RTA.table) ?? UInt32(table8),
            protocol: RouteProtocol(rawValue: proto),
            type: RouteType(rawValue: type),
            priority: attributes.u32(RTA.priority),
            onLink: flags & RTA.onlinkFlag != 0)
    }
}

extension NetlinkSocket {
    /// Adds a route; fails with EEXIST if an identical one is there.
    ///
    /// ```swift
    /// try socket.addRoute(Route(destination: NetlinkPrefix("10.1.0.0/16")!, outputInterface: 3, table: 100))
    /// ```
    public func addRoute(_ route: Route) throws(NetlinkError) {
        try sendRoute(route, type: RTM.newRoute, flags: NLFlag.create | NLFlag.excl, verb: "adding")
    }

    /// Adds or replaces the route for the same destination, table and metric.
    ///
    /// ```swift
    /// try socket.replaceRoute(Route(destination: .defaultRoute(.ipv6), outputInterface: 3, table: 100))
    /// ```
    public func replaceRoute(_ route: Route) throws(NetlinkError) {
        try sendRoute(route, type: RTM.newRoute, flags: NLFlag.create | NLFlag.replace, verb: "replacing")
    }

    /// Deletes a route. Unset fields (gateway, interface, metric) match anything; scope,
    /// protocol and type are not matched, like `ip route del`.
    ///
    /// ```swift
    /// try socket.deleteRoute(Route(destination: NetlinkPrefix("10.1.0.0/16")!, table: 100))
    /// ```
    public func deleteRoute(_ route: Route) throws(NetlinkError) {
        try sendRoute(route, type: RTM.delRoute, flags: 0, verb: "deleting")
    }

    /// Lists routes of one family, optionally of one table (all tables by default).
    ///
    /// ```swift
    /// let table100 = try socket.routes(family: .ipv4, table: 100)
    /// ```
    public func routes(family: NetlinkAddressFamily, table: UInt32? = nil) throws(NetlinkError) -> [Route] {
        let operation = "listing \(family) routes"
        var request = NetlinkRequest(type: RTM.getRoute, flags: 0)
        request.append([family.rawValue, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
        var result: [Route] = []
        for message in try dump(request, operation: operation) {
            guard let route = try Route.decode(message, operation: operation) else { continue }
            if let table, route.table != table { continue }
            result.append(route)
        }
        return result
    }

    private func sendRoute(_ route: Route, type: UInt16, flags: UInt16, verb: String) throws(NetlinkError) {
        let operation = "\(verb) route \(route)"
        let family = route.family
        if let gateway = route.gateway, gateway.family != family {
            throw .invalidArgument(operation: operation, reason: "gateway family differs from destination family")
        }
        let isDelete = type == RTM.delRoute
        var request = NetlinkRequest(type: type, flags: flags)
        request.appendInteger(family.rawValue)
        request.appendInteger(route.destination.length)
        request.appendInteger(UInt8(0))  // src_len
        request.appendInteger(UInt8(0))  // tos
        request.appendInteger(UInt8(route.table < 256 ? route.table : 0))
        if isDelete {
            request.appendInteger(RouteProtocol.unspecified.rawValue)
            request.appendInteger(RouteScope.nowhere.rawValue)
            request.appendInteger(RouteType.unspecified.rawValue)
        } else {
            let scope = route.scope ?? (route.gateway == nil && route.type == .unicast ? .link : .universe)
            request.appendInteger(route.protocol.rawValue)
            request.appendInteger(scope.rawValue)
            request.appendInteger(route.type.rawValue)
        }
        request.appendInteger(route.onLink ? RTA.onlinkFlag : 0)
        request.appendAttribute(RTA.table, u32: route.table)
        if !route.destination.isDefault { request.appendAttribute(RTA.dst, bytes: route.destination.address.bytes) }
        if let gateway = route.gateway { request.appendAttribute(RTA.gateway, bytes: gateway.bytes) }
        if let oif = route.outputInterface { request.appendAttribute(RTA.oif, u32: UInt32(bitPattern: oif)) }
        if let source = route.preferredSource { request.appendAttribute(RTA.prefsrc, bytes: source.bytes) }
        if let priority = route.priority { request.appendAttribute(RTA.priority, u32: priority) }
        try execute(request, operation: operation)
    }
}
