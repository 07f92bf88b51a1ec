import ArgumentParser

/// The criteria `rampart logs` and `rampart audits` both take: GET /audits reads the same
/// criteria as GET /logs (docs/manager.md, docs/image-trust.md), so they are declared once.
struct RecordCriteriaOptions: ParsableArguments {
    @Option(help: "How far back: 90s, 15m, 1h, 2d (or a time, RFC 3339).")
    var since: String?
    @Option(help: "Cluster of either end.")
    var cluster: String?
    @Option(help: "Namespace of either end.")
    var ns: String?
    @Option(help: "Workload of either end: NS/NAME (or NAME with --ns).")
    var workload: String?
    @Option(help: "At most this many records (1-10000).")
    var limit = 100

    /// The query parameters, nil where an option is not given.
    var parameters: [(String, String?)] {
        [("since", since), ("cluster", cluster), ("ns", ns), ("workload", workload), ("limit", String(limit))]
    }
}
