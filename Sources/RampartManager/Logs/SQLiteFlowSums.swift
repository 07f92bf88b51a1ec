/// The console's flow sums of the SQLite log store: its records summed in SQL, grouped per
/// minute and key, through a connection of its own (WAL: it reads while the store writes).
/// A position is a record's row id: the store's single writer numbers them in commit order,
/// so the records after one are exactly the ones not yet summed.
///
/// ```swift
/// let sums = FlowAggregates(source: try SQLiteFlowSums(path: "/var/lib/rampart/logs.sqlite"))
/// ```
public final class SQLiteFlowSums: FlowSumBackend {
    private let database: SQLiteDatabase
    private var names: [Int64: String] = [:]
    public var totals: Bool { false }

    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
    }

    public func newestPosition() throws(StoreError) -> Int64 {
        let statement = try database.prepare("SELECT coalesce(max(id), 0) FROM logs")
        _ = try statement.step()
        return statement.int(0)
    }

    public func flowSums(from first: Int64, before end: Int64?, through position: Int64) throws(StoreError) -> [FlowSumRow] {
        if let end { return try sum(sql: "time >= ? AND time < ? AND +id <= ?", [first * 60_000, end * 60_000, position]) }
        return try sum(sql: "time >= ? AND +id <= ?", [first * 60_000, position])
    }

    public func flowSumChanges(after: Int64, through: Int64, from first: Int64) throws(StoreError) -> [FlowSumRow] {
        // New rows by id (the primary key): `+time` keeps the planner off the time index.
        try sum(sql: "id > ? AND id <= ? AND +time >= ?", [after, through, first * 60_000])
    }

    public func recover() -> Bool { true }

    /// The records matching `condition`, grouped in SQL.
    private func sum(sql condition: String, _ values: [Int64]) throws(StoreError) -> [FlowSumRow] {
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
        var rows: [FlowSumRow] = []
        while try statement.step() {
            func name(_ column: Int32) throws(StoreError) -> String? {
                statement.isNull(column) ? nil : try text(statement.int(column))
            }
            func end(_ first: Int32) throws(StoreError) -> (id: String, isWorkload: Bool) {
                FlowAggregates.Key.end(cluster: try name(first), workload: try name(first + 1), pod: try name(first + 2), ip: try name(first + 3))
            }
            guard let counts = FlowAggregates.Counts(eventType: statement.text(1), action: try name(3), count: Int(statement.int(13))) else { continue }
            let source = try end(5), destination = try end(9)
            let key = FlowAggregates.Key(source: source.id, destination: destination.id, sourceIsWorkload: source.isWorkload,
                                         destinationIsWorkload: destination.isWorkload, application: try name(2) ?? "", rule: try name(4) ?? "")
            rows.append(FlowSumRow(minute: statement.int(0), key: key, counts: counts))
        }
        return rows
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
