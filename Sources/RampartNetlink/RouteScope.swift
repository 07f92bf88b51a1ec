/// `rtm_scope` / `ifa_scope`: how far a route or address reaches.
///
/// ```swift
/// Route(destination: .defaultRoute(.ipv4), outputInterface: 2, scope: .link, table: 100)
/// ```
public struct RouteScope: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    /// A value the kernel reported or one not named here.
    ///
    /// ```swift
    /// let custom = RouteScope(rawValue: 100)
    /// ```
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let universe = RouteScope(rawValue: 0)
    public static let site = RouteScope(rawValue: 200)
    public static let link = RouteScope(rawValue: 253)
    public static let host = RouteScope(rawValue: 254)
    public static let nowhere = RouteScope(rawValue: 255)

    public var description: String {
        switch rawValue {
        case 0: return "global"
        case 200: return "site"
        case 253: return "link"
        case 254: return "host"
        case 255: return "nowhere"
        default: return String(rawValue)
        }
    }
}

/// `rtm_protocol`: who installed a route. Rampart's own routes can be told apart by it.
///
/// ```swift
/// var route = Route(destination: NetlinkPrefix("10.1.0.0/16")!, table: 100)
/// route.protocol = .static
/// ```
public struct RouteProtocol: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    /// A value the kernel reported or one not named here.
    ///
    /// ```swift
    /// let custom = RouteScope(rawValue: 100)
    /// ```
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteProtocol(rawValue: 0)
    public static let kernel = RouteProtocol(rawValue: 2)
    public static let boot = RouteProtocol(rawValue: 3)
    public static let `static` = RouteProtocol(rawValue: 4)
}

/// `rtm_type`: unicast, local, blackhole, ...
///
/// ```swift
/// route.type = .blackhole
/// ```
public struct RouteType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    /// A value the kernel reported or one not named here.
    ///
    /// ```swift
    /// let custom = RouteScope(rawValue: 100)
    /// ```
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unspecified = RouteType(rawValue: 0)
    public static let unicast = RouteType(rawValue: 1)
    public static let local = RouteType(rawValue: 2)
    public static let broadcast = RouteType(rawValue: 3)
    public static let multicast = RouteType(rawValue: 5)
    public static let blackhole = RouteType(rawValue: 6)
    public static let unreachable = RouteType(rawValue: 7)
    public static let prohibit = RouteType(rawValue: 8)
}
