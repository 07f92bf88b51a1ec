/// Why a rule was refused: where (file, line, column of the option), which keyword, which
/// kind of problem (what a load report counts by), and a message that says what was expected.
public struct RuleProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// The text is not a rule (no options, a missing `;`, control characters ...).
        case syntax
        /// Action, protocol, addresses, ports or direction are malformed.
        case header
        /// A keyword Suricata 7 does not know.
        case unknownKeyword = "unknown keyword"
        /// A Suricata keyword Rampart does not implement (yet); the rule is refused rather
        /// than matched without it.
        case unsupportedKeyword = "unsupported keyword"
        /// A keyword's value is malformed or out of range.
        case invalidValue = "invalid value"
        /// Keywords that cannot go together (a modifier without content, relative and
        /// absolute modifiers on one content, a buffer of the wrong protocol or direction ...).
        case conflict
        /// `sid` (or `msg`) is missing, or a header variable is not defined.
        case missing
        /// The `pcre` expression does not compile with PCRE2.
        case regex
    }

    public var kind: Kind
    /// The keyword concerned (`content`, `pcre`, `$HOME_NET` ...), when there is one.
    public var keyword: String?
    public var message: String
    public var file: String
    public var line: Int
    /// 1-based column of the option (or header field) in the rule's first line, 0 if unknown.
    public var column: Int
    public var sid: UInt32?

    public init(_ kind: Kind, keyword: String?, _ message: String, file: String = "", line: Int = 0,
                column: Int = 0, sid: UInt32? = nil) {
        self.kind = kind
        self.keyword = keyword
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.sid = sid
    }

    /// What a load report counts by: the kind and the keyword (`unsupported keyword asn1`).
    public var reason: String {
        guard let keyword else { return kind.rawValue }
        return "\(kind.rawValue) \(keyword)"
    }

    public var description: String {
        let position = column > 0 ? "\(file):\(line):\(column)" : "\(file):\(line)"
        let sidText = sid.map { " sid \($0)" } ?? ""
        let keywordText = keyword.map { " \($0):" } ?? ""
        return "\(position):\(sidText)\(keywordText) \(message)"
    }
}

/// The message of a field-level failure before it is placed in a `RuleProblem`
/// (written as a string literal: `.failure("expected a port")`).
struct FieldError: Error, Hashable, Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    var message: String
    init(stringLiteral value: String) { message = value }
    init(_ message: String) { self.message = message }
    var description: String { message }
}
