import FoundationEssentials
import RampartHTTP
import RampartPOSIX
import RampartJSON

/// The web console (docs/console.md), served by the manager's HTTP server on its own
/// listener (`spec.console.listen`):
///
/// | route | answer |
/// |---|---|
/// | `GET /console/login` | the sign-in page |
/// | `GET /console/`, `/console/workload`, `/console/policy`, `/console/logs`, `/console/firewalls`, `/console/logins` | the application (signed in), else a redirect to the sign-in page |
/// | `GET /console/app.js`, `/console/app.css` | its script and style |
/// | `POST /console/api/login` | `{"user","password"}` with the sign-in CSRF token: a session cookie |
/// | `POST /console/api/logout` | ends the session |
/// | `GET /console/api/session` | who is signed in, their role and the session's CSRF token |
/// | `GET /console/api/map?ns=&app=&minutes=` | clusters → namespaces → workloads, edges of the last `minutes` |
/// | `GET /console/api/events?ns=&app=&minutes=` | the same as server-sent events |
/// | `GET /console/api/workload?id=CLUSTER/NS/NAME[&at=TIME][&minutes=N]` | its pods, addresses, tags now and at TIME, edges, rules with hits |
/// | `GET /console/api/logs?…` | the log store searched with `GET /logs`'s criteria (`ConsoleAPI+Logs.swift`) |
/// | `…/console/api/policy…` | rules with hits, commits, validate and commit (`ConsoleAPI+Policy.swift`) |
/// | `GET /console/api/firewalls` | each firewall: name, admin, reachable, commit, sessions, share, readAt |
/// | `GET /console/api/logins` | the newest logins and failures (admin) |
///
/// Requests are authenticated by the session cookie (every state-changing one also by the
/// session's CSRF token in `X-CSRF-Token`), or by a bearer token of the API's tokens file
/// (automation; no CSRF, since no browser sends it by itself).
///
/// ```swift
/// let console = ConsoleAPI(manager: manager, users: try ConsoleUsers.load(path: "users"), logins: try LoginLog(path: "state.sqlite"))
/// let server = try console.listener(address: "127.0.0.1:9693", tokens: nil)
/// server.start()
/// ```
public final class ConsoleAPI: @unchecked Sendable {
    public let manager: Manager
    public let users: ConsoleUsers
    public let sessions: SessionTable
    let logins: LoginLog
    let clock: @Sendable () -> Double
    let log: @Sendable (String) -> Void
    /// The log store's flow summaries since a time; nil: no log store, so no edges.
    public var flows: (@Sendable (Double) -> [FlowSummary])?
    /// The log store's per-minute sums (preferred over `flows` when set).
    public var flowWindow: FlowAggregates?
    public var flowMinutes: Int
    /// Consecutive failures per user name, and until when it is locked.
    private var failures: [String: (count: Int, lockedUntil: Double)] = [:]
    private let lock = Lock()
    /// Set while the flow sums cannot be read (one log line per outage).
    private var flowsFailing = false
    static let sessionCookie = "rampart_session"
    static let loginCookie = "rampart_login"
    /// After this many consecutive failures a name is refused for `lockSeconds`.
    static let failureLimit = 5
    static let lockSeconds = 30.0

    public init(manager: Manager, users: ConsoleUsers, logins: LoginLog, sessionIdle: Double = 1800, sessionLifetime: Double = 28800,
                flowMinutes: Int = 15, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.manager = manager
        self.users = users
        self.logins = logins
        self.sessions = SessionTable(idle: sessionIdle, lifetime: sessionLifetime)
        self.flowMinutes = flowMinutes
        self.clock = clock
        self.log = log
    }

