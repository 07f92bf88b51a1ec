import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

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
/// connection of its own). Reviews never wait for the disk: `record` queues the decision and
/// a writer thread inserts what is queued in one transaction, so a long write of the tag
/// store (the same file) or a WAL checkpoint delays the record, not the answer. Reading
/// waits until everything recorded before it is written.
///
/// ```swift
/// let log = try AdmissionLog(path: "manager.sqlite")
/// log.record(record)
/// try log.records(from: 0, to: .infinity, decision: "deny")
/// log.stop()
/// ```
public final class AdmissionLog: @unchecked Sendable {
    /// Decisions queued beyond this are dropped (counted): the disk is hours behind.
    public static let queueLimit = 100_000
    private let database: SQLiteDatabase
    private let insert: Statement
    private let select: Statement
    private let prune: Statement
    /// Guards the queue, `writing` and `stopped`; the database is used by one thread at a
    /// time under `databaseLock`.
    private let queueCondition = Condition()
    private let databaseLock = Lock()
    private var queue: [AdmissionRecord] = []
    private var writing = false
    private var stopped = false
    private var writer: NamedThread.Handle?
    private let onError: @Sendable (String) -> Void
    private let retention: Double
    private var lastPrune = 0.0
    private var counts = (dropped: 0, failures: 0)

    /// Decisions not written: dropped (queue full) or lost to a failed write.
    public var lost: (dropped: Int, failures: Int) {
        queueCondition.lock()
        defer { queueCondition.unlock() }
        return counts
    }

    /// - Parameters:
    ///   - retentionDays: older decisions are deleted (checked hourly by the writer).
    ///   - onError: told of each failed write (the log line).
    public init(path: String, retentionDays: Int = 90, onError: @escaping @Sendable (String) -> Void = { _ in }) throws(StoreError) {
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
        self.onError = onError
        retention = Double(retentionDays) * 86400
        writer = NamedThread.start(name: "admission-log") { [self] in writeLoop() }
    }

    /// Queues a decision; returns at once.
    public func record(_ record: AdmissionRecord) {
        queueCondition.lock()
        if queue.count < AdmissionLog.queueLimit {
            queue.append(record)
        } else {
            counts.dropped += 1
        }
        queueCondition.broadcast()
        queueCondition.unlock()
    }

    /// Oldest first, at most `limit`; `decision` empty: every decision. Everything recorded
    /// before the call is included.
    public func records(from: Double, to: Double, decision: String = "", limit: Int = 10_000) throws(StoreError) -> [AdmissionRecord] {
        drain()
        return try databaseLock.withLock { () throws(StoreError) in
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


    /// Writes what is queued, then ends the writer.
    public func stop() {
        drain()
        queueCondition.lock()
        stopped = true
        queueCondition.broadcast()
        queueCondition.unlock()
        while writer?.isFinished == false { usleep(1000) }
    }

    /// Waits until the queue is written (at most 10 s).
    private func drain() {
        queueCondition.lock()
        var waited = 0.0
        while (!queue.isEmpty || writing) && !stopped && waited < 10 {
            queueCondition.wait(seconds: 0.05)
            waited += 0.05
        }
        queueCondition.unlock()
    }

    private func writeLoop() {
        while true {
            queueCondition.lock()
            while queue.isEmpty && !stopped { queueCondition.wait(seconds: 1) }
            if queue.isEmpty && stopped {
                queueCondition.unlock()
                return
            }
            let batch = queue
            queue = []
            writing = true
            queueCondition.unlock()
            do throws(StoreError) {
                try databaseLock.withLock { () throws(StoreError) in
                    try database.transaction { () throws(StoreError) in
                        for record in batch {
                            insert.reset()
                            insert.bind(1, record.time)
                            for (index, text) in [record.cluster, record.namespace, record.kind, record.name, record.operation, record.user, record.uid,
                                                  record.decision, record.rules, record.message].enumerated() {
                                insert.bind(Int32(index + 2), text)
                            }
                            _ = try insert.step()
                        }
                        // Hourly, in the same transaction: decisions past the retention go.
                        if let newest = batch.last?.time, newest - lastPrune > 3600 {
                            lastPrune = newest
                            prune.reset()
                            prune.bind(1, newest - retention)
                            _ = try prune.step()
                        }
                    }
                }
            } catch {
                queueCondition.lock()
                counts.failures += batch.count
                queueCondition.unlock()
                onError("\(batch.count) admission decisions not written: \(error.description)")
            }
            queueCondition.lock()
            writing = false
            queueCondition.broadcast()
            queueCondition.unlock()
        }
    }
}
