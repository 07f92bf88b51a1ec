import RampartRules

/// What compiling a rule set for the matcher gave: the rules it runs, every rule it refused
/// (a keyword or buffer the engine cannot feed yet: never loaded to silently never match),
/// and the size of what was built.
public struct DetectionLoadReport: Sendable {
    /// Rules the matcher runs.
    public var active = 0
    /// Rules the matcher refused, each with its reason (`RuleProblem.kind` is
    /// `unsupportedKeyword`; `keyword` names what is missing).
    public var refused: [RuleProblem] = []
    /// Distinct patterns and prefilter databases compiled, and their bytes.
    public var patterns = 0
    public var databases = 0
    public var databaseBytes = 0
    /// `pcre` expressions compiled, and how many of them PCRE2 JIT-compiled.
    public var expressions = 0
    public var jitExpressions = 0
    /// Rules that go through the prefilter, and rules evaluated whenever their group runs.
    public var prefiltered = 0
    public var alwaysEvaluated = 0
    /// Rules with nothing but a header (reputation lists): found by address on the first
    /// packet of each direction of a session.
    public var ipOnly = 0
    public var engine: PrefilterEngine = .ahoCorasick

    public init() {}

    /// Refusals per reason, most frequent first.
    public var reasons: [(reason: String, count: Int)] {
        var counts: [String: Int] = [:]
        for p in refused { counts[p.reason, default: 0] += 1 }
        return counts.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }
}