    /// The console's listener: plain HTTP only on loopback (behind a TLS proxy), else `tls`.
    public func listener(address: String, tokens: BearerTokens?, tls: TLSServerContext? = nil) throws(HTTPConfigurationError) -> HTTPServer {
        guard let parsed = ListenAddress(address) else {
            throw HTTPConfigurationError("console: listen address '\(address)' must be IP:port, e.g. 127.0.0.1:9693")
        }
        if tls == nil, !parsed.isLoopback {
            throw HTTPConfigurationError("console on \(address) would send passwords and session cookies in clear: set spec.tls, or listen on 127.0.0.1 behind a TLS proxy")
        }
        var limits = HTTPServer.Limits()
        limits.maximumBody = 64 * 1024
        return try HTTPServer(name: "console", listen: address, access: .application(tokens), tls: tls, limits: limits,
                              permission: { _, _ in .read }, handler: { [self] request in handle(request) })
    }

    // MARK: routing

    public func handle(_ request: HTTPRequest) -> HTTPReply {
        var reply = route(request)
        reply.headers += [
            ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
            ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"), ("X-Frame-Options", "DENY"),
            ("Cache-Control", "no-store"),
        ]
        return reply
    }

    func route(_ request: HTTPRequest) -> HTTPReply {
        let path = request.path
        if request.method == "GET" || request.method == "HEAD" {
            switch path {
            case "/", "/console": return redirect("/console/")
            case "/console/login": return loginPage(request)
            case "/console/app.js": return HTTPReply(200, ConsoleAssets.script, contentType: "text/javascript; charset=utf-8")
            case "/console/app.css": return HTTPReply(200, ConsoleAssets.style, contentType: "text/css; charset=utf-8")
            case "/console/", "/console/workload", "/console/policy", "/console/logs", "/console/logins", "/console/firewalls":
                guard caller(request) != nil else { return redirect("/console/login") }
                return HTTPReply(200, ConsoleAssets.application, contentType: "text/html; charset=utf-8")
            default: break
            }
        }
        guard path.hasPrefix("/console/api/") else { return .error(404, "no such page; the console is at /console/") }
        if request.method == "POST" && path == "/console/api/login" { return login(request) }
        guard let who = caller(request) else {
            return .error(401, "sign in at /console/login (or send a bearer token of the API's tokens file)")
        }
        if request.method != "GET" && request.method != "HEAD" {
            if let refusal = csrfRefusal(request, who) { return refusal }
        }
        if path == "/console/api/policy" || path.hasPrefix("/console/api/policy/") { return policyRoute(request, who) }
        switch (request.method, path) {
        case ("POST", "/console/api/logout"):
            if let id = who.session { sessions.close(id) }
            audit(who.name, request, "logout", "")
            var reply = HTTPReply(200, "{\"signedOut\":true}\n")
            reply.headers.append(("Set-Cookie", "\(ConsoleAPI.sessionCookie)=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict"))
            return reply
        case ("GET", "/console/api/session"):
            return json(SessionAnswer(user: who.name, role: who.role.rawValue, csrf: who.csrf ?? "", flowMinutes: flowMinutes))
        case ("GET", "/console/api/map"):
            return json(map(request))
        case ("GET", "/console/api/events"):
            return events(request)
        case ("GET", "/console/api/workload"):
            return workload(request)
        case ("GET", "/console/api/logs"):
            return logs(request)
        case ("GET", "/console/api/firewalls"):
            // Each firewall's sessions and share (FirewallShares); any role may read it.
            return json(manager.policy.map { FirewallShares.of($0.pushers) } ?? [])
        case ("GET", "/console/api/logins"):
            guard who.role >= .admin else { return .error(403, "'\(who.name)' (\(who.role.rawValue)) may not read the login audit: it needs the admin role") }
            do { return json(try logins.recent(limit: min(1000, Int(request.query["limit"] ?? "") ?? 200)).map(LoginLine.init)) } catch {
                return .error(500, error.description)
            }
        default:
            return .error(request.method == "GET" ? 404 : 405, "no such console route: \(request.method) \(path)")
        }
    }

    // MARK: who is asking

    struct Caller {
        var name: String
        var role: ConsoleRole
        /// The session id and CSRF token; nil for a bearer token.
        var session: String?
        var csrf: String?
    }

