#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import RampartHTTP
import Synchronization
import RampartInspect
import RampartLog
import RampartPOSIX
import RampartWire

/// The firewall's admin API on the shared HTTP server (RampartHTTP), reading published
/// snapshots: `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus text), `POST /reload`
/// (the I/O thread reloads the policy between batches), `POST /tags` (one address's tags, a
/// batch, or a resync of the whole admin map, applied between batches without a reload)
/// and `GET /tags` (where the map stands). With `tokens`, every request needs a bearer
/// token: `POST /tags` the role tag-writer, `POST /reload` policy-writer, reads any role;
/// with `tls` asking for client certificates, a certificate's identity may stand in for a
/// token (its roles from `spec.tls.clientRoles`); with neither, the address must be loopback. The probe listener (`probeListener`) answers
/// `/healthz`, `/readyz` and `/metrics` without credentials, on threads of its own.
///
/// ```swift
/// let admin = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:9680")!, board: board)
/// admin.start()
/// ```
public final class AdminServer: @unchecked Sendable {
    /// Bodies up to 16 MiB: a resync of 5,000 pods with their tags is a few MiB.
    public static let maximumBody = 16 * 1024 * 1024
    /// Requests one kept connection may carry before it is answered `Connection: close`.
    public static let requestsPerConnection = 1000
    /// A kept connection's wait for its next request. Longer than `HTTPConnection`'s reuse
    /// age, so the manager never sends on a connection the firewall is closing.
    public static let idleSeconds = 30.0
    /// This run of the firewall: 128 random bits in hex, new at every start, sent with every
    /// answer (`X-Rampart-Boot-Id`) and in `GET /tags` (`"boot"`). A manager that sees it
    /// change knows the firewall restarted and may have lost its tags, and resends them all.
    public static let bootID: String = {
        var generator = SystemRandomNumberGenerator()
        let words = (generator.next() as UInt64, generator.next() as UInt64)
        return cFormat("%016llx%016llx", words.0, words.1)
    }()
    public let local: SocketAddress
    let board: MetricsBoard
    let server: HTTPServer

    /// What each admin request needs of a token's role.
    public static let permission: @Sendable (String, String) -> HTTPPermission = { method, path in
        switch (method, path) {
        case ("POST", "/tags"): .writeTags
        case ("POST", "/reload"), ("PUT", "/policy"): .writePolicy
        default: HTTPServer.readOnlyByMethod(method, path)
        }
    }

    /// Binds the admin API; `tokens` nil: open, which is refused unless `address` is loopback
    /// or `tls` requires client certificates (callers are then known by their certificates).
    public init(bind address: SocketAddress, board: MetricsBoard, tokens: BearerTokens? = nil, tls: TLSServerContext? = nil,
                limits: HTTPServer.Limits = HTTPServer.Limits(), listeners: HTTPListenerSet = HTTPListenerSet(),
                pushedPolicy: PushedPolicyState? = nil) throws {
        self.board = board
        var limits = limits
        limits.maximumBody = AdminServer.maximumBody
        // The manager pushes tags and policy over one kept connection per firewall (libcurl
        // reuses it): kept open, a push pays no TCP and TLS handshake. Idle connections are
        // bounded like any other and give way to new clients when the limits are full.
        limits.requestsPerConnection = AdminServer.requestsPerConnection
        limits.idleTimeout = AdminServer.idleSeconds
        server = try HTTPServer(
            name: "admin", listen: address.description, access: tokens.map { .tokens($0) } ?? .open, tls: tls, limits: limits,
            hint: "add spec.auth.tokensFile (a file of lines 'ROLE NAME TOKEN', mode 0600) or spec.tls with clientCA and clientRoles (mutual TLS; docs/firewall.md)",
            permission: AdminServer.permission
        ) { request in
            if request.path == "/policy", let pushedPolicy {
                var reply = AdminServer.policyReply(request, state: pushedPolicy, board: board, log: LogWriter(component: "rampart-firewall"))
                reply.headers.append(("X-Rampart-Boot-Id", AdminServer.bootID))
                return reply
            }
            var (status, type, body) = AdminServer.respond(board: board, method: request.method, path: request.path,
                                                           query: request.query, body: String(decoding: request.body, as: UTF8.self))
            if request.path == "/metrics", (200 ..< 300).contains(Int(status.prefix(3)) ?? 0) { body += listeners.prometheusText(prefix: "rampart_admin") }
            var reply = HTTPReply(Int(status.prefix(3)) ?? 500, body, contentType: type)
            reply.headers.append(("X-Rampart-Boot-Id", AdminServer.bootID))
            return reply
        }
        listeners.add(server)
        local = SocketAddress(parsing: server.local.description) ?? address
    }

