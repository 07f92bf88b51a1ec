import FoundationEssentials
import RampartKube

/// One audit record: at `time`, `address` got `tags` (empty: lost all) for `reason`.
public struct AuditRecord: Sendable, Equatable, Codable {
    public var time: Double
    public var cluster: String
    public var address: String
    public var tags: [String]
    public var reason: String

    public init(time: Double, cluster: String, address: String, tags: [String], reason: String) {
        self.time = time
        self.cluster = cluster
        self.address = address
        self.tags = tags
        self.reason = reason
    }
}

/// The manager's memory across restarts: every tag change ever made (the audit log), the
/// current address→tag map, and each firewall's last accepted sequence number.
///
/// ```swift
/// let store = try TagStore(path: "manager.sqlite")
/// try store.record([AuditRecord(time: now, cluster: "prod", address: "10.244.1.7", tags: ["ns:shop"], reason: "pod shop/web added")])
/// try store.tags(of: "10.244.1.7", at: someTime)  // what it was then
/// ```
public final class TagStore {
    private let database: SQLiteDatabase
    private let insertAudit: Statement
    private let upsertCurrent: Statement
    private let deleteCurrent: Statement

    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
        try database.execute("""
            CREATE TABLE IF NOT EXISTS audit (
                id INTEGER PRIMARY KEY, time REAL NOT NULL, cluster TEXT NOT NULL,
                address TEXT NOT NULL, tags TEXT NOT NULL, reason TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS audit_address_time ON audit (address, time);
            CREATE TABLE IF NOT EXISTS current (
                address TEXT PRIMARY KEY, cluster TEXT NOT NULL, tags TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS firewall (name TEXT PRIMARY KEY, sequence INTEGER NOT NULL);
            """)
        insertAudit = try database.prepare("INSERT INTO audit (time, cluster, address, tags, reason) VALUES (?, ?, ?, ?, ?)")
        upsertCurrent = try database.prepare("INSERT INTO current (address, cluster, tags) VALUES (?, ?, ?) ON CONFLICT(address) DO UPDATE SET cluster = excluded.cluster, tags = excluded.tags")
        deleteCurrent = try database.prepare("DELETE FROM current WHERE address = ?")
    }

    /// Appends audit records and updates the current map, in one transaction.
    public func record(_ records: [AuditRecord]) throws(StoreError) {
        guard !records.isEmpty else { return }
        try database.transaction { () throws(StoreError) in
            for record in records {
                let tags = TagStore.encode(record.tags)
                insertAudit.reset()
                insertAudit.bind(1, record.time)
                insertAudit.bind(2, record.cluster)
                insertAudit.bind(3, record.address)
                insertAudit.bind(4, tags)
                insertAudit.bind(5, record.reason)
                _ = try insertAudit.step()
                if record.tags.isEmpty {
                    deleteCurrent.reset()
                    deleteCurrent.bind(1, record.address)
                    _ = try deleteCurrent.step()
                } else {
                    upsertCurrent.reset()
                    upsertCurrent.bind(1, record.address)
                    upsertCurrent.bind(2, record.cluster)
                    upsertCurrent.bind(3, tags)
                    _ = try upsertCurrent.step()
                }
            }
        }
    }

    /// The address→(cluster, tags) map as last recorded.
    public func current() throws(StoreError) -> [String: (cluster: String, tags: [String])] {
        let query = try database.prepare("SELECT address, cluster, tags FROM current")
        var result: [String: (cluster: String, tags: [String])] = [:]
        while try query.step() { result[query.text(0)] = (query.text(1), TagStore.decode(query.text(2))) }
        return result
    }

    /// The record in force for `address` at `time` (nil: it had no tags then).
    public func tags(of address: String, at time: Double) throws(StoreError) -> AuditRecord? {
        let query = try database.prepare(
            "SELECT time, cluster, tags, reason FROM audit WHERE address = ? AND time <= ? ORDER BY time DESC, id DESC LIMIT 1")
        query.bind(1, address)
        query.bind(2, time)
        guard try query.step() else { return nil }
        let record = AuditRecord(time: query.double(0), cluster: query.text(1), address: address,
                                 tags: TagStore.decode(query.text(2)), reason: query.text(3))
        return record.tags.isEmpty ? nil : record
    }

    /// Every change of `address` between two times, oldest first.
    public func history(of address: String, from start: Double = 0, to end: Double = .greatestFiniteMagnitude, limit: Int = 1000) throws(StoreError) -> [AuditRecord] {
        let query = try database.prepare(
            "SELECT time, cluster, tags, reason FROM audit WHERE address = ? AND time >= ? AND time <= ? ORDER BY time, id LIMIT ?")
        query.bind(1, address)
        query.bind(2, start)
        query.bind(3, end)
        query.bind(4, Int64(limit))
        var result: [AuditRecord] = []
        while try query.step() {
            result.append(AuditRecord(time: query.double(0), cluster: query.text(1), address: address,
                                      tags: TagStore.decode(query.text(2)), reason: query.text(3)))
        }
        return result
    }

    public func auditCount() throws(StoreError) -> Int {
        let query = try database.prepare("SELECT count(*) FROM audit")
        _ = try query.step()
        return Int(query.int(0))
    }

    /// Deletes audit records older than `time`, keeping each address's last one before it.
    public func prune(before time: Double) throws(StoreError) {
        try database.execute("""
            DELETE FROM audit WHERE time < \(time) AND id NOT IN (
                SELECT max(id) FROM audit WHERE time < \(time) GROUP BY address)
            """)
    }

    public func sequence(of firewall: String) throws(StoreError) -> UInt64 {
        let query = try database.prepare("SELECT sequence FROM firewall WHERE name = ?")
        query.bind(1, firewall)
        return try query.step() ? UInt64(max(0, query.int(0))) : 0
    }

    public func setSequence(_ sequence: UInt64, of firewall: String) throws(StoreError) {
        let query = try database.prepare(
            "INSERT INTO firewall (name, sequence) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET sequence = excluded.sequence")
        query.bind(1, firewall)
        query.bind(2, Int64(clamping: sequence))
        _ = try query.step()
    }

    static func encode(_ tags: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(tags), as: UTF8.self)) ?? "[]"
    }

    static func decode(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
