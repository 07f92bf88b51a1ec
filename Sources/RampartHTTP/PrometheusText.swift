/// The one writer of Prometheus text exposition (format 0.0.4) for every daemon's `/metrics`.
///
/// A family is its `# HELP` and `# TYPE` lines, then its samples; label values are escaped
/// (backslash, quote, newline), so a cluster or rule name can never break the page.
///
/// ```swift
/// var page = PrometheusText()
/// page.family("rampart_drops_total", .counter, "Datagrams dropped, by reason.",
///             [(["reason": "wrong_vni"], 2)])
/// page.text   // "# HELP rampart_drops_total ...\n# TYPE ...\nrampart_drops_total{reason=\"wrong_vni\"} 2\n"
/// ```
public struct PrometheusText: Sendable {
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public private(set) var text = ""

    public init() {}

    /// A family whose samples carry labels as ordered pairs.
    public mutating func family(_ name: String, _ kind: Kind, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
        header(name, kind, help)
        for sample in samples { text += "\(name)\(PrometheusText.labels(sample.labels)) \(sample.value)\n" }
    }

    /// A family of integer samples.
    public mutating func family<Value: BinaryInteger>(_ name: String, _ kind: Kind, _ help: String, _ samples: [(labels: [(String, String)], value: Value)]) {
        family(name, kind, help, samples.map { ($0.labels, String($0.value)) })
    }

    /// A family of one unlabelled sample.
    public mutating func single<Value: BinaryInteger>(_ name: String, _ kind: Kind, _ help: String, _ value: Value) {
        family(name, kind, help, [(labels: [], value: String(value))])
    }

    /// `# HELP` and `# TYPE` alone: for samples written by `raw` (histogram buckets).
    public mutating func header(_ name: String, _ kind: Kind, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// Lines already in the exposition format (a histogram's buckets), appended as given.
    public mutating func raw(_ lines: String) {
        text += lines
        if !lines.isEmpty && !lines.hasSuffix("\n") { text += "\n" }
    }

    /// `{a="x",b="y"}`, or nothing without labels.
    public static func labels(_ pairs: [(String, String)]) -> String {
        pairs.isEmpty ? "" : "{" + pairs.map { "\($0.0)=\"\(escape($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// A label value with backslash, quote and newline escaped.
    public static func escape(_ value: String) -> String {
        var out = ""
        for c in value.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
