/// One problem found in a configuration, policy or tag file, with where it is and what was
/// expected: the one error type of every reader of the daemons' files.
///
/// ```swift
/// let e = ConfigError(file: "policy.yaml", line: 12, column: 5, message: "unknown field 'sourc'")
/// e.description  // "policy.yaml:12:5: unknown field 'sourc'"
/// ```
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`; `file: message` for a problem with the file as a whole
    /// (line 0: it could not be read).
    public var description: String { line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)" }
}

/// Every problem found in one load, in file order. Loaders collect them all rather than
/// stopping at the first.
///
/// ```swift
/// do { _ = try PolicyLoader.load(yaml: text, file: "p.yaml") }
/// catch { for e in error.errors { print(e) } }
/// ```
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// A file named by a configuration that cannot be used as a whole (unreadable, empty,
    /// wrong mode): `file: message`, found when the file is read rather than parsed.
    public init(file: String, _ message: String) {
        self.errors = [ConfigError(file: file, line: 0, column: 0, message: message)]
    }

    /// One line per error.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Collects errors while a file is read, with a cap so a hostile file cannot make the
/// report itself enormous.
public struct ErrorSink: Sendable {
    public static let maximumErrors = 500
    public let file: String
    public private(set) var errors: [ConfigError] = []
    public private(set) var truncated = false

    public init(file: String) { self.file = file }

    public mutating func add(_ location: SourceLocation, _ message: String) {
        if errors.count >= ErrorSink.maximumErrors {
            if !truncated {
                truncated = true
                errors.append(ConfigError(file: file, line: location.line, column: location.column,
                    message: "too many errors; stopped reporting after \(ErrorSink.maximumErrors)"))
            }
            return
        }
        errors.append(ConfigError(file: file, line: location.line, column: location.column, message: message))
    }

    public var isEmpty: Bool { errors.isEmpty }

    /// In file order (line, column, then the order they were found).
    public func sorted() -> [ConfigError] {
        errors.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }
}

/// Suggests the closest known name for a misspelt one.
public enum DidYouMean {
    /// ```swift
    /// DidYouMean.suggestion(for: "sourc", among: ["source", "destination"])  // "source"
    /// ```
    public static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        // Bounded work: a hostile file can hold many names and many misspellings.
        let w = Array(word.lowercased().utf8.prefix(32))
        var best: (String, Int)?
        var examined = 0
        for c in candidates {
            examined += 1
            if examined > 2_000 { break }
            if abs(c.utf8.count - w.count) > 3 { continue }
            let d = distance(w, Array(c.lowercased().utf8.prefix(32)))
            let limit = max(1, min(3, c.utf8.count / 3))
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    public static func hint(for word: String, among candidates: some Sequence<String>) -> String {
        if let s = suggestion(for: word, among: candidates) { return "; did you mean '\(s)'?" }
        return ""
    }

    private static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
