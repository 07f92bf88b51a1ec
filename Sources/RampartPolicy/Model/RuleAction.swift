/// What a rule does with a matching session.
///
/// ```swift
/// RuleAction(name: "reset-client")  // .resetClient
/// RuleAction.resetBoth.name          // "reset-both"
/// ```
public enum RuleAction: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case allow, deny, drop, resetClient, resetServer, resetBoth

    /// The name used in policy files and logs.
    public var name: String {
        switch self {
        case .allow: return "allow"
        case .deny: return "deny"
        case .drop: return "drop"
        case .resetClient: return "reset-client"
        case .resetServer: return "reset-server"
        case .resetBoth: return "reset-both"
        }
    }

    public init?(name: String) {
        guard let a = RuleAction.allCases.first(where: { $0.name == name }) else { return nil }
        self = a
    }

    public var description: String { name }
}

/// Which ends of a session a rule logs.
public struct LogSetting: Hashable, Sendable {
    public var atStart: Bool
    public var atEnd: Bool
    public init(atStart: Bool = false, atEnd: Bool = true) {
        self.atStart = atStart
        self.atEnd = atEnd
    }
}

/// A zone's index in `PolicyMatcher.zoneName(_:)` order (declaration order; the implicit
/// `unassigned` zone, when present, is last).
@frozen
public struct ZoneID: Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
}

/// The transport a service names.
public enum ServiceProtocol: String, Hashable, Sendable, CaseIterable {
    case tcp, udp, sctp
    /// ICMP and ICMPv6 (ports do not apply).
    case icmp

    /// Whether a packet's IP protocol number is this transport.
    public func includes(_ p: IPProtocolNumber) -> Bool {
        switch self {
        case .tcp: return p == 6
        case .udp: return p == 17
        case .sctp: return p == 132
        case .icmp: return p == 1 || p == 58
        }
    }
}

public typealias IPProtocolNumber = UInt8