    /// The unauthenticated, read-only probe listener: `/healthz`, `/readyz`, `/metrics`
    /// (anything else 404, any method but GET and HEAD 405).
    public static func probeListener(bind address: SocketAddress, board: MetricsBoard,
                                     listeners: HTTPListenerSet = HTTPListenerSet()) throws -> HTTPServer {
        let server = try HTTPServer(name: "probes", listen: address.description, access: .probes, limits: .probes) { request in
            guard ["/healthz", "/readyz", "/metrics"].contains(request.path) else {
                return .text(404, "not found; the probe listener serves /healthz, /readyz and /metrics")
            }
            var (status, type, body) = AdminServer.respond(board: board, method: request.method, path: request.path)
            if request.path == "/metrics" { body += listeners.prometheusText(prefix: "rampart_admin") }
            var reply = HTTPReply(Int(status.prefix(3)) ?? 500, body, contentType: type)
            reply.headers.append(("X-Rampart-Boot-Id", AdminServer.bootID))
            return reply
        }
        listeners.add(server)
        return server
    }

    /// Where accepted tag state is saved (nil: not saved), at most every `saveInterval`.
    public var tagStateFile: TagStateFile?
    public var saveIntervalNanoseconds: Int64 = 100_000_000
    /// Where save failures and accepted changes (with the token's name) are reported
    /// (JSON lines on standard error).
    public var log = LogWriter(component: "rampart-firewall")

    /// Set by `stop`: the saving thread ends after its last save.
    private let stopped = Atomic<Bool>(false)

    /// Serves on background threads until `stop`; with a tag state file, a thread of its
    /// own saves accepted updates.
    public func start() {
        let log = self.log
        server.log = { log.info("admin-api", $0) }
        // The generation on disk (or restored) is read before the first request can change it.
        let initialGeneration = board.tagStateCopy.generation
        server.start()
        guard tagStateFile != nil else { return }
        NamedThread.start(name: "rampart-tagsave") { [self] in
            var savedGeneration = initialGeneration
            while !stopped.load(ordering: .acquiring) {
                usleep(useconds_t(max(1_000, saveIntervalNanoseconds / 1_000)))
                if board.tagStateCopy.generation != savedGeneration { savedGeneration = saveTagState() }
            }
        }
    }

    /// Stops taking requests, then saves the tag state once more, so what the last
    /// requests changed is on disk for the next start.
    public func stop() {
        server.stop()
        stopped.store(true, ordering: .releasing)
        if tagStateFile != nil { saveTagState() }
    }

    /// Writes the board's tag state; returns the generation written (on failure too, so a
    /// broken disk is reported once per change, not in a loop).
    @discardableResult
    func saveTagState() -> Int {
        let state = board.tagStateCopy
        guard let file = tagStateFile else { return state.generation }
        do { try file.write(sequence: state.sequence, tags: state.tags) } catch {
            log.error("tag-state-save-failed", "cannot save tag state: \(error)")
        }
        return state.generation
    }

    /// The response for a request (status line text, content type, body).
    public func respond(method: String, path: String, query: [String: String] = [:], body: String = "") -> (String, String, String) {
        AdminServer.respond(board: board, method: method, path: path, query: query, body: body)
    }

