/// Schema-driven reading of `YAMLNode`s for every file the daemons and the CLI read
/// (policies, tag files, the firewall's, manager's and node agent's configurations): each
/// problem is recorded with its position in an `ErrorSink` and the reader returns nil for
/// what it could not read, so that one pass reports every mistake. Unknown keys are
/// refused with a "did you mean".
///
/// ```swift
/// let reader = ConfigReader(file: "node.yaml")
/// if let root = reader.document(text),
///    let fields = reader.fields(root, "the document", allowed: ["apiVersion", "kind", "spec"]) {
///     let kind = fields["kind"].flatMap { reader.string($0, "kind") }
/// }
/// try reader.check()     // throws ConfigErrors, every problem in file order
/// ```
public final class ConfigReader {
    public var sink: ErrorSink

    public init(file: String) { sink = ErrorSink(file: file) }

    public func error(_ at: SourceLocation, _ message: String) { sink.add(at, message) }

    /// The fields of a mapping by name, after checking for unknown, duplicate and missing ones.
    public func fields(_ node: YAMLNode, _ what: String, allowed: [String], required: [String] = []) -> [String: YAMLNode]? {
        guard case .mapping(let pairs, let location) = node else {
            error(node.location, "\(what) must be a mapping, found \(node.kindName)")
            return nil
        }
        var out: [String: YAMLNode] = [:]
        var firstSeen: [String: SourceLocation] = [:]
        for (k, v) in pairs {
            guard case .scalar(let key, _, let kl) = k else {
                error(k.location, "a key in \(what) must be a string, found \(k.kindName)")
                continue
            }
            if let first = firstSeen[key] {
                error(kl, "duplicate field '\(key)' in \(what); first given at \(first)")
                continue
            }
            firstSeen[key] = kl
            if !allowed.contains(key) {
                let hint = DidYouMean.suggestion(for: key, among: allowed).map { "; did you mean '\($0)'?" }
                    ?? " (expected one of: \(allowed.joined(separator: ", ")))"
                error(kl, "unknown field '\(key.prefix(80))' in \(what)\(hint)")
                continue
            }
            out[key] = v
        }
        for r in required where out[r] == nil && firstSeen[r] == nil {
            error(location, "\(what) is missing the required field '\(r)'")
        }
        return out
    }

    /// The `spec` of one of Rampart's own configuration documents (`apiVersion: rampart.io/v1`,
    /// `kind`, `metadata`, `spec`), after checking the rest; nil when there is none (an error
    /// when `specRequired`).
    ///
    /// ```swift
    /// if let document = reader.document(text), let spec = reader.spec(of: document, kind: "ManagerConfiguration") { ... }
    /// ```
    public func spec(of document: YAMLNode, kind: String, specRequired: Bool = true) -> YAMLNode? {
        guard let root = fields(document, "the \(kind) document", allowed: ["apiVersion", "kind", "metadata", "spec"],
                                required: specRequired ? ["kind", "spec"] : ["kind"])
        else { return nil }
        if let node = root["kind"], let given = string(node, "kind"), given != kind {
            error(node.location, "kind must be \(kind), found '\(given.prefix(80))'")
        }
        if let node = root["apiVersion"], let version = string(node, "apiVersion"), version != "rampart.io/v1" {
            error(node.location, "apiVersion must be 'rampart.io/v1', found '\(version.prefix(80))'")
        }
        if let node = root["metadata"], let metadata = fields(node, "metadata", allowed: ["name", "namespace", "labels", "annotations"]) {
            for key in ["name", "namespace"] { if let value = metadata[key] { _ = string(value, "metadata.\(key)") } }
            for key in ["labels", "annotations"] { if let value = metadata[key] { _ = members(value, "metadata.\(key)") } }
        }
        return root["spec"]
    }

