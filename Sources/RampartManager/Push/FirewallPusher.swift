import FoundationEssentials
import RampartJSON
import RampartPOSIX
import RampartKube

/// Keeps one firewall's address→tag map equal to the manager's: incremental batches as
/// tags change, a full replace after every (re)connection, and sequence numbers above
/// every one the firewall accepted, so it never applies stale state.
///
/// The wire format is the firewall's admin API (docs/firewall.md): `POST /tags` with
/// `{"sequence": n, "updates": [...]}` (or `"replace": true`), `GET /tags` for its last
/// accepted sequence.
///
/// ```swift
/// let pusher = FirewallPusher(name: "fw-1", admin: "http://10.0.0.5:9680", snapshot: { manager.merged })
/// NamedThread.start(name: "push fw-1") { pusher.run(until: stop) }
/// pusher.enqueue([AddressUpdate(cluster: "prod", address: "10.244.1.7", tags: ["ns:shop"], reason: "...")])
/// ```
public final class FirewallPusher: @unchecked Sendable {
    public let name: String
    public let admin: String
    /// Header lines sent with every request (`Authorization: Bearer ...` for a firewall whose
    /// admin API wants a tag-writer token); set before `run`.
    public var authorization: [String] = []
    private let snapshot: () -> [String: [String]]
    private let sequenceStore: (UInt64) -> Void
    private let onAcknowledged: ([String], Double) -> Void

    private let condition = Condition()
    private var pending: [String: [String]] = [:]
    /// When each pending address was first queued, for the push-latency histogram.
    private var queuedAt: [String: Double] = [:]
    private var needsFullSync = true
    private var sequence: UInt64

    public struct Status: Sendable {
        public var connected: Bool
        public var sequence: UInt64
        public var lastError: String?
        public var pushes: Int
        public var fullSyncs: Int
        public var addressesSent: Int
        public var failures: Int
        public var pending: Int
    }
    private var state = Status(connected: false, sequence: 0, lastError: nil, pushes: 0, fullSyncs: 0, addressesSent: 0, failures: 0, pending: 0)
    public let latency = LatencyHistogram()

    /// - Parameters:
    ///   - sequence: the last sequence sent to this firewall (from the store).
    ///   - onAcknowledged: the addresses a push carried and when the firewall accepted it.
    public init(
        name: String, admin: String, sequence: UInt64 = 0, snapshot: @escaping () -> [String: [String]],
        sequenceStore: @escaping (UInt64) -> Void = { _ in },
        onAcknowledged: @escaping ([String], Double) -> Void = { _, _ in }
    ) {
        self.name = name
        self.admin = admin.hasSuffix("/") ? String(admin.dropLast()) : admin
        self.sequence = sequence
        self.snapshot = snapshot
        self.sequenceStore = sequenceStore
        self.onAcknowledged = onAcknowledged
    }

    public var status: Status {
        condition.lock()
        defer { condition.unlock() }
        var now = state
        now.sequence = sequence
        now.pending = pending.count
        return now
    }

    /// Queues changes; the latest tags of an address replace any not yet sent.
    public func enqueue(_ updates: [AddressUpdate], at time: Double = Date().timeIntervalSince1970) {
        condition.lock()
        for update in updates {
            pending[update.address] = update.tags
            if queuedAt[update.address] == nil { queuedAt[update.address] = time }
        }
        condition.signal()
        condition.unlock()
    }

    /// Sends the whole map at the next chance (after a firewall restart, say).
    public func requestFullSync() {
        condition.lock()
        needsFullSync = true
        condition.signal()
        condition.unlock()
    }

    /// Pushes until `stop`; blocking.
    public func run(until stop: StopSignal, batchWindow: Double = 0.005) {
        var backoff = Backoff(initial: 0.1, ceiling: 10)
        var connection: HTTPConnection?
        while !stop.isStopped {
            condition.lock()
            while pending.isEmpty && !needsFullSync && !stop.isStopped {
                condition.wait(seconds: 0.1)
            }
            condition.unlock()
            if stop.isStopped { break }
            // A short window gathers a burst into one request.
            stop.sleep(batchWindow)
            do throws(KubeError) {
                if connection == nil { connection = try HTTPConnection(connectTimeout: 2) }
                guard let connection else { continue }
                try push(over: connection)
                backoff.reset()
            } catch {
                connection = nil
                let delay = backoff.next()
                condition.lock()
                needsFullSync = true
                state.connected = false
                state.failures += 1
                state.lastError = error.description
                condition.unlock()
                stop.sleep(delay)
            }
        }
    }

    private func push(over connection: HTTPConnection) throws(KubeError) {
        condition.lock()
        let full = needsFullSync
        let batch = pending
        let queued = queuedAt
        pending = [:]
        queuedAt = [:]
        needsFullSync = false
        condition.unlock()
        do throws(KubeError) {
            if full {
                let firewallSequence = try fetchSequence(over: connection)
                if firewallSequence > sequence { sequence = firewallSequence }
                // The snapshot already holds every pending change.
                try send(over: connection, updates: snapshot(), replace: true)
                condition.lock()
                state.fullSyncs += 1
                condition.unlock()
            } else if !batch.isEmpty {
                try send(over: connection, updates: batch, replace: false)
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
        state.connected = true
        state.lastError = nil
        state.pushes += 1
        state.addressesSent += full ? 0 : batch.count
        condition.unlock()
    }

    private func fetchSequence(over connection: HTTPConnection) throws(KubeError) -> UInt64 {
        let response = try connection.request(url: "\(admin)/tags", headers: authorization, timeout: 5)
        guard response.status == 200 else {
            throw .status(url: "\(admin)/tags", code: response.status, message: String(response.text.prefix(200)))
        }
        guard let object = try? JSONValue.parse(response.body), let number = object["sequence"]?.integer(Int64.self) else {
            throw .malformed(what: "GET \(admin)/tags", detail: "expected {\"sequence\": n, ...} with n an integer")
        }
        return UInt64(max(0, number))
    }

    private func send(over connection: HTTPConnection, updates: [String: [String]], replace: Bool) throws(KubeError) {
        let next = sequence + 1
        var members: [(String, JSONValue)] = [
            ("sequence", .integer(next)),
            ("updates", .array(updates.sorted { $0.key < $1.key }.map {
                .object([("address", .string($0.key)), ("tags", .array($0.value.map(JSONValue.string)))])
            })),
        ]
        if replace { members.append(("replace", .bool(true))) }
        let body = Array(JSONValue.object(members).serialized().utf8)
        let response = try connection.request(method: "POST", url: "\(admin)/tags", headers: authorization, body: body, timeout: 10)
        switch response.status {
        case 200..<300:
            sequence = next
            sequenceStore(next)
        case 409:
            // Someone else (a manager restored from an old backup?) sent a higher number:
            // learn it and resend everything.
            throw .status(url: "\(admin)/tags", code: 409, message: "sequence \(next) refused as stale: \(response.text.prefix(200))")
        default:
            throw .status(url: "\(admin)/tags", code: response.status, message: String(response.text.prefix(200)))
        }
    }
}
