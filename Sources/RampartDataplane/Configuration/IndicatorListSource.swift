import RampartConfig
import RampartInspect
import RampartPolicy

/// One entry of the firewall's `spec.lists`: a list file (plain, hosts or CSV) or a folder
/// in the UT1 layout, whose entries the policy's DNS security and URL filtering profiles
/// look names up in.
///
/// ```yaml
/// spec:
///   lists:
///     - {name: malware, path: lists/malware.txt}               # category: the name
///     - {name: ut1, path: /var/lib/ut1/blacklists}             # categories: the folders' names
///     - {name: feed, path: feed.csv, category: phishing}       # the CSV's column, else phishing
///     - {name: edl, url: "https://feeds.example/bad.txt", refresh: 300}   # fetched (ListFeedFetcher)
/// ```
public struct IndicatorListSource: Hashable, Sendable {
    public var name: String
    /// As written; relative paths are read from the configuration file's folder. For a list
    /// with a `url`, where its last good copy is kept (default `defaultFeedFolder/NAME`).
    public var path: String
    /// An external dynamic list's source (`http://` or `https://`), fetched every `refresh`
    /// seconds; nil: a file or folder read at start and on reload.
    public var url: String?
    public var refreshSeconds: Double = 300
    public var maxBytes: Int = ListFeed.defaultMaxBytes
    /// For an `https://` source: the CA that signs its certificate; a bearer token file.
    public var caFile: String?
    public var tokenFile: String?

    /// Where fetched lists are kept when their entry names no path: a writable folder (the
    /// chart mounts an emptyDir there).
    public static let defaultFeedFolder = "/var/lib/rampart/lists"
    /// The category of the entries the list does not categorise itself; nil: the list's
    /// `name` for a file, each category folder's name for a UT1 folder.
    public var category: String?

    public init(name: String, path: String, category: String? = nil) {
        self.name = name
        self.path = path
        self.category = category
    }

    /// The most lists one firewall names.
    public static let maximumLists = 256

    /// Reads `spec.lists`: names unique, paths and categories non-empty.
    static func read(_ node: YAMLNode, reader r: ConfigReader) -> [IndicatorListSource] {
        guard let items = r.list(node, "spec.lists", limit: maximumLists) else { return [] }
        var out: [IndicatorListSource] = []
        var seen: [String: SourceLocation] = [:]
        for item in items {
            guard let f = r.fields(item, "a list", allowed: ["name", "path", "category", "url", "refresh", "maxBytes", "caFile", "tokenFile"],
                                   required: ["name"]),
                  let nn = f["name"], let name = r.string(nn, "list name") else { continue }
            let url = f["url"].flatMap { r.string($0, "list url") }
            if let un = f["url"], let url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || url.count < 10 {
                r.error(un.location, "a list url must be http://... or https://..., found '\(url.prefix(80))'")
                continue
            }
            guard let path = f["path"].flatMap({ r.string($0, "list path") }) ?? url.map({ _ in "\(IndicatorListSource.defaultFeedFolder)/\(name)" }) else {
                r.error(item.location, "list '\(name.prefix(80))' needs a path (a file or a UT1 folder) or a url (an external dynamic list)")
                continue
            }
            let pn = f["path"] ?? nn
            // The name becomes a file name under the feed folder: nothing that leaves it.
            if f["path"] == nil, url != nil,
               !(name.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } ?? false)
                || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }) {
                r.error(nn.location, "list '\(name.prefix(80))': the name of a list kept under \(IndicatorListSource.defaultFeedFolder) is letters, digits, '.', '_' and '-', starting with a letter or digit; or give a path")
                continue
            }
            if name.isEmpty || name.utf8.count > 128 {
                r.error(nn.location, "a list name must be 1 to 128 bytes")
                continue
            }
            if let first = seen[name] {
                r.error(nn.location, "duplicate list name '\(name.prefix(80))'; first defined at \(first)")
                continue
            }
            seen[name] = nn.location
            if path.isEmpty { r.error(pn.location, "a list path must not be empty; give a file or a UT1 folder"); continue }
            var source = IndicatorListSource(name: name, path: path)
            source.url = url
            for key in ["refresh", "maxBytes", "caFile", "tokenFile"] where url == nil {
                if let node = f[key] { r.error(node.location, "\(key) is for a list with a url (an external dynamic list)") }
            }
            if let node = f["refresh"], let seconds = r.integer(node, "refresh (seconds between fetches)", in: 1...604_800) {
                source.refreshSeconds = Double(seconds)
            }
            if let node = f["maxBytes"], let bytes = r.integer(node, "maxBytes", in: 1...(2 << 30)) { source.maxBytes = bytes }
            source.caFile = f["caFile"].flatMap { r.string($0, "caFile") }
            source.tokenFile = f["tokenFile"].flatMap { r.string($0, "tokenFile") }
            if let cn = f["category"], let category = r.string(cn, "category") {
                if category.isEmpty || category.utf8.count > 128 {
                    r.error(cn.location, "a category must be 1 to 128 bytes")
                    continue
                }
                source.category = category
            }
            out.append(source)
        }
        return out
    }
}

