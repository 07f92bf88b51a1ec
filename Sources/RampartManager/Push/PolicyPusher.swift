import FoundationEssentials
import RampartJSON
import RampartPOSIX
import RampartHTTP
import RampartKube

/// Keeps one firewall on the policy commit meant for it (the newest of `all` and its
/// groups): `GET /policy` says which commit it runs (and its run's boot id), `PUT /policy`
/// sends the commit's text when it runs another. It asks after every commit and, like the
/// tag pusher, every `checkInterval` when nothing happened, so a firewall that was down or
/// restarted without its `policyState` gets the current commit within that time; a new boot
/// id is checked at once.
///
/// ```swift
/// let pusher = PolicyPusher(name: "fw-1", admin: "http://10.0.0.5:9680", wanted: { try? commits.wanted(groups: []) })
/// NamedThread.start(name: "policy fw-1") { pusher.run(until: stop) }
/// pusher.wake()   // after a commit
/// ```
public final class PolicyPusher: @unchecked Sendable {
    public let name: String
    public let admin: String
    public let checkInterval: Double
    public var authorization: [String] = []
    public var tls: () throws(KubeError) -> TLSSettings? = { nil }
    private let wanted: () -> PolicyCommit?
    private let log: (String) -> Void
    private let condition = Condition()
    private var woken = true

    public struct Status: Sendable {
        /// The commit the firewall said it runs (nil: its file's policy, or not known yet).
        public var runs: String?
        /// The commit meant for it (nil: no commit targets it).
        public var wants: Int?
        public var connected = false
        public var pushes = 0
        public var failures = 0
        /// Commits the firewall refused (422): its errors are in `lastError`.
        public var rejected = 0
        public var lastError: String?
        public var boot: String?
        /// The firewall's `rampart_sessions` gauge at its last check (nil: not read yet, or
        /// its /metrics did not answer; `sessionsError` says why).
        public var sessions: Int?
        /// When `sessions` was read (seconds since 1970).
        public var sessionsReadAt: Double?
        public var sessionsError: String?
        public var inSync: Bool { wants == nil || runs == wants.map(String.init) }
    }
    private var state = Status()
    /// A commit the firewall refused: not sent again until another commit or another run.
    private var refused: (commit: Int, boot: String?)?

    public init(name: String, admin: String, checkInterval: Double = 10, wanted: @escaping () -> PolicyCommit?,
                log: @escaping (String) -> Void = { _ in }) {
        self.name = name
        self.admin = admin.hasSuffix("/") ? String(admin.dropLast()) : admin
        self.checkInterval = checkInterval
        self.wanted = wanted
        self.log = log
    }

    public var status: Status { condition.withLock { state } }

    /// Checks the firewall now (after a commit).
    public func wake() {
        condition.lock()
        woken = true
        condition.signal()
        condition.unlock()
    }

    public func run(until stop: StopSignal) {
        var connection: HTTPConnection?
        var connectionTLS: TLSSettings?
        var backoff = Backoff(initial: 0.2, ceiling: checkInterval)
        while !stop.isStopped {
            condition.lock()
            let deadline = PolicyPusher.monotonic() + checkInterval
            while !woken && !stop.isStopped && PolicyPusher.monotonic() < deadline { _ = condition.wait(seconds: 0.1) }
            woken = false
            condition.unlock()
            if stop.isStopped { break }
            do throws(KubeError) {
                let wantedTLS = try tls()
                if connection == nil || wantedTLS != connectionTLS {
                    connection = try exchange { () throws(HTTPClientError) in try HTTPConnection(tls: wantedTLS, connectTimeout: 2) }
                    connectionTLS = wantedTLS
                }
                guard let connection else { continue }
                try synchronise(over: connection)
                backoff.reset()
            } catch {
                connection = nil
                condition.withLock {
                    state.connected = false
                    state.failures += 1
                    state.lastError = error.description
                    // Unreachable: its sessions are not known now (the last read time stays).
                    state.sessions = nil
                }
                let delay = backoff.next()
                if state.failures == 1 || state.failures % 50 == 0 {
                    log(ManagerLog.line("warning", event: "policy-push-failed", fields: [
                        "firewall": .string(name), "error": .string(error.description), "failures": .integer(state.failures),
                    ]))
                }
                stop.sleep(delay)
                condition.withLock { woken = true }
            }
        }
    }

