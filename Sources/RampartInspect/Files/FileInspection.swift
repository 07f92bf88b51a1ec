/// What files are checked against: the hash lists and the YARA rules, loaded with the
/// policy (`spec.files`) or by `rampart inspect --hashes/--yara`, shared read-only by every
/// worker and swapped with the policy on reload. An engine given one tracks the files of
/// its HTTP and SMTP sessions and writes a `fileinfo` record for each.
///
/// ```swift
/// let files = FileInspection(hashes: try FileHashList.parse(text, file: "bad.sha256"), yara: nil)
/// var engine = Engine(configuration: configuration, policy: matcher, rules: rules, files: files)
/// ```
public final class FileInspection: Sendable {
    public let hashes: FileHashList
    public let yara: YaraRules?
    /// Where they came from, for logs (`"2 hashes from bad.sha256; 3 YARA rules from ..."`).
    public let summary: String

    public init(hashes: FileHashList = FileHashList(), yara: YaraRules? = nil, summary: String = "") {
        self.hashes = hashes
        self.yara = yara
        self.summary = summary
    }
}

/// Limits of file tracking, allocated once per worker.
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.files.maxFiles = 2_048
/// ```
public struct FileConfiguration: Sendable, Equatable {
    /// Files in flight at once (one per HTTP body or mail attachment being read). A file
    /// that finds no slot is not tracked: counted (`detect_files`, anomaly `file.table_full`).
    public var maxFiles = 1_024
    /// Bytes of each file kept for YARA (its first bytes; the whole file when smaller). The
    /// hashes cover the whole file whatever this says. Without YARA rules only the first
    /// 512 bytes are kept, to tell the type.
    public var scanBytes = 64 << 10
    /// A file larger than this is not hashed further: its record says `TRUNCATED`, without
    /// hashes (and the stream depth of sessions is raised to it when files are tracked).
    public var maxFileBytes = 64 << 20
    /// gzip/deflate bodies inflated at once (each ~64 KiB of zlib state); a compressed body
    /// that finds none is tracked as sent (type gzip), counted (`detect_file_inflaters`).
    public var inflaters = 64

    public init() {}
}

extension FileInspection {
    /// Builds the inspection from the texts of its files (the callers read them: the engine
    /// does no I/O): hash lists and YARA sources, each with its path for errors and the summary.
    ///
    /// ```swift
    /// let files = try FileInspection.load(hashLists: [(text, "bad.sha256")], yaraSources: [(rules, "eicar.yar")])
    /// files.summary   // "1 hash from 1 list, 1 YARA rule from 1 file"
    /// ```
    public static func load(hashLists: [(text: String, file: String)], yaraSources: [(text: String, file: String)])
        throws -> FileInspection {
        var hashes = FileHashList()
        for (text, file) in hashLists { try hashes.add(text, file: file) }
        let yara = yaraSources.isEmpty ? nil : try YaraRules.compile(yaraSources)
        func plural(_ n: Int, _ word: String, _ many: String? = nil) -> String { "\(n) \(n == 1 ? word : many ?? word + "s")" }
        let summary = "\(plural(hashes.count, "hash", "hashes")) from \(plural(hashLists.count, "list")), "
            + "\(plural(yara?.count ?? 0, "YARA rule")) from \(plural(yaraSources.count, "file"))"
        return FileInspection(hashes: hashes, yara: yara, summary: summary)
    }
}
