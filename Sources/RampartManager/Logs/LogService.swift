#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import RampartHTTP
import RampartPOSIX
import RampartWire

/// The log store at work: the syslog receiver hands messages to a bounded queue; one
/// thread turns them into `LogRecord`s (with both ends' tags from the manager's map) and
/// writes them in batches, one transaction each; the same thread trims by age and size.
///
/// ```swift
/// let logs = try LogService(settings: settings, firewalls: configuration.firewalls, tags: { manager.tags(of: $0)?.tags }, log: log)
/// logs.start()
/// try logs.search(query)
/// ```
public final class LogService: @unchecked Sendable {
    public let settings: LogStoreConfiguration
    /// The writer's connection (the ingest thread) and the readers' (queries): WAL lets a
    /// query read while a batch is written.
    private let writer: any LogBackend
    private let reader: any LogBackend
    private let readerLock = Lock()
    public private(set) var receiver: SyslogReceiver?
    /// Runtime audits (set before `start`): sees every batch, and its audits are stored with it.
    public var auditor: RuntimeAuditor?
    private let tags: @Sendable (String) -> [String]?
    private let log: @Sendable (String) -> Void
    private let clock: @Sendable () -> Double
    private let inbox = Condition()
    private var queued: [SyslogMessage] = []
    /// The queue's bound in messages: the receiver waits beyond it.
    public static let queueLimit = 100_000
    /// This service's bound (`queueLimit` but in tests).
    let queueBound: Int
    /// Records per transaction at most: each transaction rewrites the index pages it touched,
    /// so larger batches write less per record (a 5,000-record batch wrote ~3 KB of index
    /// pages per record, a 50,000-record one a tenth of that).
    public static let batchLimit = 50_000
    private let stopSignal = StopSignal()
    private var thread: NamedThread.Handle?
    private let countersLock = Lock()
    private var counters = (stored: 0, unreadable: 0, storeErrors: 0, trimmedAge: 0, trimmedSize: 0, batches: 0, queueFull: 0, dropped: 0)
    /// Set while writes fail: the batch is held and retried, the queue fills, the receiver waits.
    private var storeDown = false
    /// Set while the queue is at its bound (one log line per time it fills).
    private var queueFull = false
    private var sizeEstimate: Int64 = 0

