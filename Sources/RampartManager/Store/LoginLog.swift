import FoundationEssentials
import RampartPOSIX

/// One console login attempt as the audit log keeps it.
public struct LoginRecord: Sendable, Equatable, Codable {
    public var time: Double
    public var user: String
    public var client: String
    /// `login`, `login-failed`, `logout`.
    public var event: String
    public var detail: String
}

/// The audit log's access table: every login, failed login and logout, in the manager's
/// state database beside the tag audit (its own connection; SQLite serialises the writers).
///
/// ```swift
/// let log = try LoginLog(path: "manager.sqlite")
/// try log.record(LoginRecord(time: now, user: "alice", client: "10.0.0.5", event: "login", detail: "admin"))
/// try log.recent(limit: 50)
/// ```
public final class LoginLog: @unchecked Sendable {
    private let database: SQLiteDatabase
    private let insert: Statement
    private let lock = Lock()

    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
        try database.execute("""
            CREATE TABLE IF NOT EXISTS access (
                id INTEGER PRIMARY KEY, time REAL NOT NULL, user TEXT NOT NULL,
                client TEXT NOT NULL, event TEXT NOT NULL, detail TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS access_time ON access (time);
            """)
        insert = try database.prepare("INSERT INTO access (time, user, client, event, detail) VALUES (?, ?, ?, ?, ?)")
    }

    public func record(_ record: LoginRecord) throws(StoreError) {
        lock.lock()
        defer { lock.unlock() }
        insert.reset()
        insert.bind(1, record.time)
        insert.bind(2, record.user)
        insert.bind(3, record.client)
        insert.bind(4, record.event)
        insert.bind(5, record.detail)
        _ = try insert.step()
    }

    /// The newest `limit` records, newest first.
    public func recent(limit: Int) throws(StoreError) -> [LoginRecord] {
        lock.lock()
        defer { lock.unlock() }
        let query = try database.prepare("SELECT time, user, client, event, detail FROM access ORDER BY time DESC, id DESC LIMIT ?")
        query.bind(1, Int64(limit))
        var out: [LoginRecord] = []
        while try query.step() {
            out.append(LoginRecord(time: query.double(0), user: query.text(1), client: query.text(2), event: query.text(3), detail: query.text(4)))
        }
        return out
    }
}
