import RampartPOSIX

/// A Prometheus histogram of seconds with fixed buckets, safe to record from any thread.
///
/// ```swift
/// let h = LatencyHistogram()
/// h.record(0.012)
/// h.exposition(name: "rampart_manager_push_seconds", labels: "firewall=\"fw-1\"")
/// ```
public final class LatencyHistogram: @unchecked Sendable {
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private let lock = Lock()
    private var counts = [Int](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    private var sum = 0.0

    public init() {}

    public func record(_ seconds: Double) {
        lock.withLock {
            let index = LatencyHistogram.bounds.firstIndex { seconds <= $0 } ?? LatencyHistogram.bounds.count
            counts[index] += 1
            sum += seconds
        }
    }

    /// The `_bucket`, `_sum` and `_count` lines (without HELP/TYPE).
    public func exposition(name: String, labels: String) -> String {
        let (snapshot, total) = lock.withLock { (counts, sum) }
        var lines: [String] = []
        var cumulative = 0
        let prefix = labels.isEmpty ? "" : "\(labels),"
        for (i, bound) in LatencyHistogram.bounds.enumerated() {
            cumulative += snapshot[i]
            lines.append("\(name)_bucket{\(prefix)le=\"\(bound)\"} \(cumulative)")
        }
        cumulative += snapshot[LatencyHistogram.bounds.count]
        lines.append("\(name)_bucket{\(prefix)le=\"+Inf\"} \(cumulative)")
        lines.append("\(name)_sum{\(labels)} \(total)")
        lines.append("\(name)_count{\(labels)} \(cumulative)")
        return lines.joined(separator: "\n")
    }
}
