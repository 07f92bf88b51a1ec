import FoundationEssentials
import RampartPOSIX

/// A Kubernetes label selector in its string form, evaluated locally (the API server
/// evaluates the pods' `podSelector`; image trust rules select namespaces by their labels):
/// requirements joined by commas, each `key=value` (or `==`), `key!=value`, `key`, `!key`,
/// `key in (a,b)`, `key notin (a,b)`. `!=` and `notin` also match objects without the key,
/// as in Kubernetes.
///
/// ```swift
/// let selector = try LabelSelector.parse("team in (pay,shop),env!=dev")
/// selector.matches(["team": "pay"])  // true
/// ```
public struct LabelSelector: Sendable, Equatable, CustomStringConvertible {
    enum Requirement: Sendable, Equatable {
        case equals(String, String)
        case notEquals(String, String)
        case exists(String)
        case absent(String)
        case isIn(String, [String])
        case notIn(String, [String])
    }

    let requirements: [Requirement]
    public let text: String

    public var description: String { text }

    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The empty selector matches everything.
    public static func parse(_ text: String) throws(SyntaxError) -> LabelSelector {
        var requirements: [Requirement] = []
        for part in LabelSelector.split(text) {
            let item = part.trimming(.whitespaces)
            if item.isEmpty { throw SyntaxError(description: "empty requirement in label selector '\(text)'") }
            requirements.append(try requirement(item, in: text))
        }
        return LabelSelector(requirements: requirements, text: text)
    }

    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): return labels[key] == value
            case .notEquals(let key, let value): return labels[key] != value
            case .exists(let key): return labels[key] != nil
            case .absent(let key): return labels[key] == nil
            case .isIn(let key, let values): return labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): return labels[key].map { !values.contains($0) } ?? true
            }
        }
    }

    /// Splits at commas outside parentheses.
    private static func split(_ text: String) -> [Substring] {
        guard !text.trimming(.whitespaces).isEmpty else { return [] }
        var parts: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                parts.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        parts.append(text[start...])
        return parts
    }

    private static func requirement(_ item: String, in text: String) throws(SyntaxError) -> Requirement {
        func key(_ raw: some StringProtocol) throws(SyntaxError) -> String {
            let key = raw.trimming(.whitespaces)
            guard isKey(key) else { throw SyntaxError(description: "'\(key)' is not a label key in label selector '\(text)'") }
            return key
        }
        func value(_ raw: some StringProtocol) throws(SyntaxError) -> String {
            let value = raw.trimming(.whitespaces)
            guard isValue(value) else { throw SyntaxError(description: "'\(value)' is not a label value in label selector '\(text)'") }
            return value
        }
        if item.hasPrefix("!") { return .absent(try key(item.dropFirst())) }
        if let range = item.firstRange(of: "!=") { return .notEquals(try key(item[..<range.lowerBound]), try value(item[range.upperBound...])) }
        if let range = item.firstRange(of: "==") { return .equals(try key(item[..<range.lowerBound]), try value(item[range.upperBound...])) }
        if let range = item.firstRange(of: "=") { return .equals(try key(item[..<range.lowerBound]), try value(item[range.upperBound...])) }
        if let open = item.firstIndex(of: "(") {
            guard item.hasSuffix(")") else { throw SyntaxError(description: "'\(item)' lacks its closing ')' in label selector '\(text)'") }
            let head = item[..<open].split(separator: " ", omittingEmptySubsequences: true)
            guard head.count == 2, head[1] == "in" || head[1] == "notin" else {
                throw SyntaxError(description: "'\(item)' must be 'KEY in (A,B)' or 'KEY notin (A,B)' in label selector '\(text)'")
            }
            let inside = item[item.index(after: open)..<item.index(before: item.endIndex)]
            var values: [String] = []
            for part in inside.split(separator: ",", omittingEmptySubsequences: false) { values.append(try value(part)) }
            guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else {
                throw SyntaxError(description: "'\(item)' needs at least one value in its parentheses in label selector '\(text)'")
            }
            return head[1] == "in" ? .isIn(try key(head[0]), values) : .notIn(try key(head[0]), values)
        }
        guard !item.contains(" ") else {
            throw SyntaxError(description: "'\(item)' must be KEY, !KEY, KEY=VALUE, KEY!=VALUE, KEY in (A,B) or KEY notin (A,B) in label selector '\(text)'")
        }
        return .exists(try key(item))
    }

    /// `[prefix/]name`: a DNS subdomain prefix and a name of 1-63 of alphanumerics, '-', '_', '.'.
    static func isKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, isValue(name), !name.isEmpty else { return false }
        if parts.count == 2 {
            let prefix = parts[0]
            guard !prefix.isEmpty, prefix.count <= 253,
                  prefix.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") })
            else { return false }
        }
        return true
    }

    /// Empty, or up to 63 alphanumerics, '-', '_', '.', beginning and ending alphanumeric.
    static func isValue(_ value: some StringProtocol) -> Bool {
        guard !value.isEmpty else { return true }
        guard value.count <= 63, let first = value.first, let last = value.last,
              first.isASCII && (first.isLetter || first.isNumber), last.isASCII && (last.isLetter || last.isNumber)
        else { return false }
        return value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
