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

    /// The text of a scalar that is not null; nil for anything else.
    public var text: String? {
        if case .scalar(let s, _, _) = self, !isNull { return s }
        return nil
    }

    /// `off`, or a plain `false` (YAML 1.1 reads a bare `off` as false): how the daemons'
    /// configurations switch a listener or a file off.
    public var isOff: Bool {
        guard case .scalar(let s, let plain, _) = self else { return false }
        return s == "off" || (plain && (s == "false" || s == "False" || s == "FALSE"))
    }

    /// The text of the scalar under `key` when this is a mapping holding one (the first
    /// such key), unchecked: for telling documents apart by their `kind`, or naming an entry
    /// in messages before its fields are read.
    ///
    /// ```swift
    /// let docs = try YAMLReader.documents(in: "kind: SecurityPolicy\n", file: "p.yaml")
    /// docs[0].scalar(forKey: "kind")  // "SecurityPolicy"
    /// ```
    public func scalar(forKey key: String) -> String? {
        guard case .mapping(let pairs, _) = self else { return nil }
        for (k, v) in pairs {
            if case .scalar(key, _, _) = k {
                if case .scalar(let text, _, _) = v, !v.isNull { return text }
                return nil
            }
        }
        return nil
    }
}
