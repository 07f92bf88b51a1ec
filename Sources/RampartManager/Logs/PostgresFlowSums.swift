/// The console's flow sums of the PostgreSQL store: the `log_flow_sums` table its writers keep
/// with the records (`PostgresLogStore+FlowSums.swift`), read through a connection of its own.
/// A position is a row's change number (`changed`, from one sequence, committed in order under
/// the writers' advisory lock); rows are a minute and key's totals, so a changed row read again
/// replaces what was read before.
///
/// The connection is made when first needed and again after a failure, so a server that is
/// down when the manager starts only empties the map until it answers.
///
/// ```swift
/// let sums = FlowAggregates(source: PostgresFlowSums(parameters: ["dbname": "postgres://rampart@db/logs"], passwordFile: "/etc/rampart/pg-password"))
/// ```
public final class PostgresFlowSums: FlowSumBackend {
    private let parameters: [String: String]
    private let passwordFile: String?
    private var database: PostgresDatabase?
    public var totals: Bool { true }

    public init(parameters: [String: String], passwordFile: String?) {
        var parameters = parameters
        parameters["client_encoding"] = "UTF8"
        self.parameters = parameters
        self.passwordFile = passwordFile
    }

    private func connected() throws(StoreError) -> PostgresDatabase {
        if let database { return database }
        let database = try PostgresDatabase(parameters: parameters, passwordFile: passwordFile)
        self.database = database
        return database
    }

    public func newestPosition() throws(StoreError) -> Int64 {
        PostgresLogStore.scalar(try connected().query("SELECT coalesce(max(changed), 0) FROM log_flow_sums")).flatMap { Int64($0) } ?? 0
    }

    /// Totals: rows changed after `position` are read too (the next refresh reads them again, the same).
    public func flowSums(from first: Int64, before end: Int64?, through position: Int64) throws(StoreError) -> [FlowSumRow] {
        if let end { return try rows("minute >= $1 AND minute < $2", [String(first), String(end)]) }
        return try rows("minute >= $1", [String(first)])
    }

    public func flowSumChanges(after: Int64, through: Int64, from first: Int64) throws(StoreError) -> [FlowSumRow] {
        try rows("changed > $1 AND changed <= $2 AND minute >= $3", [String(after), String(through), String(first)])
    }

    public func recover() -> Bool {
        guard let database else { return (try? connected()) != nil }
        return database.reconnectIfBroken()
    }

    private func rows(_ condition: String, _ parameters: [String?]) throws(StoreError) -> [FlowSumRow] {
        let found = try connected().query(
            "SELECT minute, src, dest, src_workload, dest_workload, app, rule, allowed, denied, threats FROM log_flow_sums WHERE \(condition)",
            parameters)
        return found.compactMap { row in
            guard let minute = row[0].flatMap({ Int64($0) }) else { return nil }
            let key = FlowAggregates.Key(source: row[1] ?? "", destination: row[2] ?? "", sourceIsWorkload: row[3] == "t",
                                         destinationIsWorkload: row[4] == "t", application: row[5] ?? "", rule: row[6] ?? "")
            let counts = FlowAggregates.Counts(allowed: row[7].flatMap { Int($0) } ?? 0, denied: row[8].flatMap { Int($0) } ?? 0,
                                               threats: row[9].flatMap { Int($0) } ?? 0)
            return FlowSumRow(minute: minute, key: key, counts: counts)
        }
    }
}