    func caller(_ request: HTTPRequest) -> Caller? {
        if let principal = request.principal {
            let role: ConsoleRole = principal.roles.contains(.policyWriter) ? .operator : .viewer
            return Caller(name: principal.name, role: role)
        }
        guard let id = ConsoleAPI.cookie(ConsoleAPI.sessionCookie, in: request), let session = sessions.find(id, now: clock()) else { return nil }
        return Caller(name: session.user, role: session.role, session: session.id, csrf: session.csrf)
    }

    /// Cookie sessions must send the session's CSRF token, and a browser's Origin (when it
    /// sends one) must be this console's; bearer tokens need neither.
    func csrfRefusal(_ request: HTTPRequest, _ who: Caller) -> HTTPReply? {
        guard let expected = who.csrf else { return nil }
        if let refusal = originRefusal(request) { return refusal }
        guard let sent = request.headers["x-csrf-token"], ConsoleAPI.same(sent, expected) else {
            return .error(403, "missing or wrong CSRF token: send the session's token (GET /console/api/session) in X-CSRF-Token")
        }
        return nil
    }

    func originRefusal(_ request: HTTPRequest) -> HTTPReply? {
        guard let origin = request.headers["origin"] else { return nil }
        let host = request.headers["host"] ?? ""
        guard origin == "https://\(host)" || origin == "http://\(host)" else {
            return .error(403, "cross-origin request from \(origin) refused")
        }
        return nil
    }

    // MARK: signing in

    func loginPage(_ request: HTTPRequest) -> HTTPReply {
        // Double-submit token for the sign-in itself (login CSRF): a cookie the page's script
        // echoes in X-CSRF-Token; another site can neither read the cookie nor set the header.
        let token = ConsoleAPI.cookie(ConsoleAPI.loginCookie, in: request) ?? PasswordHash.hex(PasswordHash.randomBytes(16))
        var reply = HTTPReply(200, ConsoleAssets.loginPage, contentType: "text/html; charset=utf-8")
        reply.headers.append(("Set-Cookie", "\(ConsoleAPI.loginCookie)=\(token); Path=/console/; Secure; SameSite=Strict"))
        return reply
    }

    func login(_ request: HTTPRequest) -> HTTPReply {
        if let refusal = originRefusal(request) { return refusal }
        guard let cookie = ConsoleAPI.cookie(ConsoleAPI.loginCookie, in: request), let sent = request.headers["x-csrf-token"],
              ConsoleAPI.same(cookie, sent) else {
            return .error(403, "missing or wrong sign-in CSRF token: load /console/login first and sign in from it")
        }
        guard let body = try? JSONValue.parse(request.body), let name = body["user"]?.stringValue, let password = body["password"]?.stringValue,
              !name.isEmpty, name.utf8.count <= 256, password.utf8.count <= 4096 else {
            return .error(400, "send {\"user\": NAME, \"password\": PASSWORD} as JSON")
        }
        let now = clock()
        let locked = lock.withLock { (failures[name]?.lockedUntil ?? 0) > now }
        if locked {
            audit(name, request, "login-failed", "locked after \(ConsoleAPI.failureLimit) failures")
            return .error(429, "too many failed sign-ins for '\(name)'; wait \(Int(ConsoleAPI.lockSeconds)) s")
        }
        guard let user = users.authenticate(name: name, password: password) else {
            lock.withLock {
                var entry = failures[name] ?? (0, 0)
                entry.count += 1
                if entry.count >= ConsoleAPI.failureLimit {
                    entry = (0, now + ConsoleAPI.lockSeconds)
                }
                // Bounded: names that never existed do not pile up without limit.
                if failures.count > 10_000 { failures = failures.filter { $0.value.lockedUntil > now } }
                failures[name] = entry
            }
            audit(name, request, "login-failed", users.users[name] == nil ? "unknown user" : "wrong password")
            return .error(401, "wrong user name or password")
        }
        lock.withLock { failures[name] = nil }
        let session = sessions.open(user: user.name, role: user.role, now: now)
        audit(user.name, request, "login", user.role.rawValue)
        var reply = json(SessionAnswer(user: user.name, role: user.role.rawValue, csrf: session.csrf, flowMinutes: flowMinutes))
        reply.headers.append(("Set-Cookie", "\(ConsoleAPI.sessionCookie)=\(session.id); Path=/; Max-Age=\(Int(sessions.lifetime)); Secure; HttpOnly; SameSite=Strict"))
        return reply
    }

