import FoundationEssentials
import RampartHTTP
import RampartPOSIX

/// The log store summed for the console: connections per (source, destination, application,
/// rule), counted as allowed, denied or threat, in one bucket per minute. The map's edges,
/// the workloads' rules and the policy's hit counts are read from these buckets, never by
/// scanning every record per request. The store answers through `FlowSumBackend` (SQLite sums
/// its records in SQL; PostgreSQL keeps a sums table written with the records):
///
/// - the first request for a window reads that window's sums;
/// - every later refresh (at most one per `refreshSeconds`) reads only what was written
///   since (the store's position) — the work is the new records, however long the window;
/// - a request for a longer window than loaded reads only the missing, older minutes.
///
/// An end with a pod identity in its record (`pod:`/`workload:` tags, docs/manager.md "Tags")
/// is its workload's map id, `CLUSTER/NS/NAME` (a pod without a controller by its own name);
/// an end without one is its address. Flow records count as allowed or denied by their
/// action; alert records count as threats; other event types (dns, http, tls, …) describe
/// the same sessions and are not counted again.
///
/// Bounded, whichever the store: at most `keyLimit` keys over all minutes (about 200 bytes
/// each; records of further keys are counted in `overflow`, with a log line) and
/// `horizonMinutes` of buckets.
///
/// ```swift
/// let window = FlowAggregates(source: try LogService.openFlowSums(settings))
/// let edges = try window.summaries(since: now - 900, now: now)   // the last 15 minutes
/// ```
public final class FlowAggregates: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        /// `CLUSTER/NS/NAME` of a workload, or an address.
        public var source: String
        public var destination: String
        public var sourceIsWorkload: Bool
        public var destinationIsWorkload: Bool
        public var application: String
        public var rule: String
    }
    public struct Counts: Sendable, Equatable {
        public var allowed = 0
        public var denied = 0
        public var threats = 0
        mutating func add(_ other: Counts) {
            allowed += other.allowed
            denied += other.denied
            threats += other.threats
        }
        var total: Int { allowed + denied + threats }

        /// `count` records of `eventType` with `action`: alerts are threats, refused flows
        /// denied, other flows allowed; nil for event types that are not counted.
        init?(eventType: String, action: String?, count: Int) {
            switch eventType {
            case "alert": threats = count
            case "flow": if FlowAggregates.refusals.contains(action ?? "") { denied = count } else { allowed = count }
            default: return nil
            }
        }

        public init(allowed: Int = 0, denied: Int = 0, threats: Int = 0) {
            self.allowed = allowed
            self.denied = denied
            self.threats = threats
        }
    }

    /// The default bound on keys held (over all minutes): ~40 MB.
    public static let defaultKeyLimit = 200_000
    public let keyLimit: Int
    public private(set) var keys = 0
    public static let horizonMinutes: Int64 = 1440
    public static let refreshSeconds = 0.5
    /// Flow actions that refused the session (RuleAction's names, and profiles' `block`).
    static let refusals: Set<String> = ["deny", "drop", "reset-client", "reset-server", "reset-both", "block", "blocked", "reject"]

    private let source: any FlowSumBackend
    private let lock = Lock()
    private let log: @Sendable (String) -> Void
    private var buckets: [Int64: [Key: Counts]] = [:]
    /// The oldest minute loaded; nil before the first request.
    private var covered: Int64?
    /// The store's newest position read.
    private var lastPosition: Int64 = 0
    private var lastRefresh = -Double.infinity
    public private(set) var overflow = 0
    /// Records summed, and reads of the store run (for /metrics and the benchmark).
    public private(set) var recordsSummed = 0
    public private(set) var queries = 0

    /// Reads `source` (a connection of its own, beside the store's writer).
    public init(source: any FlowSumBackend, keyLimit: Int = FlowAggregates.defaultKeyLimit, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.source = source
        self.keyLimit = keyLimit
        self.log = log
    }

    /// Sums of the SQLite log store at `path`.
    public convenience init(path: String, keyLimit: Int = FlowAggregates.defaultKeyLimit, log: @escaping @Sendable (String) -> Void = { _ in }) throws(StoreError) {
        self.init(source: try SQLiteFlowSums(path: path), keyLimit: keyLimit, log: log)
    }

    /// Connections since `since` (seconds; whole minutes, so up to a minute more), one per key.
    public func summaries(since: Double, now: Double) throws(StoreError) -> [FlowSummary] {
        try window(since: since, now: now).map { key, counts in
            FlowSummary(source: key.source, destination: key.destination, application: key.application, allowed: counts.allowed,
                        denied: counts.denied, threats: counts.threats, rule: key.rule,
                        sourceIsWorkload: key.sourceIsWorkload, destinationIsWorkload: key.destinationIsWorkload)
        }
    }

    /// The keys' counts since `since`, summed over their minutes.
    public func window(since: Double, now: Double) throws(StoreError) -> [Key: Counts] {
        try lock.withLock { () throws(StoreError) -> [Key: Counts] in
            let first = max(Int64(since) / 60, Int64(now) / 60 - FlowAggregates.horizonMinutes)
            try load(from: first, now: now)
            var total: [Key: Counts] = [:]
            for (minute, keys) in buckets where minute >= first {
                for (key, counts) in keys { total[key, default: Counts()].add(counts) }
            }
            return total
        }
    }

    private func load(from first: Int64, now: Double) throws(StoreError) {
        let newest: Int64
        do throws(StoreError) { newest = try source.newestPosition() } catch {
            // A PostgreSQL server restarted since the last read: connect again, ask once more.
            guard source.recover() else { throw error }
            newest = try source.newestPosition()
        }
        if let covered {
            if first < covered {
                // Older minutes than loaded: only those, up to the position already read.
                apply(try source.flowSums(from: first, before: covered, through: lastPosition))
                self.covered = first
            }
            if newest > lastPosition, now - lastRefresh >= FlowAggregates.refreshSeconds {
                apply(try source.flowSumChanges(after: lastPosition, through: newest, from: self.covered!))
                lastPosition = newest
                lastRefresh = now
            }
        } else {
            apply(try source.flowSums(from: first, before: nil, through: newest))
            covered = first
            lastPosition = newest
            lastRefresh = now
        }
        let horizon = Int64(now) / 60 - FlowAggregates.horizonMinutes
        if let oldest = covered, oldest < horizon {
            for minute in buckets.keys where minute < horizon { keys -= buckets.removeValue(forKey: minute)?.count ?? 0 }
            covered = horizon
        }
    }

    /// Adds (increments) or sets (totals) `rows` in the buckets; a key that is not held while
    /// `keyLimit` are is counted in `overflow`.
    private func apply(_ rows: [FlowSumRow]) {
        queries += 1
        let totals = source.totals
        var full = false
        for row in rows {
            let previous = buckets[row.minute]?[row.key]
            if previous == nil {
                if keys >= keyLimit {
                    overflow += row.counts.total
                    full = true
                    continue
                }
                keys += 1
            }
            if totals {
                recordsSummed += row.counts.total - (previous?.total ?? 0)
                buckets[row.minute, default: [:]][row.key] = row.counts
            } else {
                recordsSummed += row.counts.total
                buckets[row.minute, default: [:]][row.key, default: Counts()].add(row.counts)
            }
        }
        if full {
            log(ManagerLog.line("warning", event: "flow-aggregates-full", message:
                "\(keyLimit) connection keys held (the limit); \(overflow) records not shown on the map so far"))
        }
    }

    public func metrics() -> String {
        let (keys, overflow, summed, queries) = lock.withLock { (self.keys, self.overflow, recordsSummed, self.queries) }
        var page = PrometheusText()
        page.single("rampart_manager_flow_sums_keys", .gauge, "Connection keys (ends, application, rule per minute) the console's flow sums hold.", keys)
        page.single("rampart_manager_flow_sums_keys_limit", .gauge, "The most keys the flow sums hold.", keyLimit)
        page.single("rampart_manager_flow_sums_overflow_total", .counter, "Records not summed because the flow sums were full.", overflow)
        page.single("rampart_manager_flow_sums_records_total", .counter, "Log store records summed for the console.", summed)
        page.single("rampart_manager_flow_sums_queries_total", .counter, "Reads of the log store's sums for the console.", queries)
        return page.text
    }
}

extension FlowAggregates.Key {
    /// An end's map id: `CLUSTER/NS/WORKLOAD` with a workload, else `CLUSTER/NS/POD` with a pod
    /// (`-` for an unknown cluster), else its address (`?` without one).
    static func end(cluster: String?, workload: String?, pod: String?, ip: String?) -> (id: String, isWorkload: Bool) {
        if let workload { return ("\(cluster ?? "-")/\(workload)", true) }
        if let pod { return ("\(cluster ?? "-")/\(pod)", true) }
        return (ip ?? "?", false)
    }

    /// The key `record` is counted under (the same as the SQLite store's SQL groups by).
    init(record: LogRecord) {
        let source = Self.end(cluster: record.source.cluster, workload: record.source.workload, pod: record.source.pod, ip: record.source.ip)
        let destination = Self.end(cluster: record.destination.cluster, workload: record.destination.workload,
                                   pod: record.destination.pod, ip: record.destination.ip)
        self.init(source: source.id, destination: destination.id, sourceIsWorkload: source.isWorkload,
                  destinationIsWorkload: destination.isWorkload, application: record.app ?? "", rule: record.rule ?? "")
    }
}
