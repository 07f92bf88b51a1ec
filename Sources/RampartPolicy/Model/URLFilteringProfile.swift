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
    /// The SHA-256 (32 bytes) of the password an `override` page asks for; written
    /// `overridePassword: sha256:<64 hex>` so that the policy never holds the password.
    public var overridePasswordSHA256: [UInt8]?
    /// How long a right `override` password lets that client through to the same host.
    public var overrideMinutes: Int

    public static let defaultContinueMinutes = 15
    public static let defaultOverrideMinutes = 15

    public init(name: String, categories: [String: URLAction] = [:], unknown: URLAction = .allow,
                notResolved: URLAction = .allow, blockPage: String? = nil, continueMinutes: Int = defaultContinueMinutes,
                overridePasswordSHA256: [UInt8]? = nil, overrideMinutes: Int = defaultOverrideMinutes) {
        self.name = name
        self.categories = categories
        self.unknown = unknown
        self.notResolved = notResolved
        self.blockPage = blockPage
        self.continueMinutes = continueMinutes
        self.overridePasswordSHA256 = overridePasswordSHA256
        self.overrideMinutes = overrideMinutes
    }

    /// `sha256:<64 hex>` as its 32 bytes; nil when malformed.
    public static func parsePasswordHash(_ text: String) -> [UInt8]? {
        let hex = text.utf8.dropFirst(7)
        // Hex digits only: `UInt8(_:radix:)` alone would take a sign.
        guard text.hasPrefix("sha256:"), hex.count == 64,
              hex.allSatisfy({ $0 &- 0x30 < 10 || ($0 | 0x20) &- 0x61 < 6 }) else { return nil }
        let digits = Array(hex)
        let bytes = stride(from: 0, to: 64, by: 2).compactMap { UInt8(String(decoding: digits[$0 ..< $0 + 2], as: UTF8.self), radix: 16) }
        return bytes.count == 32 ? bytes : nil
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
    /// A page asking for a password (the profile's `overridePassword`); the right one lets
    /// the client through to the host for `overrideMinutes` (plaintext HTTP; TLS is reset).
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