    func audit(_ user: String, _ request: HTTPRequest, _ event: String, _ detail: String) {
        let record = LoginRecord(time: clock(), user: user, client: request.client, event: event, detail: detail)
        do throws(StoreError) { try logins.record(record) } catch {
            log(ManagerLog.line("error", event: "audit", message: "cannot record \(event) of \(user): \(error)"))
        }
        log(ManagerLog.line(event == "login-failed" ? "warning" : "info", event: event,
                            message: "\(user) from \(request.client)\(detail.isEmpty ? "" : ": " + detail)"))
    }

    // MARK: the map and workloads

    func map(_ request: HTTPRequest) -> ClusterMap {
        let since = clock() - Double(minutes(request, default: flowMinutes)) * 60
        let ns = request.query["ns"].flatMap { $0.isEmpty ? nil : $0 }
        let app = request.query["app"].flatMap { $0.isEmpty ? nil : $0 }
        return ClusterMap(addresses: manager.addressMap(), flows: summaries(since: since), namespace: ns, application: app)
    }

    /// `?minutes=N` (1 to 1440), else `fallback`.
    func minutes(_ request: HTTPRequest, default fallback: Int) -> Int {
        guard let text = request.query["minutes"], let value = Int(text) else { return fallback }
        return min(max(value, 1), Int(FlowAggregates.horizonMinutes))
    }

    /// The connections since `since`; nil without a log store.
    func summaries(since: Double) -> [FlowSummary]? {
        guard let flowWindow else { return flows.map { $0(since) } }
        do throws(StoreError) {
            let summaries = try flowWindow.summaries(since: since, now: clock())
            if lock.withLock({ () -> Bool in defer { flowsFailing = false }; return flowsFailing }) {
                log(ManagerLog.line("info", event: "console-flows", message: "the log store's flows are read again"))
            }
            return summaries
        } catch {
            // One line while the store cannot be read (a PostgreSQL server down), not one per page refresh.
            if !lock.withLock({ () -> Bool in defer { flowsFailing = true }; return flowsFailing }) {
                log(ManagerLog.line("error", event: "console-flows", message: "cannot sum the log store's flows: \(error); the map shows no connections until it answers"))
            }
            return []
        }
    }

    /// Server-sent events: the map whenever it changed since the `Last-Event-ID` the browser
    /// sends back. The HTTP server answers whole replies, so each answer ends the stream and
    /// the browser's EventSource reconnects after `retry` (2 s) — a change shows within 2 s
    /// without holding a worker thread per open page.
    func events(_ request: HTTPRequest) -> HTTPReply {
        guard let body = try? encode(map(request)) else { return .error(500, "cannot encode the map") }
        let version = ConsoleAPI.fnv(body)
        let last = request.headers["last-event-id"] ?? request.query["lastEventId"]
        let text = last == version ? "retry: 2000\n: unchanged\n\n" : "retry: 2000\nid: \(version)\nevent: map\ndata: \(body)\n\n"
        return HTTPReply(200, text, contentType: "text/event-stream")
    }

    struct PodLine: Encodable {
        var name: String
        var addresses: [String]
        var node: String?
        var tags: [String]
        /// Tags at `at` from the audit log; nil when no time was asked.
        var tagsThen: [String]?
    }

