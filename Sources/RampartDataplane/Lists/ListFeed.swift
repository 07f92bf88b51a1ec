import RampartHTTP

/// An external dynamic list: an indicator list the firewall fetches over HTTP(S) and
/// refreshes on a schedule (PAN-OS's EDL), kept on disk as its last good copy.
///
/// ```yaml
/// lists:
///   - {name: threat-feed, url: "https://feeds.example/domains.txt", refresh: 300, category: malware}
/// ```
public struct ListFeed: Sendable, Equatable {
    public var name: String
    public var url: String
    /// Seconds between two fetches (at least `ListFeed.minimumRefresh`).
    public var refreshSeconds: Double
    /// Where the last good copy is kept: loaded like any list file, and at start before the
    /// first fetch, so a restart while the source is down keeps enforcing it.
    public var cachePath: String
    /// The largest answer accepted; a bigger one is refused and the last good copy kept.
    public var maxBytes: Int
    /// The CA that signs an `https://` source's certificate (nil: the system's bundle), and
    /// a bearer token file, both read at each fetch so renewed files are used.
    public var caFile: String?
    public var tokenFile: String?

    public static let minimumRefresh = 1.0
    public static let defaultMaxBytes = 256 << 20

    public init(name: String, url: String, refreshSeconds: Double, cachePath: String, maxBytes: Int = ListFeed.defaultMaxBytes,
                caFile: String? = nil, tokenFile: String? = nil) {
        self.name = name
        self.url = url
        self.refreshSeconds = refreshSeconds
        self.cachePath = cachePath
        self.maxBytes = maxBytes
        self.caFile = caFile
        self.tokenFile = tokenFile
    }
}

/// What one fetch came to.
public enum ListFeedOutcome: String, Sendable, CaseIterable {
    /// A new copy arrived, passed the check and replaced the last good one.
    case updated
    /// The source answered 304 Not Modified, or the same bytes as the last good copy.
    case unchanged
    /// No answer, an error status, or an answer over the size limit.
    case failed
    /// An answer that is not a list (nothing valid in it, or more refused lines than good).
    case refused
}

/// A feed's state, for `/metrics` and the admin API.
public struct ListFeedStatus: Sendable, Equatable {
    public var name: String
    public var url: String
    /// Unix seconds of the last good copy written or confirmed; nil: none yet.
    public var lastSuccess: Double?
    public var lastAttempt: Double?
    public var lastError: String?
    /// Entries in the last good copy; nil when there is none.
    public var entries: Int?
    public var outcomes: [ListFeedOutcome: Int] = [:]
    /// The last attempt failed or was refused: the list in force is older than it should be.
    public var stale: Bool { lastError != nil }
}
