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
/// ```
public struct IndicatorListSource: Hashable, Sendable {
    public var name: String
    /// As written; relative paths are read from the configuration file's folder.
    public var path: String
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
            guard let f = r.fields(item, "a list", allowed: ["name", "path", "category"], required: ["name", "path"]),
                  let nn = f["name"], let name = r.string(nn, "list name"),
                  let pn = f["path"], let path = r.string(pn, "list path") else { continue }
            if name.isEmpty || name.utf8.count > 128 {
                r.error(nn.location, "a list name must be 1 to 128 bytes")
                continue
            }
            if let first = seen[name] {
                r.error(nn.location, "duplicate list name '\(name.prefix(80))'; first defined at \(first)")
                continue
            }
            seen[name] = nn.location
            if path.isEmpty { r.error(pn.location, "a list path must not be empty; give a file or a UT1 folder") ; continue }
            var source = IndicatorListSource(name: name, path: path)
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
        for source in sources {
            let path = source.path.hasPrefix("/") ? source.path : folder + source.path
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
        return (store, summary)
    }
}
