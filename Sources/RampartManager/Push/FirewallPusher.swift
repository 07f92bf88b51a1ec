import FoundationEssentials
import RampartJSON
import RampartPOSIX
import RampartHTTP
import RampartKube

#if canImport(Glibc)
import Glibc
#endif

/// Keeps one firewall's address→tag map equal to the manager's: incremental batches as
/// tags change, the whole map (`"replace": true`) whenever the firewall may not hold it,
/// and sequence numbers above every one the firewall accepted, so it never applies stale
/// state.
///
/// The firewall may not hold the map after a failed push, after it restarted (every admin
/// answer carries its run's boot id, `X-Rampart-Boot-Id`: a new one means a new process,
/// which without `tagState` starts empty), or when its sequence is not the one this pusher
/// sent last (someone else wrote to it, or it restarted from an older state file). Boot id
/// and sequence are checked on every answer and, when nothing was pushed for
/// `checkInterval`, by a `GET /tags` of their own: a firewall restarted while nothing
/// changes gets the whole map within that time.
///
/// Over `https://` the pusher verifies the firewall's certificate against a CA and presents
/// a client certificate (`tls`), so the firewall knows it by its certificate's identity
/// (mutual TLS); a bearer token (`authorization`) may be sent as well.
///
/// The wire format is the firewall's admin API (docs/firewall.md): `POST /tags` with
/// `{"sequence": n, "updates": [...]}` (or `"replace": true`), `GET /tags` for its last
/// accepted sequence and boot id.
///
/// ```swift
/// let pusher = FirewallPusher(name: "fw-1", admin: "http://10.0.0.5:9680", snapshot: { manager.merged })
/// NamedThread.start(name: "push fw-1") { pusher.run(until: stop) }
/// pusher.enqueue([AddressUpdate(cluster: "prod", address: "10.244.1.7", tags: ["ns:shop"], reason: "...")])
/// ```
public final class FirewallPusher: @unchecked Sendable {
    public let name: String
    public let admin: String
    /// Seconds without an answer from the firewall before it is asked where it stands.
    public let checkInterval: Double
    /// At most one `push-failed` log line per this many seconds (the rest are counted in it).
    public var failureLogInterval: Double = 10
    /// Header lines sent with every request (`Authorization: Bearer ...`); set before `run`.
    public var authorization: [String] = []
    /// The TLS of an `https://` admin API (CA, client certificate and key), read before every
    /// exchange (three small files): when they changed (a renewed certificate, a Secret
    /// updated in place) the connection is opened again with them; set before `run`.
    public var tls: () throws(KubeError) -> TLSSettings? = { nil }
    private let snapshot: () -> [String: [String]]
    private let sequenceStore: (UInt64) -> Void
    private let onAcknowledged: ([String], Double) -> Void
    private let log: (String) -> Void

    private let condition = Condition()
    private var pending: [String: [String]] = [:]
    /// When each pending address was first queued, for the push-latency histogram.
    private var queuedAt: [String: Double] = [:]
    private var needsFullSync = true
    private var resyncReason = "first push"
    private var sequence: UInt64
    /// The firewall run that holds the map this pusher sent (nil: none yet, or a firewall
    /// that sends no boot id).
    private var boot: String?
    /// Counts `enqueue` calls; `acknowledged` is the count the firewall's map covers.
    private var enqueued: UInt64 = 0
    private var acknowledged: UInt64 = 0
    /// The firewall holds the whole map: a full sync it accepted, and no failure, restart or
    /// foreign sequence seen since.
    private var inSync = false
    private var lastAnswer = -Double.infinity
    private var lastFailureLog = -Double.infinity
    private var unloggedFailures = 0
    private var failingSince: Double?

