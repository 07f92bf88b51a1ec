/// A tag attached to an address: `cluster:prod`, `ns:payments`, `label:app=web`,
/// `label:app.kubernetes.io/name=web`, `node:worker-1`.
///
/// A tag is `PREFIX:VALUE`; the prefix is lower-case letters, digits, `-`, `_` or `.`, and the
/// value is printable ASCII without spaces or quotes. At most 512 bytes.
///
/// ```swift
/// let t = Tag(validating: "label:app=web")!
/// t.singleValuedKey  // "label:app" — an address has one value per label key
/// Tag(validating: "no spaces allowed") // nil
/// ```
public struct Tag: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// The prefixes whose value is unique per address (a pod lives in one namespace).
    public static let singleValuedPrefixes: Set<String> = ["cluster", "ns", "pod", "node", "workload", "serviceaccount"]

    public static let maximumLength = 512

    /// What a matcher keeps in the slot of a tag it forgot (no live tag set held it).
    static let released = Tag(validating: "rampart.released")!

    static let shapeProblem = "a tag is PREFIX:VALUE (like ns:payments or label:app=web) or a dotted name (like k8s.cl_prod.ns_shop)"

    /// Returns nil unless `text` is a well-formed tag; `problem(in:)` says why.
    public init?(validating text: String) {
        guard Tag.problem(in: text) == nil else { return nil }
        rawValue = text
    }

    /// Why `text` is not a tag, or nil when it is one.
    public static func problem(in text: String) -> String? {
        let bytes = text.utf8
        if bytes.isEmpty { return "a tag cannot be empty" }
        if bytes.count > maximumLength { return "a tag is at most \(maximumLength) bytes" }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else {
            // A dotted plain name, as other products name tags (`k8s.cl_prod.ns_shop`), so
            // their address-group criteria carry over.
            let plain = bytes.contains(UInt8(ascii: ".")) && !bytes.contains {
                $0 < 0x21 || $0 > 0x7E || $0 == 0x27 || $0 == 0x22 || $0 == 0x28 || $0 == 0x29
            }
            return plain ? nil : Tag.shapeProblem
        }
        let prefix = bytes[..<colon]
        let value = bytes[bytes.index(after: colon)...]
        if prefix.isEmpty { return "the tag's prefix before ':' is empty" }
        if value.isEmpty { return "the tag's value after ':' is empty" }
        for b in prefix {
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F || b == 0x2E
            if !ok { return "the tag's prefix may hold only lower-case letters, digits, '-', '_' and '.'" }
        }
        for b in value where b < 0x21 || b > 0x7E || b == 0x27 || b == 0x22 {
            return "a tag's value is printable ASCII without spaces or quotes"
        }
        return nil
    }

    public var description: String { rawValue }

    public static func < (a: Tag, b: Tag) -> Bool { a.rawValue < b.rawValue }

    /// The part before the first ':'.
    public var prefix: Substring { rawValue[..<(rawValue.firstIndex(of: ":") ?? rawValue.endIndex)] }

    /// For tags of which an address holds at most one value — `cluster:`, `ns:`, `node:`,
    /// `workload:`, `serviceaccount:` and each `label:KEY=` — the key they share
    /// (`ns`, `label:app`); nil for free-form tags.
    public var singleValuedKey: String? {
        let p = String(prefix)
        if Tag.singleValuedPrefixes.contains(p) { return p }
        if p == "label", let eq = rawValue.firstIndex(of: "=") { return String(rawValue[..<eq]) }
        return nil
    }
}
