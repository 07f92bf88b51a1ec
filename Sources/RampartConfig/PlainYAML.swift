/// YAML read into plain Swift values (`[String: Any]`, `[Any]`, `String`, `Int`, `Double`,
/// `Bool`, `PlainYAML.Null`) by the policy's own reader: limits on size and depth, aliases refused,
/// and a duplicate key is an error with its position — where `Yams.load` traps on one.
/// For the configuration files of the firewall, the manager and the node agent.
///
/// ```swift
/// let root = try PlainYAML.load("spec:\n  listen: 127.0.0.1:9690\n", file: "m.yaml") as? [String: Any]
/// ```
public enum PlainYAML {
    /// A YAML null. Not Foundation's `NSNull`: bridging it would link ICU's 34 MB of
    /// locale data into every daemon (docs/install.md, image sizes).
    public struct Null: Hashable, Sendable {}

    /// The first document of `text` (nil when there is none). Plain scalars become
    /// `Int`, `Double`, `Bool` (`true`/`false`) or `Null` (empty, `~`, `null`) when they
    /// read as one; quoted scalars stay strings.
    public static func load(_ text: String, file: String) throws(ConfigErrors) -> Any? {
        let documents = try YAMLReader.documents(in: text, file: file)
        guard let first = documents.first else { return nil }
        return try value(first, file: file)
    }

    public static func value(_ node: YAMLNode, file: String) throws(ConfigErrors) -> Any {
        switch node {
        case .scalar(let text, let plain, _):
            guard plain else { return text }
            if text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL" { return Null() }
            if text == "true" || text == "True" || text == "TRUE" { return true }
            if text == "false" || text == "False" || text == "FALSE" { return false }
            if let n = Int(text) { return n }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let d = Double(text), d.isFinite { return d }
            return text
        case .sequence(let items, _):
            var result: [Any] = []
            for item in items { result.append(try value(item, file: file)) }
            return result
        case .mapping(let pairs, _):
            var result: [String: Any] = [:]
            var seen: [String: SourceLocation] = [:]
            for pair in pairs {
                guard case .scalar(let key, _, let at) = pair.key else {
                    throw ConfigErrors([ConfigError(file: file, line: pair.key.location.line, column: pair.key.location.column,
                                                    message: "a mapping key must be a plain text, not \(pair.key.kindName)")])
                }
                if let first = seen[key] {
                    throw ConfigErrors([ConfigError(file: file, line: at.line, column: at.column,
                                                    message: "key '\(key.prefix(80))' appears twice in one mapping; first at \(first)")])
                }
                seen[key] = at
                result[key] = try value(pair.value, file: file)
            }
            return result
        }
    }
}