    public struct Status: Sendable {
        public var connected: Bool
        public var sequence: UInt64
        public var lastError: String?
        public var pushes: Int
        public var fullSyncs: Int
        public var addressesSent: Int
        public var failures: Int
        public var pending: Int
        /// The firewall holds the whole map (see `FirewallPusher`).
        public var inSync: Bool
        /// `enqueue` calls so far, and how many of them the firewall's map covers.
        public var enqueued: UInt64
        public var acknowledged: UInt64
        /// The firewall's run, from its last answer.
        public var boot: String?
        /// Full syncs sent because the firewall restarted, or its sequence was not ours.
        public var resyncs: Int
    }
    private var state = Status(connected: false, sequence: 0, lastError: nil, pushes: 0, fullSyncs: 0, addressesSent: 0,
                               failures: 0, pending: 0, inSync: false, enqueued: 0, acknowledged: 0, boot: nil, resyncs: 0)
    public let latency = LatencyHistogram()

    /// - Parameters:
    ///   - sequence: the last sequence sent to this firewall (from the store).
    ///   - checkInterval: seconds without an answer before the firewall is asked where it stands.
    ///   - onAcknowledged: the addresses a push carried and when the firewall accepted it.
    ///   - log: JSON lines (`push-failed`, `push-recovered`, `resync`).
    public init(
        name: String, admin: String, sequence: UInt64 = 0, checkInterval: Double = 10,
        snapshot: @escaping () -> [String: [String]],
        sequenceStore: @escaping (UInt64) -> Void = { _ in },
        onAcknowledged: @escaping ([String], Double) -> Void = { _, _ in },
        log: @escaping (String) -> Void = { _ in }
    ) {
        self.name = name
        self.admin = admin.hasSuffix("/") ? String(admin.dropLast()) : admin
        self.sequence = sequence
        self.checkInterval = checkInterval
        self.snapshot = snapshot
        self.sequenceStore = sequenceStore
        self.onAcknowledged = onAcknowledged
        self.log = log
    }

    public var status: Status {
        condition.lock()
        defer { condition.unlock() }
        var now = state
        now.sequence = sequence
        now.pending = pending.count
        now.inSync = inSync && !needsFullSync
        now.enqueued = enqueued
        now.acknowledged = acknowledged
        now.boot = boot
        return now
    }

    /// `enqueue` calls so far: a firewall whose `status.acknowledged` reaches this value
    /// holds every change queued until now.
    public var enqueuedCount: UInt64 {
        condition.lock()
        defer { condition.unlock() }
        return enqueued
    }

    /// Queues changes; the latest tags of an address replace any not yet sent.
    public func enqueue(_ updates: [AddressUpdate], at time: Double = Date().timeIntervalSince1970) {
        condition.lock()
        for update in updates {
            pending[update.address] = update.tags
            if queuedAt[update.address] == nil { queuedAt[update.address] = time }
        }
        enqueued += 1
        condition.signal()
        condition.unlock()
    }

    /// Sends the whole map at the next chance.
    public func requestFullSync(reason: String = "requested") {
        condition.lock()
        needsFullSync = true
        resyncReason = reason
        inSync = false
        condition.signal()
        condition.unlock()
    }

    /// Pushes until `stop`; blocking.
    public func run(until stop: StopSignal, batchWindow: Double = 0.005) {
        var backoff = Backoff(initial: 0.1, ceiling: 10)
        var connection: HTTPConnection?
        var connectionTLS: TLSSettings?
        while !stop.isStopped {
            condition.lock()
            var checkDue = false
            while pending.isEmpty && !needsFullSync && !stop.isStopped {
                let untilCheck = lastAnswer + checkInterval - FirewallPusher.monotonic()
                if untilCheck <= 0 { checkDue = true; break }
                condition.wait(seconds: min(0.1, untilCheck))
            }
            let work = !pending.isEmpty || needsFullSync
            condition.unlock()
            if stop.isStopped { break }
            // A short window gathers a burst into one request.
            if work { stop.sleep(batchWindow) }
            do throws(KubeError) {
                let wanted = try tls()
                if connection == nil || wanted != connectionTLS {
                    connection = try client { () throws(HTTPClientError) in try HTTPConnection(tls: wanted, connectTimeout: 2) }
                    connectionTLS = wanted
                }
                guard let connection else { continue }
                if work { try push(over: connection) } else if checkDue { try check(over: connection) }
                backoff.reset()
                noteSuccess()
            } catch {
                connection = nil
                let delay = backoff.next()
                noteFailure(error, retryIn: delay)
                stop.sleep(delay)
            }
        }
    }