    private func synchronise(over connection: HTTPConnection) throws(KubeError) {
        let target = wanted()
        let running = try fetch(over: connection)
        let (knownBoot, refusal) = condition.withLock { (state.boot, refused) }
        condition.withLock {
            state.connected = true
            state.runs = running.commit
            state.wants = target?.id
            state.boot = running.boot
        }
        readSessions(over: connection)
        if knownBoot != nil && knownBoot != running.boot {
            log(ManagerLog.line("info", event: "policy-check", fields: [
                "firewall": .string(name), "reason": .string("the firewall restarted (boot id \(knownBoot ?? "none") → \(running.boot ?? "none"))"),
                "runs": running.commit.map(JSONValue.string) ?? .null,
            ]))
        }
        guard let target else { return }
        let digest = PolicyPusher.digest(of: target.text)
        if running.commit == String(target.id) && running.digest == digest {
            condition.withLock { state.lastError = nil }
            return
        }
        if let refusal, refusal.commit == target.id, refusal.boot == running.boot { return }
        let body = Array(JSONValue.object([("commit", .string(String(target.id))), ("policy", .string(target.text))]).serialized().utf8)
        let response = try exchange { () throws(HTTPClientError) in
            try connection.request(method: "PUT", url: "\(admin)/policy", headers: authorization, body: body, timeout: 30)
        }
        switch response.status {
        case 200..<300:
            condition.withLock {
                state.pushes += 1
                state.runs = String(target.id)
                state.lastError = nil
                refused = nil
            }
            log(ManagerLog.line("info", event: "policy-pushed", fields: [
                "firewall": .string(name), "commit": .integer(target.id), "previous": running.commit.map(JSONValue.string) ?? .null,
            ]))
        case 422:
            let errors = (try? JSONValue.parse(response.body))?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? [response.text]
            condition.withLock {
                state.rejected += 1
                state.lastError = "commit \(target.id) rejected: " + errors.joined(separator: "; ")
                refused = (target.id, running.boot)
            }
            log(ManagerLog.line("error", event: "policy-push-rejected", fields: [
                "firewall": .string(name), "commit": .integer(target.id), "errors": .array(errors.map(JSONValue.string)),
            ]))
        default:
            throw .status(url: "\(admin)/policy", code: response.status, message: String(response.text.prefix(300)))
        }
    }

    private func fetch(over connection: HTTPConnection) throws(KubeError) -> (commit: String?, digest: String?, boot: String?) {
        let response = try exchange { () throws(HTTPClientError) in
            try connection.request(url: "\(admin)/policy", headers: authorization, timeout: 5)
        }
        guard response.status == 200 else {
            throw .status(url: "\(admin)/policy", code: response.status, message: String(response.text.prefix(200)))
        }
        guard let object = try? JSONValue.parse(response.body), object["boot"] != nil else {
            throw .malformed(what: "GET \(admin)/policy", detail: "expected {\"commit\", \"digest\", \"boot\"}")
        }
        return (object["commit"]?.stringValue, object["digest"]?.stringValue,
                response.headers["x-rampart-boot-id"] ?? object["boot"]?.stringValue)
    }

    /// Reads the firewall's active sessions from its admin `/metrics` (the same connection and
    /// credentials as `GET /policy`), for each firewall's share in the manager's metrics and
    /// the console. A failure here is noted, not thrown: the policy check still counts.
    private func readSessions(over connection: HTTPConnection) {
        let outcome: Result<Int, KubeError>
        do throws(KubeError) {
            let response = try exchange { () throws(HTTPClientError) in
                try connection.request(url: "\(admin)/metrics", headers: authorization, timeout: 5)
            }
            if response.status != 200 {
                outcome = .failure(.status(url: "\(admin)/metrics", code: response.status, message: String(response.text.prefix(200))))
            } else if let sessions = PolicyPusher.gauge("rampart_sessions", in: response.text) {
                outcome = .success(sessions)
            } else {
                outcome = .failure(.malformed(what: "GET \(admin)/metrics", detail: "no rampart_sessions gauge"))
            }
        } catch {
            outcome = .failure(error)
        }
        let now = Date().timeIntervalSince1970
        condition.withLock {
            switch outcome {
            case .success(let sessions):
                state.sessions = sessions
                state.sessionsReadAt = now
                state.sessionsError = nil
            case .failure(let error):
                state.sessions = nil
                state.sessionsError = error.description
            }
        }
    }

    /// The value of an unlabelled sample `name` in Prometheus text (nil: absent or not a number).
    static func gauge(_ name: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            guard let value = Double(line.dropFirst(name.count + 1).split(separator: " ").first ?? ""), value.isFinite, value >= 0 else { return nil }
            return Int(min(value, Double(Int.max / 2)))
        }
        return nil
    }

    /// The firewall's digest of a policy text (FNV-1a, 64 bits, hex; `PushedPolicy.digest`).
    public static func digest(of text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    static func monotonic() -> Double { FirewallPusher.monotonic() }
}

private func exchange<T>(_ call: () throws(HTTPClientError) -> T) throws(KubeError) -> T {
    do { return try call() } catch { throw KubeError(error) }
}

extension Condition {
    func withLock<T>(_ body: () -> T) -> T {
        lock()
        defer { unlock() }
        return body()
    }
}