    public init(settings: LogStoreConfiguration, firewalls: [FirewallTarget], tags: @escaping @Sendable (String) -> [String]?,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }, queueLimit: Int = LogService.queueLimit,
                log: @escaping @Sendable (String) -> Void) throws(StoreError) {
        self.settings = settings
        queueBound = max(1, queueLimit)
        self.tags = tags
        self.log = log
        self.clock = clock
        do throws(StoreError) {
            let writer = try LogService.openStore(settings)
            (self.writer, reader) = (writer, try LogService.openStore(settings))
            sizeEstimate = (try? writer.liveBytes()) ?? 0
        } catch {
            // A PostgreSQL server that does not answer yet does not stop the start (fail
            // closed: records wait in the bounded queue, the receiver stops reading when it is
            // full); a SQLite file or a password file that cannot be read does.
            guard let postgres = settings.postgres, LogService.passwordFileReadable(postgres) else { throw error }
            writer = DeferredLogBackend { () throws(StoreError) in try LogService.openStore(settings) }
            reader = DeferredLogBackend { () throws(StoreError) in try LogService.openStore(settings) }
            storeDown = true
            log(ManagerLog.line("error", event: "log-store-unavailable", fields: [
                "error": .string(error.description),
                "message": .string("starting without the log store: records are held in the queue and written when it answers"),
            ]))
        }
    }

    /// True without a password file or when it can be read.
    private static func passwordFileReadable(_ postgres: PostgresLogSettings) -> Bool {
        guard let path = postgres.passwordFile else { return true }
        do throws(FileReadError) { _ = try readTextFile(path, limit: 4096) } catch { return false }
        return true
    }

    /// A reader of the console's flow sums of the store `settings` name (its own connection;
    /// PostgreSQL's is made when first needed, so a server down at start does not stop it).
    public static func openFlowSums(_ settings: LogStoreConfiguration) throws(StoreError) -> any FlowSumBackend {
        if let postgres = settings.postgres { return PostgresFlowSums(parameters: postgres.parameters, passwordFile: postgres.passwordFile) }
        return try SQLiteFlowSums(path: settings.store)
    }

    /// The store `settings` name: PostgreSQL when configured, else the SQLite file.
    public static func openStore(_ settings: LogStoreConfiguration) throws(StoreError) -> any LogBackend {
        if let postgres = settings.postgres { return try PostgresLogStore(parameters: postgres.parameters, passwordFile: postgres.passwordFile) }
        return try LogStore(path: settings.store)
    }

    /// Opens the listener (`spec.logs.listen`); by default loopback and the firewalls' admin hosts may send.
    public func listen(firewalls: [FirewallTarget]) throws(HTTPConfigurationError) {
        let sources = settings.sources ?? LogService.defaultSources(firewalls)
        receiver = try SyslogReceiver(listen: settings.listen, sources: sources, log: log) { [weak self] messages in
            self?.enqueue(messages)
        }
    }

    /// Loopback, and each firewall's admin address (the host its events come from).
    static func defaultSources(_ firewalls: [FirewallTarget]) -> [IPNetwork] {
        var networks = ["127.0.0.0/8", "::1/128"].compactMap { IPNetwork($0) }
        for firewall in firewalls {
            var host = firewall.admin.split(separator: "/").dropFirst().first.map(String.init) ?? ""
            if host.hasPrefix("[") { host = String(host.dropFirst().prefix { $0 != "]" }) } else { host = String(host.prefix { $0 != ":" }) }
            if let network = IPNetwork(host) { networks.append(network) }
        }
        return networks
    }

    public func start() {
        receiver?.start()
        thread = NamedThread.start(name: "log store") { [self] in ingestLoop() }
    }

    public func stop() {
        receiver?.stop()
        stopSignal.stop()
        inbox.lock()
        inbox.broadcast()
        inbox.unlock()
        if let thread { while !thread.isFinished { usleep(5_000) } }
    }

    /// Queues messages; waits while the queue is full (back-pressure to the senders).
    func enqueue(_ messages: [SyslogMessage]) {
        inbox.lock()
        if queued.count >= queueBound && !queueFull && !stopSignal.isStopped {
            queueFull = true
            countersLock.withLock { counters.queueFull += 1 }
            log(ManagerLog.line("warning", event: "logs-queue-full", fields: [
                "queued": .integer(queued.count), "limit": .integer(queueBound),
                "storeDown": .bool(countersLock.withLock { storeDown }),
                "message": .string("the store is behind: the syslog receiver stops reading until it catches up (senders keep their records)"),
            ]))
        }
        while queued.count >= queueBound && !stopSignal.isStopped { _ = inbox.wait(seconds: 0.1) }
        if stopSignal.isStopped {
            // Shutting down with the queue full: these were received and will not be stored.
            countersLock.withLock { counters.dropped += messages.count }
            inbox.unlock()
            return
        }
        if queued.count < queueBound / 2 { queueFull = false }
        queued.append(contentsOf: messages)
        inbox.broadcast()
        inbox.unlock()
    }

    /// Records written so far, and messages that were not EVE records.
    public var storedRecords: Int { countersLock.withLock { counters.stored } }
    public var unreadableRecords: Int { countersLock.withLock { counters.unreadable } }

    public func search(_ query: LogQuery) throws(StoreError) -> [StoredLog] {
        try readerLock.withLock { () throws(StoreError) -> [StoredLog] in
            do throws(StoreError) { return try reader.search(query) } catch {
                // A PostgreSQL server restarted since the last query: connect again, ask once more.
                guard reader.recover() else { throw error }
                return try reader.search(query)
            }
        }
    }

    private func ingestLoop() {
        var lastTrim = 0.0
        var lastOptimize = clock()
        var lastProbe = -Double.infinity
        while true {
            inbox.lock()
            while queued.isEmpty && !stopSignal.isStopped { _ = inbox.wait(seconds: 0.5); if queued.isEmpty { break } }
            let take = min(queued.count, LogService.batchLimit)
            let batch = Array(queued.prefix(take))
            queued.removeFirst(take)
            inbox.broadcast()
            let drained = queued.isEmpty
            inbox.unlock()
            if !batch.isEmpty { store(batch) }
            let now = clock()
            let down = countersLock.withLock { storeDown }
            if down && batch.isEmpty && now - lastProbe >= 5 {
                // Down with nothing to write (e.g. since the start): find out when it is back.
                lastProbe = now
                if writer.recover() {
                    countersLock.withLock { storeDown = false }
                    log(ManagerLog.line("info", event: "log-store-recovered", fields: ["records": .integer(0)]))
                }
            }
            if !down && (now - lastTrim >= 10 || sizeEstimate > settings.maxBytes) {
                lastTrim = now
                trim(now: now)
            }
            if now - lastOptimize >= 3600 {
                lastOptimize = now
                try? writer.optimize()
            }
            if stopSignal.isStopped && drained { break }
        }
    }

    /// Records from messages, written in one transaction. Fails closed: while the store
    /// cannot be written, the batch is held and retried (the queue behind it fills and the
    /// receiver stops reading); only stopping the manager gives it up, counted as dropped.
    func store(_ messages: [SyslogMessage]) {
        var records: [LogRecord] = []
        records.reserveCapacity(messages.count)
        var unreadable = 0
        for message in messages {
            if let record = LogRecord(eve: message.body, firewall: message.hostname, tags: tags) { records.append(record) } else { unreadable += 1 }
        }
        if let auditor { records += auditor.observe(records) }
        var delay = 0.25
        while true {
            do throws(StoreError) {
                try writer.insert(records)
                sizeEstimate += Int64(records.reduce(0) { $0 + $1.json.utf8.count + 160 })
                let recovered = countersLock.withLock { () -> Bool in
                    counters.stored += records.count
                    counters.unreadable += unreadable
                    counters.batches += 1
                    defer { storeDown = false }
                    return storeDown
                }
                if recovered { log(ManagerLog.line("info", event: "log-store-recovered", fields: ["records": .integer(records.count)])) }
                return
            } catch {
                let first = countersLock.withLock { () -> Bool in
                    counters.storeErrors += 1
                    defer { storeDown = true }
                    return !storeDown
                }
                // One line when the store goes down, not one per retry.
                if first {
                    log(ManagerLog.line("error", event: "log-store-failed", fields: [
                        "error": .string(error.description), "records": .integer(records.count),
                        "message": .string("holding the batch and retrying; the receiver stops reading when the queue is full"),
                    ]))
                }
            }
            if stopSignal.isStopped {
                countersLock.withLock { counters.dropped += records.count }
                log(ManagerLog.line("error", event: "logs-dropped", fields: ["records": .integer(records.count), "reason": .string("stopped while the store was down")]))
                return
            }
            usleep(UInt32(delay * 1_000_000))
            delay = min(delay * 2, 5)
            _ = writer.recover()
        }
    }

    /// Drops records past `retentionDays`, then the oldest while the store is over `maxBytes`.
    func trim(now: Double) {
        do throws(StoreError) {
            var aged = 0
            let cutoff = Int64((now - Double(settings.retentionDays) * 86400) * 1000)
            while true {
                let deleted = try writer.deleteOlder(than: cutoff, limit: 50_000)
                aged += deleted
                if deleted < 50_000 { break }
            }
            var sized = 0
            var bytes = try writer.liveBytes()
            let before = bytes
            while bytes > settings.maxBytes {
                let total = try writer.count()
                guard total > 0 else { break }
                // A tenth at a time (at least 1,000): the freed pages are reused by new records.
                let deleted = try writer.deleteOldest(max(1_000, total / 10))
                sized += deleted
                bytes = try writer.liveBytes()
                if deleted == 0 { break }
            }
            sizeEstimate = bytes
            if aged > 0 || sized > 0 { try writer.reclaim() }
            if aged > 0 || sized > 0 {
                countersLock.withLock {
                    counters.trimmedAge += aged
                    counters.trimmedSize += sized
                }
                log(ManagerLog.line("info", event: "logs-trimmed", fields: [
                    "byAge": .integer(aged), "bySize": .integer(sized), "bytesBefore": .integer(before), "bytesAfter": .integer(bytes),
                    "retentionDays": .integer(settings.retentionDays), "maxBytes": .integer(settings.maxBytes),
                ]))
            }
        } catch {
            countersLock.withLock { counters.storeErrors += 1 }
            log(ManagerLog.line("error", event: "log-trim-failed", fields: ["error": .string(error.description)]))
        }
    }

    public func metrics() -> String {
        var page = PrometheusText()
        let c = countersLock.withLock { counters }
        page.single("rampart_manager_logs_stored_total", .counter, "EVE records written to the log store.", c.stored)
        page.single("rampart_manager_logs_unreadable_total", .counter, "Syslog messages whose body is not an EVE record.", c.unreadable)
        page.single("rampart_manager_logs_store_errors_total", .counter, "Failed writes or trims of the log store.", c.storeErrors)
        page.family("rampart_manager_logs_trimmed_total", .counter, "Records deleted by retention.",
                    [(labels: [("reason", "age")], value: c.trimmedAge), (labels: [("reason", "size")], value: c.trimmedSize)])
        page.single("rampart_manager_logs_bytes", .gauge, "Bytes the log store's live pages take (estimated between trims).", Int(sizeEstimate))
        page.single("rampart_manager_logs_bytes_limit", .gauge, "spec.logs.maxBytes.", Int(settings.maxBytes))
        page.single("rampart_manager_logs_queued", .gauge, "Messages received and not yet stored.", inbox.withLock { queued.count })
        page.single("rampart_manager_logs_queue_limit", .gauge, "The queue's bound: the receiver stops reading beyond it.", queueBound)
        page.single("rampart_manager_logs_queue_full_total", .counter, "Times the queue filled (the receiver then waits).", c.queueFull)
        page.single("rampart_manager_logs_store_down", .gauge, "1 while writes to the store fail (the batch is held and retried).",
                    countersLock.withLock { storeDown } ? 1 : 0)
        page.single("rampart_manager_logs_dropped_total", .counter, "Records received and given up (only when stopping while the store is down).", c.dropped)
        if let receiver {
            let r = receiver.counts
            page.family("rampart_manager_log_connections_total", .counter, "Syslog connections, by outcome.",
                        [(labels: [("outcome", "accepted")], value: r.accepted), (labels: [("outcome", "refused")], value: r.refused)])
            page.single("rampart_manager_log_connections", .gauge, "Open syslog connections.", r.open)
            page.single("rampart_manager_log_messages_total", .counter, "Syslog messages received.", r.messages)
            page.single("rampart_manager_log_malformed_total", .counter, "Framed messages that are not RFC 5424.", r.malformed)
            page.single("rampart_manager_log_framing_errors_total", .counter, "Connections dropped for bad framing.", r.framingErrors)
        }
        return page.text
    }
}