    // MARK: exchanges

    private func push(over connection: HTTPConnection) throws(KubeError) {
        condition.lock()
        let full = needsFullSync
        let reason = resyncReason
        let batch = pending
        let queued = queuedAt
        let generation = enqueued
        pending = [:]
        queuedAt = [:]
        needsFullSync = false
        condition.unlock()
        do throws(KubeError) {
            if full {
                let where_ = try fetchState(over: connection)
                condition.lock()
                if where_.sequence > sequence { sequence = where_.sequence }
                condition.unlock()
                // The snapshot holds every change queued up to `generation`: the manager
                // updates its map before it queues a change.
                let map = snapshot()
                let answerBoot = try send(over: connection, updates: map, replace: true)
                // Whichever run accepted the replace holds the whole map.
                condition.lock()
                boot = answerBoot
                inSync = !needsFullSync
                acknowledged = max(acknowledged, generation)
                state.fullSyncs += 1
                state.boot = answerBoot
                condition.unlock()
                if reason != "first push" && reason != "after a failure" {
                    log(ManagerLog.line("info", event: "resync", fields: [
                        "firewall": .string(name), "reason": .string(reason), "addresses": .integer(map.count),
                        "sequence": .integer(sequence),
                    ]))
                }
            } else if !batch.isEmpty {
                let answerBoot = try send(over: connection, updates: batch, replace: false)
                condition.lock()
                acknowledged = max(acknowledged, generation)
                condition.unlock()
                noteBoot(answerBoot)
            }
        } catch {
            // Put the work back: the next attempt is a full sync, which includes it.
            condition.lock()
            for (address, tags) in batch where pending[address] == nil { pending[address] = tags }
            for (address, time) in queued where queuedAt[address] == nil { queuedAt[address] = time }
            condition.unlock()
            throw error
        }
        let now = Date().timeIntervalSince1970
        for (_, time) in queued { latency.record(now - time) }
        if !queued.isEmpty { onAcknowledged(Array(queued.keys), now) }
        condition.lock()
        state.pushes += 1
        state.addressesSent += full ? 0 : batch.count
        condition.unlock()
    }

    /// Asks the firewall where it stands; a new run or a sequence this pusher did not send
    /// gets the whole map.
    private func check(over connection: HTTPConnection) throws(KubeError) {
        let where_ = try fetchState(over: connection)
        noteBoot(where_.boot)
        condition.lock()
        let ours = sequence
        condition.unlock()
        if where_.sequence != ours {
            let why = where_.sequence < ours
                ? "the firewall's sequence \(where_.sequence) is behind the \(ours) it accepted from this manager (restored from an older state?)"
                : "the firewall's sequence \(where_.sequence) is not the \(ours) this manager sent last (another writer?)"
            requestResync(why)
        }
    }

    /// Compares the boot id of an answer with the run that holds the map.
    private func noteBoot(_ answerBoot: String?) {
        condition.lock()
        let known = boot
        condition.unlock()
        guard answerBoot != known else { return }
        requestResync("the firewall restarted (boot id \(known ?? "none") → \(answerBoot ?? "none")) and may have lost its tags")
    }

    private func requestResync(_ reason: String) {
        condition.lock()
        if !needsFullSync { state.resyncs += 1 }
        needsFullSync = true
        resyncReason = reason
        inSync = false
        condition.unlock()
    }

