import RampartPOSIX

/// One admission decision the webhook made for real (dry runs are not recorded).
public struct AdmissionRecord: Sendable, Equatable, Codable {
    public var time: Double
    public var cluster: String
    public var namespace: String
    /// `Pod`, `Deployment`, … (with `/ephemeralcontainers` for `kubectl debug`).
    public var kind: String
    public var name: String
    public var operation: String
    public var user: String
    /// The request's uid, as the API server's own audit log has it.
    public var uid: String
    /// `allow`, `alert` or `deny`.
    public var decision: String
    /// The deciding rules, comma-separated; `default` for the default effect.
    public var rules: String
    public var message: String
}

/// The admission decisions, in the manager's state file (a table of its own, on a
/// connection of its own: the webhook's threads never wait behind the tag store's).
///
/// ```swift
/// let log = try AdmissionLog(path: "manager.sqlite")
/// try log.record(record)
/// try log.records(from: 0, to: .infinity, decision: "deny")
/// ```
public final class AdmissionLog: @unchecked Sendable {
    private let lock = Lock()
    private let database: SQLiteDatabase
    private let insert: Statement
    private let select: Statement
    private let prune: Statement

    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
        try database.execute("""
            CREATE TABLE IF NOT EXISTS admission (
                id INTEGER PRIMARY KEY, time REAL NOT NULL, cluster TEXT NOT NULL, namespace TEXT NOT NULL,
                kind TEXT NOT NULL, name TEXT NOT NULL, operation TEXT NOT NULL, user TEXT NOT NULL, uid TEXT NOT NULL,
                decision TEXT NOT NULL, rules TEXT NOT NULL, message TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS admission_time ON admission (time);
            """)
        insert = try database.prepare("INSERT INTO admission (time, cluster, namespace, kind, name, operation, user, uid, decision, rules, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        select = try database.prepare("SELECT time, cluster, namespace, kind, name, operation, user, uid, decision, rules, message FROM admission WHERE time >= ? AND time <= ? AND (? = '' OR decision = ?) ORDER BY time, id LIMIT ?")
        prune = try database.prepare("DELETE FROM admission WHERE time < ?")
    }

    public func record(_ record: AdmissionRecord) throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            insert.reset()
            insert.bind(1, record.time)
            for (index, text) in [record.cluster, record.namespace, record.kind, record.name, record.operation, record.user, record.uid,
                                  record.decision, record.rules, record.message].enumerated() {
                insert.bind(Int32(index + 2), text)
            }
            _ = try insert.step()
        }
    }

    /// Oldest first, at most `limit`; `decision` empty: every decision.
    public func records(from: Double, to: Double, decision: String = "", limit: Int = 10_000) throws(StoreError) -> [AdmissionRecord] {
        try lock.withLock { () throws(StoreError) in
            select.reset()
            select.bind(1, from)
            select.bind(2, to)
            select.bind(3, decision)
            select.bind(4, decision)
            select.bind(5, Int64(limit))
            var result: [AdmissionRecord] = []
            while try select.step() {
                result.append(AdmissionRecord(
                    time: select.double(0), cluster: select.text(1), namespace: select.text(2), kind: select.text(3), name: select.text(4),
                    operation: select.text(5), user: select.text(6), uid: select.text(7), decision: select.text(8), rules: select.text(9),
                    message: select.text(10)))
            }
            return result
        }
    }

    public func prune(before time: Double) throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            prune.reset()
            prune.bind(1, time)
            _ = try prune.step()
        }
    }
}
