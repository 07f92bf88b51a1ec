/// Schema-driven reading of `YAMLNode`s that records every problem in an `ErrorSink` and
/// returns nil for what it could not read, so that reading continues past errors.
final class FieldReader {
    var sink: ErrorSink

    init(file: String) { sink = ErrorSink(file: file) }

    func error(_ at: SourceLocation, _ message: String) { sink.add(at, message) }

    /// The fields of a mapping by name, after checking for unknown, duplicate and missing ones.
    func fields(_ node: YAMLNode, _ what: String, allowed: [String], required: [String] = []) -> [String: YAMLNode]? {
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

    func string(_ node: YAMLNode, _ what: String) -> String? {
        guard case .scalar(let s, _, _) = node, !node.isNull else {
            error(node.location, "\(what) must be a string, found \(node.kindName)")
            return nil
        }
        return s
    }

    /// A name for an object: letters, digits, '.', '_' and '-', starting with a letter or digit.
    func name(_ node: YAMLNode, _ what: String) -> String? {
        guard let s = string(node, what) else { return nil }
        if let problem = FieldReader.nameProblem(s) {
            error(node.location, "\(what) '\(s.prefix(80))' is not a valid name: \(problem)")
            return nil
        }
        return s
    }

    static func nameProblem(_ s: String) -> String? {
        if s.isEmpty { return "it is empty" }
        if s.utf8.count > 128 { return "names are at most 128 bytes" }
        if s == "any" || s == "application-default" { return "'\(s)' is a keyword" }
        guard let f = s.utf8.first, FieldReader.isAlnum(f) else { return "names start with a letter or digit" }
        for b in s.utf8 where !(FieldReader.isAlnum(b) || b == 0x2D || b == 0x5F || b == 0x2E) {
            return "names hold only letters, digits, '.', '_' and '-'"
        }
        return nil
    }

    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    func bool(_ node: YAMLNode, _ what: String) -> Bool? {
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

    func integer(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) -> Int? {
        if case .scalar(let s, _, _) = node, let v = Int(s), s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            if range.contains(v) { return v }
            error(node.location, "\(what) must be within \(range.lowerBound)...\(range.upperBound), found \(v)")
            return nil
        }
        error(node.location, "\(what) must be a whole number, found \(describe(node))")
        return nil
    }

    /// A list; a lone scalar counts as a one-item list when `scalarAllowed`.
    func list(_ node: YAMLNode, _ what: String, scalarAllowed: Bool = false, limit: Int = 100_000) -> [YAMLNode]? {
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
    func strings(_ node: YAMLNode, _ what: String, scalarAllowed: Bool = true, limit: Int = 100_000) -> [(String, YAMLNode)]? {
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

    func describe(_ node: YAMLNode) -> String {
        if case .scalar(let s, _, _) = node, !node.isNull { return "'\(s.prefix(80))'" }
        return node.kindName
    }

    /// Parses a tag expression, placing errors at their column within the file.
    func tagExpression(_ node: YAMLNode, _ what: String) -> TagExpression? {
        guard let text = string(node, what) else { return nil }
        let quoted: Int
        if case .scalar(_, let plain, _) = node { quoted = plain ? 0 : 1 } else { quoted = 0 }
        do {
            let e = try TagExpression.parse(text)
            if !e.isSatisfiable {
                error(node.location, "tag expression '\(text.prefix(200))' can never match: an address has one value for each of cluster, ns, pod, node, workload, serviceaccount and label:KEY, and no combination satisfies it")
                return nil
            }
            return e
        } catch {
            let column = String(decoding: Array(text.utf8).prefix(error.offset), as: UTF8.self).unicodeScalars.count
            self.error(node.location.advanced(by: column + quoted), "bad tag expression in \(what): \(error.message)")
            return nil
        }
    }
}
