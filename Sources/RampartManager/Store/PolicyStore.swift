import FoundationEssentials
import RampartPOSIX

/// One policy commit: who, when, why, the whole text and the diff against the previous
/// commit of the same target (`all`, or a firewall group).
public struct PolicyCommit: Sendable, Equatable, Codable {
    public var id: Int
    /// `all`, or the name of a firewall group (`groups:` of the firewalls).
    public var target: String
    public var time: Double
    /// The API principal (token name or certificate identity), or `git` for GitOps.
    public var author: String
    public var message: String
    /// Where it came from: `api`, `rollback of 3`, `git main 1a2b3c4…`.
    public var source: String
    public var text: String
    /// `diff -u` against the previous commit of `target` (against nothing for the first).
    public var diff: String
    /// Rules of the compiled policy, the two defaults included.
    public var rules: Int
}

/// The policy commits, in the manager's state file (its own connection: the API threads
/// commit while the store thread records tags; SQLite's WAL lets them take turns).
///
/// ```swift
/// let store = try PolicyStore(path: "manager.sqlite")
/// let id = try store.insert(target: "all", time: now, author: "ops", message: "deny db", source: "api", text: yaml, diff: diff, rules: 5)
/// try store.latest(targets: ["all", "edge"])?.id
/// ```
public final class PolicyStore: @unchecked Sendable {
    private let database: SQLiteDatabase
    private let lock = Lock()

    public init(path: String) throws(StoreError) {
        database = try SQLiteDatabase(path: path)
        try database.execute("""
            CREATE TABLE IF NOT EXISTS policy_commits (
                id INTEGER PRIMARY KEY, target TEXT NOT NULL, time REAL NOT NULL, author TEXT NOT NULL,
                message TEXT NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL, diff TEXT NOT NULL, rules INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS policy_commits_target ON policy_commits (target, id);
            """)
    }

    /// Appends a commit; returns its id.
    public func insert(target: String, time: Double, author: String, message: String, source: String, text: String,
                       diff: String, rules: Int) throws(StoreError) -> Int {
        try lock.withLock { () throws(StoreError) -> Int in
            let statement = try database.prepare(
                "INSERT INTO policy_commits (target, time, author, message, source, text, diff, rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            statement.bind(1, target)
            statement.bind(2, time)
            statement.bind(3, author)
            statement.bind(4, message)
            statement.bind(5, source)
            statement.bind(6, text)
            statement.bind(7, diff)
            statement.bind(8, Int64(rules))
            _ = try statement.step()
            return Int(database.lastInsertRowID)
        }
    }

    public func commit(_ id: Int) throws(StoreError) -> PolicyCommit? {
        try query("WHERE id = ?", [.integer(Int64(id))]).first
    }

    /// The newest commit of any of `targets`.
    public func latest(targets: [String]) throws(StoreError) -> PolicyCommit? {
        guard !targets.isEmpty else { return nil }
        let marks = targets.map { _ in "?" }.joined(separator: ", ")
        return try query("WHERE target IN (\(marks)) ORDER BY id DESC LIMIT 1", targets.map { .text($0) }).first
    }

    /// The newest commits first, of one target or all.
    public func history(target: String?, limit: Int) throws(StoreError) -> [PolicyCommit] {
        if let target { return try query("WHERE target = ? ORDER BY id DESC LIMIT ?", [.text(target), .integer(Int64(limit))]) }
        return try query("ORDER BY id DESC LIMIT ?", [.integer(Int64(limit))])
    }

    enum Value { case text(String), integer(Int64) }

    private func query(_ tail: String, _ values: [Value]) throws(StoreError) -> [PolicyCommit] {
        try lock.withLock { () throws(StoreError) -> [PolicyCommit] in
            let statement = try database.prepare(
                "SELECT id, target, time, author, message, source, text, diff, rules FROM policy_commits \(tail)")
            for (index, value) in values.enumerated() {
                switch value {
                case .text(let text): statement.bind(Int32(index + 1), text)
                case .integer(let number): statement.bind(Int32(index + 1), number)
                }
            }
            var commits: [PolicyCommit] = []
            while try statement.step() {
                commits.append(PolicyCommit(
                    id: Int(statement.int(0)), target: statement.text(1), time: statement.double(2), author: statement.text(3),
                    message: statement.text(4), source: statement.text(5), text: statement.text(6), diff: statement.text(7),
                    rules: Int(statement.int(8))))
            }
            return commits
        }
    }
}
