import RampartPolicy

/// What the URL filtering profile decided for one session: the category that decided,
/// the action, the list that named it. Kept in the session's metadata for its `http` and
/// `tls` records (`url_filtering`), counted per category and action.
public struct URLFilteringVerdict: Sendable, Equatable {
    /// A list category, `unknown` (in no list) or `not-resolved` (no lists loaded).
    public var category: String
    public var action: URLAction
    /// The list (its file) that named the URL or host; nil for `unknown`, `not-resolved`.
    public var list: String?
    /// The listed entry that matched (`example.com`, `example.com/ads/`).
    public var entry: String?
    /// The client had continued past a `continue` page for this host: the request passed.
    /// (Also: had given the right `override` password for this host.)
    public var continued = false
    /// The request was an `override` password answer: whether it was right.
    public var overrideAnswer: URLOverrideAnswer?

    /// The `action` of the record: `override-accepted` / `override-refused` for a password answer.
    public var recordedAction: String {
        switch overrideAnswer {
        case .accepted?: return "override-accepted"
        case .refused?: return "override-refused"
        case nil: return action.rawValue
        }
    }

    public init(category: String, action: URLAction, list: String? = nil, entry: String? = nil, continued: Bool = false) {
        self.category = category
        self.action = action
        self.list = list
        self.entry = entry
        self.continued = continued
    }

    public static let unknownCategory = "unknown"
    public static let notResolvedCategory = "not-resolved"
}

/// What the firewall made of a request to `/.well-known/rampart-override`.
public enum URLOverrideAnswer: Sendable, Equatable {
    case accepted
    case refused
}

/// The page the firewall answers a blocked (or `continue`) plaintext HTTP request with:
/// what the engine knew when it gave the `.respond` verdict (`Engine.urlResponse`).
public struct URLFilteringResponse: Sendable, Equatable {
    /// The URL filtering profile's index (`PolicyProfiles.url`): its `blockPage`.
    public var profile: Int32
    public var verdict: URLFilteringVerdict
    /// `http://HOST/TARGET` as requested.
    public var url: String
    /// For `continue` (`override`): how long the client may continue (after the password).
    public var continueMinutes: Int
    /// A right `override` password: the `303 See Other` target (on the same host).
    public var redirect: String?

    public init(profile: Int32, verdict: URLFilteringVerdict, url: String, continueMinutes: Int, redirect: String? = nil) {
        self.profile = profile
        self.verdict = verdict
        self.url = url
        self.continueMinutes = continueMinutes
        self.redirect = redirect
    }
}

/// Counts of URL filtering decisions, by category and action (`/metrics`
/// `rampart_url_filtering_total{category,action}`).
public struct URLFilteringCountKey: Hashable, Sendable {
    public var category: String
    public var action: URLAction
    public init(category: String, action: URLAction) {
        self.category = category
        self.action = action
    }
}
