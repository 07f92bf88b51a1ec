import RampartPolicy

/// What a DNS security profile decided for one query, and why: small integers the engine
/// keeps on the session (the strictest decision of its queries) and turns into the `dns`
/// record's `rampart.dns {verdict, category, reason}` when the session is logged.
///
/// ```swift
/// let d = DNSSecurityDecision(action: .sinkhole, reason: .category, category: malware)
/// d.isStricter(than: .none)   // true
/// ```
@frozen
public struct DNSSecurityDecision: Equatable, Sendable {
    /// Why the action was taken.
    public enum Reason: UInt8, Sendable, CaseIterable {
        /// No query decided yet.
        case none = 0
        /// Nothing matched: the query was allowed.
        case clean
        /// A category of the indicator lists, by the profile's `categories`.
        case category
        /// The DGA model scored the registrable label at or over the profile's threshold.
        case dga
        /// The parent domain's queries look like a tunnel.
        case tunnelling

        public var label: String {
            switch self {
            case .none: return "none"
            case .clean: return "clean"
            case .category: return "category"
            case .dga: return "dga"
            case .tunnelling: return "tunnelling"
            }
        }
    }

    /// 0: nothing decided; otherwise `DNSSecurityDecision.rank(of:)` of the action.
    public var rank: UInt8
    public var reason: Reason
    /// The indicator store's category id (`IndicatorCategory.rawValue`), or `noCategory`.
    public var category: UInt16

    public static let noCategory = UInt16.max
    public static let none = DNSSecurityDecision(rank: 0, reason: .none, category: noCategory)

    @inlinable
    public init(rank: UInt8, reason: Reason, category: UInt16) {
        self.rank = rank
        self.reason = reason
        self.category = category
    }

    public init(action: DNSAction, reason: Reason, category: UInt16 = noCategory) {
        self.init(rank: DNSSecurityDecision.rank(of: action), reason: reason, category: category)
    }

    /// Strictness: allow 1 < alert 2 < sinkhole 3 < block 4. Among several causes the
    /// strictest wins: a name to block is not sinkholed, a name to sinkhole is not merely
    /// alerted on.
    @inlinable
    public static func rank(of action: DNSAction) -> UInt8 {
        switch action {
        case .allow: return 1
        case .alert: return 2
        case .sinkhole: return 3
        case .block: return 4
        }
    }

    /// The action, nil while nothing was decided.
    public var action: DNSAction? {
        switch rank {
        case 1: return .allow
        case 2: return .alert
        case 3: return .sinkhole
        case 4: return .block
        default: return nil
        }
    }

    @inlinable
    public func isStricter(than other: DNSSecurityDecision) -> Bool { rank > other.rank }
}
