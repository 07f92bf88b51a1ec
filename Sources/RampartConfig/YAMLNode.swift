/// A position in a source file: 1-based line and column (columns count Unicode scalars,
/// as libyaml does).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    /// ```swift
    /// SourceLocation(line: 3, column: 7).description  // "3:7"
    /// ```
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }

    /// The position `offset` scalars further along the same line.
    public func advanced(by offset: Int) -> SourceLocation {
        SourceLocation(line: line, column: column &+ offset)
    }
}

/// A YAML node as the readers of policies and configurations see it: scalars stay text (with their quoting, so
/// `"80"` and `80` can be told apart), and every node keeps where it started.
///
/// The policy reader composes these itself from libyaml's events rather than through
/// `Yams.Node`, so that aliases can be refused before anything expands them and so that
/// duplicate keys are reported like every other error, with their position.
///
/// ```swift
/// let docs = try YAMLReader.documents(in: "a: 1\n", file: "x.yaml")
/// ```
public indirect enum YAMLNode: Sendable {
    case scalar(String, isPlain: Bool, SourceLocation)
    case sequence([YAMLNode], SourceLocation)
    case mapping([(key: YAMLNode, value: YAMLNode)], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, _, let l), .sequence(_, let l), .mapping(_, let l): return l
        }
    }

    /// What a user would call this node in an error message.
    public var kindName: String {
        switch self {
        case .scalar(let s, let plain, _):
            if plain {
                if s.isEmpty || s == "~" || s == "null" { return "null" }
                if s == "true" || s == "false" { return "a boolean" }
                if Int(s) != nil { return "a number" }
            }
            return "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    public var isNull: Bool {
        if case .scalar(let s, true, _) = self { return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }
        return false
    }
}