    struct WorkloadAnswer: Encodable {
        var id: String
        var cluster: String
        var namespace: String
        var name: String
        var at: String?
        var pods: [PodLine]
        var edges: [ClusterMap.Edge]
        var minutes: Int
        /// The rules that decided its connections in the window, with their hits.
        var rules: [RuleLine]
    }

    func workload(_ request: HTTPRequest) -> HTTPReply {
        guard let id = request.query["id"] else { return .error(400, "give ?id=CLUSTER/NAMESPACE/WORKLOAD") }
        let parts = id.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return .error(400, "id must be CLUSTER/NAMESPACE/WORKLOAD") }
        var at: Double?
        if let text = request.query["at"], !text.isEmpty {
            guard let time = ManagerAPI.time(text) else { return .error(400, "at must be RFC 3339 (2026-11-23T14:02:00Z) or Unix seconds") }
            at = time
        }
        var pods: [String: PodLine] = [:]
        for (address, entry) in manager.addressMap() where entry.cluster == parts[0] && entry.tags.contains("kind:pod") && entry.tags.contains("ns:\(parts[1])") {
            guard let pod = entry.tags.first(where: { $0.hasPrefix("pod:") })?.dropFirst(4) else { continue }
            let podName = String(pod.split(separator: "/").last ?? "")
            let workload = entry.tags.first(where: { $0.hasPrefix("workload:") }).map { String($0.dropFirst(9)) } ?? podName
            guard workload == parts[2] else { continue }
            var line = pods[podName] ?? PodLine(name: podName, addresses: [], node: entry.tags.first(where: { $0.hasPrefix("node:") }).map { String($0.dropFirst(5)) },
                                                tags: entry.tags.sorted(), tagsThen: at == nil ? nil : [])
            line.addresses.append(address)
            line.addresses.sort()
            if let at, let record = try? manager.audit(address: address, at: at) {
                line.tagsThen = Array(Set((line.tagsThen ?? []) + record.tags)).sorted()
            }
            pods[podName] = line
        }
        let minutes = self.minutes(request, default: flowMinutes)
        let map = self.map(HTTPRequest(method: "GET", path: "/", query: ["minutes": String(minutes)]))
        let edges = map.edges.filter { $0.from == id || $0.to == id }
        // Its ends as the sums name them: its id, or its pods' addresses.
        let ends = Set([id] + pods.values.flatMap(\.addresses))
        let rules = ConsoleAPI.ruleLines(policy: nil, hits: ruleHits(since: clock() - Double(minutes) * 60, involving: ends))
        return json(WorkloadAnswer(id: id, cluster: parts[0], namespace: parts[1], name: parts[2], at: at.map(ManagerAPI.format),
                                   pods: pods.values.sorted { $0.name < $1.name }, edges: edges, minutes: minutes, rules: rules))
    }

    // MARK: helpers

    struct SessionAnswer: Encodable {
        var user: String
        var role: String
        var csrf: String
        var flowMinutes: Int
    }

    struct LoginLine: Encodable {
        var time: String
        var user: String
        var client: String
        var event: String
        var detail: String
        init(_ record: LoginRecord) {
            time = ManagerAPI.format(record.time)
            user = record.user
            client = record.client
            event = record.event
            detail = record.detail
        }
    }

    func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    func json<T: Encodable>(_ value: T) -> HTTPReply {
        guard let text = try? encode(value) else { return .error(500, "cannot encode the answer") }
        return HTTPReply(200, text + "\n")
    }

    func redirect(_ location: String) -> HTTPReply {
        var reply = HTTPReply(302, "", contentType: "text/plain")
        reply.headers.append(("Location", location))
        return reply
    }

    static func cookie(_ name: String, in request: HTTPRequest) -> String? {
        guard let header = request.headers["cookie"] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].filter({ $0 != " " }) == name { return pair[1].filter { $0 != " " } }
        }
        return nil
    }

    /// Equal, in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// FNV-1a of the text, hex: the map's version for server-sent events.
    static func fnv(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }
}