/// The firewall's lists loaded into one indicator store, with the policy, and published
/// with it on reload (`PolicyRelease.Content.indicators`).
public enum IndicatorLists {
    /// Loads every list; a list that cannot be read refuses the configuration (fail closed:
    /// a firewall must not run believing it filters by lists it never read).
    ///
    /// ```swift
    /// let (store, summary) = try IndicatorLists.load(file.firewall.lists, configurationFile: path)
    /// ```
    public static func load(_ sources: [IndicatorListSource], configurationFile: String,
                            files: some ListFileSystem = IndicatorListFiles()) throws(PolicyErrors) -> (store: IndicatorStore, summary: String) {
        var builder = IndicatorStoreBuilder()
        var rejected = 0
        let folder = configurationFile.lastIndex(of: "/").map { String(configurationFile[...$0]) } ?? ""
        var waiting: [String] = []
        for source in sources {
            let path = source.path.hasPrefix("/") ? source.path : folder + source.path
            // An external dynamic list before its first good fetch: empty, and said so (its
            // feed's stale gauge is 1); the fetcher reloads once a copy is in.
            if source.url != nil && files.kind(of: path) == .missing {
                waiting.append(source.name)
                continue
            }
            let category: String? = files.kind(of: path) == .folder ? source.category : (source.category ?? source.name)
            do {
                let report = try IndicatorListSet.load(paths: [path], category: category, from: files, into: &builder)
                rejected += report.rejected
            } catch {
                throw PolicyErrors([PolicyError(file: configurationFile, line: 0, column: 0, message: "spec.lists '\(source.name)': \(error)")])
            }
        }
        let store = builder.build()
        let s = store.statistics
        let summary = "\(sources.count) list(s): \(s.domains) domains, \(s.urls) URLs, \(s.addresses) address ranges in \(store.categories.count) categories"
            + (rejected > 0 ? "; \(rejected) lines refused (`rampart lists check PATH` lists them)" : "")
            + (waiting.isEmpty ? "" : "; not fetched yet: \(waiting.joined(separator: ", "))")
        return (store, summary)
    }
}

extension IndicatorListSource {
    /// The external dynamic list this entry names, with paths resolved against the
    /// configuration file's folder; nil for a file or folder.
    public func feed(configurationFile: String) -> ListFeed? {
        guard let url else { return nil }
        let folder = configurationFile.lastIndex(of: "/").map { String(configurationFile[...$0]) } ?? ""
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : folder + p }
        return ListFeed(name: name, url: url, refreshSeconds: refreshSeconds, cachePath: resolve(path), maxBytes: maxBytes,
                        caFile: caFile.map(resolve), tokenFile: tokenFile.map(resolve))
    }
}