    /// The members of a mapping by name when the file may hold keys this reader does not
    /// know and must leave alone (a kubeconfig's extensions and preferences); duplicates are
    /// still refused.
    public func members(_ node: YAMLNode, _ what: String) -> [String: YAMLNode]? {
        guard case .mapping(let pairs, _) = node else {
            error(node.location, "\(what) must be a mapping, found \(node.kindName)")
            return nil
        }
        var out: [String: YAMLNode] = [:]
        var firstSeen: [String: SourceLocation] = [:]
        for (k, v) in pairs {
            guard case .scalar(let key, _, let kl) = k else {
                error(k.location, "a key in \(what) must be a string, found \(k.kindName)")
                continue
            }
            if let first = firstSeen[key] {
                error(kl, "duplicate field '\(key.prefix(80))' in \(what); first given at \(first)")
                continue
            }
            firstSeen[key] = kl
            out[key] = v
        }
        return out
    }

    public func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let s, _, _) = node, !node.isNull else {
            error(node.location, "\(what) must be a string, found \(node.kindName)")
            return nil
        }
        return s
    }

    public func bool(_ node: YAMLNode, _ what: String) -> Bool? {
        if case .scalar(let s, true, _) = node {
            switch s {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error(node.location, "\(what) must be true or false, found \(describe(node))")
        return nil
    }

    public func integer(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) -> Int? {
        if case .scalar(let s, _, _) = node, let v = Int(s), s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            if range.contains(v) { return v }
            error(node.location, "\(what) must be within \(range.lowerBound)...\(range.upperBound), found \(v)")
            return nil
        }
        error(node.location, "\(what) must be a whole number, found \(describe(node))")
        return nil
    }

    /// A list; a lone scalar counts as a one-item list when `scalarAllowed`.
    public func list(_ node: YAMLNode, _ what: String, scalarAllowed: Bool = false, limit: Int = 100_000) -> [YAMLNode]? {
        switch node {
        case .sequence(let items, _):
            if items.count > limit {
                error(node.location, "\(what) has \(items.count) items; the limit is \(limit)")
                return nil
            }
            return items
        case .scalar where scalarAllowed && !node.isNull:
            return [node]
        default:
            error(node.location, "\(what) must be a list, found \(node.kindName)")
            return nil
        }
    }

    /// A list of strings, each with its position.
    public func strings(_ node: YAMLNode, _ what: String, scalarAllowed: Bool = true, limit: Int = 100_000) -> [(String, YAMLNode)]? {
        guard let items = list(node, what, scalarAllowed: scalarAllowed, limit: limit) else { return nil }
        var out: [(String, YAMLNode)] = []
        for item in items {
            guard case .scalar(let s, _, _) = item, !item.isNull else {
                error(item.location, "each item of \(what) must be a string, found \(item.kindName)")
                continue
            }
            out.append((s, item))
        }
        return out
    }

    public func describe(_ node: YAMLNode) -> String {
        if case .scalar(let s, _, _) = node, !node.isNull { return "'\(s.prefix(80))'" }
        return node.kindName
    }

    /// The first document of `text`, or nil (with the error recorded) when the text is not
    /// YAML or holds no document.
    public func document(_ text: String) -> YAMLNode? {
        do {
            guard let first = try YAMLReader.documents(in: text, file: sink.file).first else {
                error(SourceLocation(line: 1, column: 1), "the file is empty; expected a YAML document")
                return nil
            }
            return first
        } catch {
            for e in error.errors { sink.add(SourceLocation(line: e.line, column: e.column), e.message) }
            return nil
        }
    }

    /// Throws every recorded problem, in file order; returns when there is none.
    public func check() throws(ConfigErrors) {
        if !sink.isEmpty { throw ConfigErrors(sink.sorted()) }
    }

    /// A number (whole or decimal) within `range`.
    public func number(_ node: YAMLNode, _ what: String, in range: ClosedRange<Double>) -> Double? {
        if case .scalar(let s, true, _) = node, let v = Double(s), v.isFinite,
           s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }) {
            if range.contains(v) { return v }
            error(node.location, "\(what) must be within \(range.lowerBound)...\(range.upperBound), found \(s)")
            return nil
        }
        error(node.location, "\(what) must be a number, found \(describe(node))")
        return nil
    }
}