    /// The response for a request (status line text, content type, body).
    static func respond(board: MetricsBoard, method: String, path: String, query: [String: String] = [:], body: String = "") -> (String, String, String) {
        let text = "text/plain; charset=utf-8"
        let json = "application/json"
        switch (method, path) {
        case ("GET", "/healthz"):
            return ("200 OK", text, "ok\n")
        case ("GET", "/readyz"):
            guard board.snapshot.ready else { return ("503 Service Unavailable", text, "not ready\n") }
            guard board.tagsReady else {
                return ("503 Service Unavailable", text, "not ready: waiting for the manager's first whole tag map (spec.readyAfterTags)\n")
            }
            return ("200 OK", text, "ready\n")
        case ("GET", "/metrics"):
            return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", board.prometheusText)
        case ("POST", "/reload"):
            // The answer says what happened (issue 19: 202 for a reload the workers then
            // rejected told the caller nothing).
            let generation = board.requestReload()
            guard let results = board.reloadOutcome(generation: generation) else {
                return ("202 Accepted", text, "reload requested; not every worker has answered within \(Int(board.reloadWaitSeconds)) s, see the firewall's log and rampart_policy_reloads_total\n")
            }
            if let rejected = results.first(where: { $0.error != nil }) {
                return ("422 Unprocessable Content", text, "reload rejected, the running policy stays:\n\(rejected.error ?? "")\n")
            }
            return ("200 OK", text, "reloaded: \(results.first?.rules ?? 0) rules\n")
        case ("POST", "/tags"):
            let batch: TagBatch
            do { batch = try TagBatch(json: body) } catch { return ("400 Bad Request", text, "\(error)\n") }
            switch board.offer(batch) {
            case .accepted: break
            case .stale:
                return ("409 Conflict", json, "{\"error\": \"sequence \(batch.sequence) is not above the last accepted one: stale or duplicate\", \"sequence\": \(board.lastTagSequence)}\n")
            case .tooManyAddresses(let count):
                // Logged where the daemon's lines go (standard error): a full map is an event.
                LogWriter(component: "rampart-firewall").warning("tag-batch-refused", "tag batch \(batch.sequence) refused: the admin tag map would hold \(count) addresses, the limit is \(board.maxTaggedAddresses) (spec.maxTaggedAddresses)")
                return ("507 Insufficient Storage", json, "{\"error\": \"the admin tag map would hold \(count) addresses; this firewall holds at most \(board.maxTaggedAddresses) (spec.maxTaggedAddresses); nothing of the batch was applied\", \"sequence\": \(board.lastTagSequence)}\n")
            }
            if !batch.replace, batch.updates.count == 1, let update = batch.updates.first, body.contains("\"address\"") && !body.contains("\"updates\"") {
                return ("202 Accepted", text, "tags for \(update.address) queued (sequence \(update.sequence))\n")
            }
            return ("202 Accepted", json, "{\"sequence\": \(batch.sequence), \"updates\": \(batch.updates.count), \"replace\": \(batch.replace)}\n")
        case ("GET", "/tags"):
            if let asked = query["address"] {
                guard let address = IPAddress(asked) else { return ("400 Bad Request", text, "address must be an IPv4 or IPv6 address\n") }
                let tags = board.adminTags(of: address) ?? []
                let list = tags.map { TagBatch.quote($0.description) }.joined(separator: ", ")
                return ("200 OK", json, "{\"sequence\": \(board.lastTagSequence), \"address\": \"\(address)\", \"tags\": [\(list)]}\n")
            }
            let summary = board.tagSummary
            return ("200 OK", json, "{\"sequence\": \(summary.sequence), \"addresses\": \(summary.addresses), \"boot\": \"\(AdminServer.bootID)\"}\n")
        case (_, "/healthz"), (_, "/readyz"), (_, "/metrics"), (_, "/reload"), (_, "/tags"):
            return ("405 Method Not Allowed", text, "method not allowed\n")
        default:
            return ("404 Not Found", text, "not found\n")
        }
    }
}