    /// `GET /tags`: the firewall's last accepted sequence and its run's boot id.
    private func fetchState(over connection: HTTPConnection) throws(KubeError) -> (sequence: UInt64, boot: String?) {
        let response = try client { () throws(HTTPClientError) in
            try connection.request(url: "\(admin)/tags", headers: authorization, timeout: 5)
        }
        noteAnswer()
        guard response.status == 200 else {
            throw .status(url: "\(admin)/tags", code: response.status, message: String(response.text.prefix(200)))
        }
        guard let object = try? JSONValue.parse(response.body), let number = object["sequence"]?.integer(Int64.self) else {
            throw .malformed(what: "GET \(admin)/tags", detail: "expected {\"sequence\": n, ...} with n an integer")
        }
        let boot = response.headers["x-rampart-boot-id"] ?? object["boot"]?.stringValue
        return (UInt64(max(0, number)), boot)
    }

    /// `POST /tags`; returns the boot id of the run that accepted it.
    private func send(over connection: HTTPConnection, updates: [String: [String]], replace: Bool) throws(KubeError) -> String? {
        let next = sequence + 1
        var members: [(String, JSONValue)] = [
            ("sequence", .integer(next)),
            ("updates", .array(updates.sorted { $0.key < $1.key }.map {
                .object([("address", .string($0.key)), ("tags", .array($0.value.map(JSONValue.string)))])
            })),
        ]
        if replace { members.append(("replace", .bool(true))) }
        let body = Array(JSONValue.object(members).serialized().utf8)
        let response = try client { () throws(HTTPClientError) in
            try connection.request(method: "POST", url: "\(admin)/tags", headers: authorization, body: body, timeout: 10)
        }
        noteAnswer()
        switch response.status {
        case 200..<300:
            condition.lock()
            sequence = next
            condition.unlock()
            sequenceStore(next)
            return response.headers["x-rampart-boot-id"]
        case 409:
            // Someone else (a manager restored from an old backup?) sent a higher number:
            // the failure makes the next attempt a full sync above the firewall's number.
            throw .status(url: "\(admin)/tags", code: 409, message: "sequence \(next) refused as stale: \(response.text.prefix(200))")
        default:
            throw .status(url: "\(admin)/tags", code: response.status, message: String(response.text.prefix(200)))
        }
    }

    // MARK: bookkeeping and logs

    private func noteAnswer() {
        condition.lock()
        lastAnswer = FirewallPusher.monotonic()
        condition.unlock()
    }

    private func noteSuccess() {
        condition.lock()
        state.connected = true
        state.lastError = nil
        let since = failingSince
        let failed = state.failures
        failingSince = nil
        unloggedFailures = 0
        lastFailureLog = -Double.infinity
        condition.unlock()
        if let since {
            log(ManagerLog.line("info", event: "push-recovered", fields: [
                "firewall": .string(name), "failures": .integer(failed),
                "seconds": .number(cFormat("%.1f", FirewallPusher.monotonic() - since)),
            ]))
        }
    }

    private func noteFailure(_ error: KubeError, retryIn delay: Double) {
        let now = FirewallPusher.monotonic()
        condition.lock()
        needsFullSync = true
        resyncReason = "after a failure"
        inSync = false
        state.connected = false
        state.failures += 1
        state.lastError = error.description
        if failingSince == nil { failingSince = now }
        var suppressed = -1
        if now - lastFailureLog >= failureLogInterval {
            suppressed = unloggedFailures
            unloggedFailures = 0
            lastFailureLog = now
        } else {
            unloggedFailures += 1
        }
        let total = state.failures
        condition.unlock()
        guard suppressed >= 0 else { return }
        var status = 0
        if case .status(_, let code, _) = error { status = code }
        log(ManagerLog.line("warning", event: "push-failed", fields: [
            "firewall": .string(name), "admin": .string(admin), "status": .integer(status), "error": .string(error.description),
            "failures": .integer(total), "suppressed": .integer(suppressed), "retryIn": .number(cFormat("%.1f", delay)),
        ]))
    }

    static func monotonic() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// The HTTP client's failure as the pusher reports every failure.
private func client<T>(_ call: () throws(HTTPClientError) -> T) throws(KubeError) -> T {
    do { return try call() } catch { throw KubeError(error) }
}
