/// The text formats a list can have.
public enum IndicatorListFormat: String, Sendable, CaseIterable {
    /// One domain, URL or address (or prefix) per line; `#` starts a comment.
    case plain
    /// The hosts-file form: `ADDRESS NAME [NAME...]` (`0.0.0.0 ads.example`); the names are
    /// listed, the address is not; `localhost` and its kin are skipped.
    case hosts
    /// Comma- (or semicolon-, tab-) separated values whose header names an indicator column
    /// (`domain`, `url`, `ip` or `indicator`) and a `category` column.
    case csv

    /// The format of a list's bytes, by its name and first lines: `.csv` by extension or a
    /// header naming the columns; `hosts` when most of the first lines start with an
    /// address followed by a name; `plain` otherwise.
    public static func guess(fileName: String, bytes: UnsafeRawBufferPointer) -> IndicatorListFormat {
        if fileName.lowercased().hasSuffix(".csv") { return .csv }
        var lines = ListLines(bytes)
        var seen = 0
        var hostsLike = 0
        while seen < 20, let line = lines.next() {
            let content = ListLines.withoutComment(line.bytes)
            if content.isEmpty { continue }
            if seen == 0, CSVHeader.looksLikeHeader(content) { return .csv }
            seen += 1
            let fields = ListLines.fields(content)
            if fields.count >= 2, ListLines.parseAddress(fields[0]) != nil { hostsLike += 1 }
        }
        return seen > 0 && hostsLike * 2 > seen ? .hosts : .plain
    }
}

/// What a list's lines hold.
public enum IndicatorListContent: String, Sendable {
    /// Each line says what it is: an address or prefix, a URL (it has a `/`), or a domain.
    case any
    /// Domains, and addresses or prefixes (UT1's `domains` files carry IPv4 addresses); a URL
    /// is refused.
    case domains
    /// URLs only; a bare host is the URL of its whole site (`/`).
    case urls
}

/// One list to load: its bytes' format and what to call it.
///
/// ```swift
/// let list = IndicatorList(file: "lists/malware.txt", format: .plain, category: "malware")
/// let report = try IndicatorListLoader.load(bytes, list, into: &builder)
/// ```
public struct IndicatorList: Sendable {
    /// The name shown in rejections (`FILE:LINE`), usually the path.
    public var file: String
    public var format: IndicatorListFormat
    public var content: IndicatorListContent
    /// The category of entries the list does not categorise itself (all of a plain or hosts
    /// list; CSV rows with an empty category).
    public var category: String
    /// The provenance recorded with each entry (default: `file`).
    public var source: String

    public init(
        file: String, format: IndicatorListFormat, content: IndicatorListContent = .any, category: String,
        source: String? = nil
    ) {
        self.file = file
        self.format = format
        self.content = content
        self.category = category
        self.source = source ?? file
    }
}

/// A refused line: where, what it said, and why.
public struct IndicatorListRejection: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    /// The offending entry (or line), cut to 120 characters.
    public var text: String
    public var problem: IndicatorListProblem

    public var description: String { "\(file):\(line): '\(text)': \(problem.message) (\(problem.name))" }
}

/// What loading one list did.
public struct IndicatorListReport: Sendable {
    public var file: String
    public var format: IndicatorListFormat
    /// Lines read, comments and blank lines included.
    public var lines = 0
    /// Entries accepted, by kind (new or already listed).
    public var domains = 0
    public var urls = 0
    public var addresses = 0
    /// Accepted entries the store did not hold yet.
    public var added = 0
    /// Accepted entries the store held already (from this list or an earlier one); their
    /// categories and sources were merged.
    public var alreadyListed = 0
    /// Names skipped on purpose (a hosts file's `localhost` and kin).
    public var ignored = 0
    /// Lines (or entries of a hosts line) refused.
    public var rejected = 0
    /// The first `rejectionsKept` refusals, in order.
    public var rejections: [IndicatorListRejection] = []
    /// Accepted entries per category name.
    public var categories: [String: Int] = [:]

    public static let rejectionsKept = 1000

    public var accepted: Int { domains + urls + addresses }

    public init(file: String, format: IndicatorListFormat) {
        self.file = file
        self.format = format
    }
}

/// A list could not be loaded whole: the store refused an entry (it is full, most often).
/// Nothing is silently dropped: the load stops here.
public struct IndicatorListLoadError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var error: IndicatorStoreError

    public var description: String { "\(file):\(line): \(error)" }
}
