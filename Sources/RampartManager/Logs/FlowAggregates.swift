import FoundationEssentials
import RampartHTTP
import RampartPOSIX

/// The log store summed for the console: connections per (source, destination, application,
/// rule), counted as allowed, denied or threat, in one bucket per minute. The map's edges,
/// the workloads' rules and the policy's hit counts are read from these buckets, never by
/// scanning every record per request:
///
/// - the first request for a window sums that window's records in SQL (the time index);
/// - every later refresh (at most one per `refreshSeconds`) sums only the records written
///   since, by row id — the work is the new records, however long the window;
/// - a request for a longer window than loaded sums only the missing, older minutes.
///
/// An end with a pod identity in its record (`pod:`/`workload:` tags, docs/manager.md "Tags")
/// is its workload's map id, `CLUSTER/NS/NAME` (a pod without a controller by its own name);
/// an end without one is its address. Flow records count as allowed or denied by their
/// action; alert records count as threats; other event types (dns, http, tls, …) describe
/// the same sessions and are not counted again.
///
/// Bounded: at most `keyLimit` keys over all minutes (about 200 bytes each; records of
/// further keys are counted in `overflow`, with a log line) and `horizonMinutes` of buckets.
///
/// ```swift
/// let window = try FlowAggregates(path: "/var/lib/rampart/logs.sqlite")
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
    }

    /// The default bound on keys held (over all minutes): ~40 MB.
    public static let defaultKeyLimit = 200_000
    public let keyLimit: Int
    public private(set) var keys = 0
    public static let horizonMinutes: Int64 = 1440
    public static let refreshSeconds = 0.5
    /// Flow actions that refused the session (RuleAction's names, and profiles' `block`).
    static let refusals: Set<String> = ["deny", "drop", "reset-client", "reset-server", "reset-both", "block", "blocked", "reject"]

    private let database: SQLiteDatabase
    private let lock = Lock()
    private let log: @Sendable (String) -> Void
    private var buckets: [Int64: [Key: Counts]] = [:]
    /// The oldest minute loaded; nil before the first request.
    private var covered: Int64?
    /// The newest row id summed.
    private var lastID: Int64 = 0
    private var lastRefresh = -Double.infinity
    private var names: [Int64: String] = [:]
    public private(set) var overflow = 0
    /// Records summed, and SQL sums run (for /metrics and the benchmark).
    public private(set) var recordsSummed = 0
    public private(set) var queries = 0

    /// Opens its own connection to the log store's file (WAL: it reads while the store writes).
    public init(path: String, keyLimit: Int = FlowAggregates.defaultKeyLimit, log: @escaping @Sendable (String) -> Void = { _ in }) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
        self.keyLimit = keyLimit
        self.log = log
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
        let newest = try maximumID()
        if let covered {
            if first < covered {
                // Older minutes than loaded: only those, up to the rows already summed.
                try sum(sql: "time >= ? AND time < ? AND +id <= ?", [first * 60_000, covered * 60_000, lastID])
                self.covered = first
            }
            if newest > lastID, now - lastRefresh >= FlowAggregates.refreshSeconds {
                // New rows by id (the primary key): `+time` keeps the planner off the time index.
                try sum(sql: "id > ? AND id <= ? AND +time >= ?", [lastID, newest, self.covered! * 60_000])
                lastID = newest
                lastRefresh = now
            }
        } else {
            try sum(sql: "time >= ? AND +id <= ?", [first * 60_000, newest])
            covered = first
            lastID = newest
            lastRefresh = now
        }
        let horizon = Int64(now) / 60 - FlowAggregates.horizonMinutes
        if let oldest = covered, oldest < horizon {
            for minute in buckets.keys where minute < horizon { keys -= buckets.removeValue(forKey: minute)?.count ?? 0 }
            covered = horizon
        }
    }

    private func maximumID() throws(StoreError) -> Int64 {
        let statement = try database.prepare("SELECT coalesce(max(id), 0) FROM logs")
        _ = try statement.step()
        return statement.int(0)
    }

    /// Sums the records matching `condition` into the buckets, grouped in SQL.
    private func sum(sql condition: String, _ values: [Int64]) throws(StoreError) {
        // Ends with a workload are grouped by it; with a pod only, by the pod; with neither,
        // by address.
        let sql = """
            SELECT time / 60000, (SELECT text FROM terms WHERE id = event), app, action, rule,
              src_cluster, src_workload, CASE WHEN src_workload IS NULL THEN src_pod END,
              CASE WHEN src_workload IS NULL AND src_pod IS NULL THEN src_ip END,
              dest_cluster, dest_workload, CASE WHEN dest_workload IS NULL THEN dest_pod END,
              CASE WHEN dest_workload IS NULL AND dest_pod IS NULL THEN dest_ip END, count(*)
            FROM logs WHERE \(condition) AND event IN (SELECT id FROM terms WHERE text IN ('flow', 'alert'))
            GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13
            """
        let statement = try database.prepare(sql)
        for (index, value) in values.enumerated() { statement.bind(Int32(index + 1), value) }
        queries += 1
        var full = false
        while try statement.step() {
            let minute = statement.int(0)
            let count = Int(statement.int(13))
            recordsSummed += count
            func name(_ column: Int32) throws(StoreError) -> String? {
                statement.isNull(column) ? nil : try text(statement.int(column))
            }
            func end(_ first: Int32) throws(StoreError) -> (String, Bool) {
                let cluster = try name(first) ?? "-"
                if let workload = try name(first + 1) { return ("\(cluster)/\(workload)", true) }
                if let pod = try name(first + 2) { return ("\(cluster)/\(pod)", true) }
                return (try name(first + 3) ?? "?", false)
            }
            let (source, sourceIsWorkload) = try end(5)
            let (destination, destinationIsWorkload) = try end(9)
            let key = Key(source: source, destination: destination, sourceIsWorkload: sourceIsWorkload,
                          destinationIsWorkload: destinationIsWorkload, application: try name(2) ?? "", rule: try name(4) ?? "")
            var counts = Counts()
            if statement.text(1) == "alert" {
                counts.threats = count
            } else if FlowAggregates.refusals.contains(try name(3) ?? "") {
                counts.denied = count
            } else {
                counts.allowed = count
            }
            if buckets[minute]?[key] == nil {
                if keys >= keyLimit {
                    overflow += count
                    full = true
                    continue
                }
                keys += 1
            }
            buckets[minute, default: [:]][key, default: Counts()].add(counts)
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
        page.single("rampart_manager_flow_sums_queries_total", .counter, "SQL sums run on the log store for the console.", queries)
        return page.text
    }

    private func text(_ id: Int64) throws(StoreError) -> String? {
        if let text = names[id] { return text }
        let statement = try database.prepare("SELECT text FROM terms WHERE id = ?")
        statement.bind(1, id)
        guard try statement.step() else { return nil }
        // Bounded like the store's own cache.
        if names.count >= 1 << 20 { names.removeAll(keepingCapacity: true) }
        names[id] = statement.text(0)
        return statement.text(0)
    }
}
