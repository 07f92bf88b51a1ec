/// A URL filtering profile: what to do with the HTTP requests and TLS sessions of the
/// sessions its rules allow, by the category of the URL (HTTP host and path) or of the name
/// (TLS SNI, else the certificate's names), from the firewall's indicator lists.
///
/// ```yaml
/// urlFilteringProfiles:
///   - name: url-default
///     categories: {gambling: block, malware: block, news: continue}
///     unknown: alert
///     notResolved: allow
///     blockPage: block.html
/// ```
public struct URLFilteringProfile: Hashable, Sendable {
    public var name: String
    /// Category name → action. A category no list holds never matches (not an error).
    public var categories: [String: URLAction]
    /// The action for a URL that is in no list (PAN-OS's `unknown` category).
    public var unknown: URLAction
    /// The action while the lists cannot answer: none loaded yet (PAN-OS's `not-resolved`).
    public var notResolved: URLAction
    /// An HTML page sent instead of the built-in one, as written (relative to the policy
    /// file); `blockPagePath` is it resolved.
    public var blockPage: String?
    /// How long a `continue` answered by a client lets it through to the same host.
    public var continueMinutes: Int

    public static let defaultContinueMinutes = 15

    public init(name: String, categories: [String: URLAction] = [:], unknown: URLAction = .allow,
                notResolved: URLAction = .allow, blockPage: String? = nil, continueMinutes: Int = defaultContinueMinutes) {
        self.name = name
        self.categories = categories
        self.unknown = unknown
        self.notResolved = notResolved
        self.blockPage = blockPage
        self.continueMinutes = continueMinutes
    }

    /// The block page's path: `blockPage` as written when absolute, else beside `policyFile`.
    public func blockPagePath(policyFile: String) -> String? {
        guard let page = blockPage else { return nil }
        if page.hasPrefix("/") { return page }
        guard let slash = policyFile.lastIndex(of: "/") else { return page }
        return String(policyFile[...slash]) + page
    }
}

/// What a URL filtering profile does with a request, as PAN-OS names them.
public enum URLAction: String, Hashable, Sendable, CaseIterable, Comparable {
    /// Pass, no log.
    case allow
    /// Pass, logged.
    case alert
    /// The client sees a page it can continue from; the request is held until it does.
    case `continue`
    /// A page asking for a password (Rampart: treated as `block`; see docs/urls.md).
    case override
    /// A block page (HTTP) or a reset (TLS).
    case block

    /// Severity order: when several categories of one URL disagree, the strictest wins.
    var rank: Int {
        switch self {
        case .allow: return 0
        case .alert: return 1
        case .continue: return 2
        case .override: return 3
        case .block: return 4
        }
    }

    public static func < (a: URLAction, b: URLAction) -> Bool { a.rank < b.rank }
}
