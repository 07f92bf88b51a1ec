import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The one HTTP/1.1 server of the three daemons (firewall admin API and probes, manager API
/// and probes, node agent metrics): one request per connection, `Content-Length` bodies,
/// every answer `Connection: close`.
///
/// **Shape.** One poll-loop thread owns every socket: it accepts, reads heads and bodies,
/// checks limits, deadlines and the caller's token, and writes answers, all non-blocking,
/// so an idle or slow client costs a descriptor and a buffer, never a thread. Complete
/// requests go to a small pool of worker threads (`Limits.workers`) that run the service's
/// handler and hand the answer back to the loop. A slow handler delays other requests of
/// the same listener only; probes get a listener (and threads) of their own.
///
/// **Limits** (`Limits`): connections in total and per client address (beyond either: a
/// `503` and close at once), the head within `headerTimeout` of the accept (a client that
/// drips a byte a second is cut there with `408`), the whole request within
/// `requestTimeout`, the answer written within `writeTimeout`, head and body sizes (`431`,
/// `413`) and the body bytes buffered by all connections together (`503`).
///
/// **Access** (`Access`): a probe listener serves GET and HEAD without credentials; an API
/// listener demands a bearer token (`401` without one, `403` for the wrong role) or, only
/// when bound to loopback, runs open. Every accepted change (a 2xx answer to a request
/// that needed a write permission) is logged with the token's name.
///
/// ```swift
/// let server = try HTTPServer(name: "api", listen: "127.0.0.1:0", access: .open) { request in
///     HTTPReply(200, "ok\n", contentType: "text/plain")
/// }
/// server.start()
/// print(server.local)     // 127.0.0.1:40123
/// ```
public final class HTTPServer: @unchecked Sendable {
    public struct Limits: Sendable {
        public var connections = 256
        public var connectionsPerClient = 32
        public var headerTimeout = 5.0
        public var requestTimeout = 60.0
        public var writeTimeout = 10.0
        public var maximumHead = 64 * 1024
        public var maximumBody = 16 * 1024 * 1024
        /// Body bytes all connections may hold at once (declared lengths are reserved).
        public var maximumBufferedBody = 64 * 1024 * 1024
        public var workers = 2
        public init() {}

        /// For a probe listener: GET only, small heads, one worker.
        public static var probes: Limits {
            var limits = Limits()
            limits.connections = 64
            limits.connectionsPerClient = 16
            limits.headerTimeout = 2
            limits.requestTimeout = 2
            limits.maximumHead = 8 * 1024
            limits.maximumBody = 0
            limits.maximumBufferedBody = 0
            limits.workers = 1
            return limits
        }
    }

    public enum Access: Sendable {
        /// Read-only, unauthenticated: GET and HEAD only, anywhere.
        case probes
        /// No authentication: refused unless the address is loopback.
        case open
        /// Every request needs one of these tokens, with a role that allows it.
        case tokens(BearerTokens)
    }

    /// What happened to connections, by name; read with `counters`.
    public struct Counters: Sendable, Equatable {
        public var accepted = 0
        public var served = 0
        public var refusedFull = 0
        public var refusedPerClient = 0
        public var refusedBusy = 0
        public var headerTimeouts = 0
        public var requestTimeouts = 0
        public var writeTimeouts = 0
        public var malformed = 0
        public var unauthorized = 0
        public var forbidden = 0
    }

    public let name: String
    /// The address bound (port 0 resolved).
    public let local: ListenAddress
    public var port: UInt16 { local.port }
    public let limits: Limits
    let access: Access
    let handler: @Sendable (HTTPRequest) -> HTTPReply
    let permission: @Sendable (_ method: String, _ path: String) -> HTTPPermission
    /// Where accepted changes and refused roles are reported (set before `start`).
    public var log: @Sendable (String) -> Void = { StandardError.write($0 + "\n") }

    private let listener: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let inbox = Condition()
    private var jobs: [Job] = []
    private var finished: [(UInt64, [UInt8])] = []
    private var stopping = false
    private let counterLock = Lock()
    private var counts = Counters()

    /// Binds `listen` (`IP:port`); `permission` says what each method and path needs (by
    /// default: GET and HEAD read, anything else `writePolicy`, the strictest). Throws when
    /// the address is wrong, the port taken, or an `.open` listener is not on loopback —
    /// `hint` then says which setting to add (e.g. "add spec.auth.tokensFile").
    public init(name: String, listen: String, access: Access, limits: Limits = Limits(), hint: String = "configure bearer tokens",
                permission: @escaping @Sendable (_ method: String, _ path: String) -> HTTPPermission = HTTPServer.readOnlyByMethod,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPReply) throws(HTTPConfigurationError) {
        guard let address = ListenAddress(listen) else {
            throw HTTPConfigurationError("\(name): listen address '\(listen)' must be IP:port, e.g. 127.0.0.1:9680 or [::1]:9680")
        }
        if case .open = access, !address.isLoopback {
            throw HTTPConfigurationError("\(name) on \(address) would accept anyone's requests: the address is not loopback and no tokens are configured; \(hint), or listen on 127.0.0.1")
        }
        let (fd, port) = try address.bindListening(backlog: 1024)
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            close(fd)
            throw HTTPConfigurationError("\(name): cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        var local = address
        local.port = port
        self.name = name
        self.local = local
        self.limits = limits
        self.access = access
        self.permission = permission
        self.handler = handler
        listener = fd
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
    }

    /// GET and HEAD read; any other method needs the strictest permission.
    public static let readOnlyByMethod: @Sendable (String, String) -> HTTPPermission = { method, _ in
        method == "GET" || method == "HEAD" ? .read : .writePolicy
    }

    public var counters: Counters { counterLock.withLock { counts } }
    private func count(_ change: (inout Counters) -> Void) { counterLock.withLock { change(&counts) } }

    /// Starts the poll loop and the workers. Returns at once.
    public func start() {
        NamedThread.start(name: "\(name)-http") { [self] in runLoop() }
        for index in 0 ..< max(1, limits.workers) {
            NamedThread.start(name: "\(name)-w\(index)") { [self] in runWorker() }
        }
    }

    /// Stops accepting, closes every connection and lets the workers finish their request.
    public func stop() {
        inbox.lock()
        stopping = true
        inbox.broadcast()
        inbox.unlock()
        wake()
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: workers

    struct Job {
        var id: UInt64
        var request: HTTPRequest
        var permission: HTTPPermission
        var headOnly: Bool
    }

    private func runWorker() {
        while true {
            inbox.lock()
            while jobs.isEmpty && !stopping { inbox.wait(seconds: 1) }
            if stopping { inbox.unlock(); return }
            let job = jobs.removeFirst()
            inbox.unlock()
            let reply = handler(job.request)
            if job.permission != .read, (200 ..< 300).contains(reply.status) {
                let who = job.request.principal?.name ?? "anonymous"
                log("\(name): \(job.request.method) \(job.request.path) accepted (\(reply.status)) from \(who) at \(job.request.client)")
            }
            inbox.lock()
            finished.append((job.id, reply.serialized(headOnly: job.headOnly)))
            inbox.unlock()
            wake()
        }
    }

    // MARK: the poll loop

    final class Connection {
        enum Phase { case reading, working, writing, draining }
        let id: UInt64
        let fd: Int32
        let client: String
        let accepted: Int64
        var phase = Phase.reading
        var buffer: [UInt8] = []
        var head: HTTPRequestHead?
        var bodyStart = 0
        var reserved = 0
        var principal: HTTPPrincipal?
        var needs = HTTPPermission.read
        var output: [UInt8] = []
        var written = 0
        var drain = 0
        var deadline: Int64
        init(id: UInt64, fd: Int32, client: String, now: Int64, deadline: Int64) {
            self.id = id
            self.fd = fd
            self.client = client
            accepted = now
            self.deadline = deadline
        }
    }

    private var connections: [UInt64: Connection] = [:]
    private var perClient: [String: Int] = [:]
    private var bufferedBody = 0
    private var nextID: UInt64 = 1
    private var scratch = [UInt8](repeating: 0, count: 65536)

    static func monotonic() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    static func nanoseconds(_ seconds: Double) -> Int64 { Int64(seconds * 1e9) }

    private func runLoop() {
        var fds: [pollfd] = []
        var order: [Connection] = []
        while true {
            inbox.lock()
            let done = stopping
            let replies = finished
            finished.removeAll()
            inbox.unlock()
            if done { break }
            for (id, bytes) in replies {
                guard let connection = connections[id] else { continue }
                startWriting(connection, bytes, now: HTTPServer.monotonic())
            }
            fds.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            let now = HTTPServer.monotonic()
            var nearest = now + 1_000_000_000
            for connection in connections.values where connection.phase != .working {
                let events = connection.phase == .writing ? POLLOUT : POLLIN
                fds.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
                order.append(connection)
                nearest = min(nearest, connection.deadline)
            }
            let timeout = Int32(max(0, min(1000, (nearest - now + 999_999) / 1_000_000)))
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 && errno != EINTR { break }
            if fds[1].revents != 0 { while read(wakeRead, &scratch, scratch.count) > 0 {} }
            if fds[0].revents != 0 { acceptAll() }
            let after = HTTPServer.monotonic()
            for (index, connection) in order.enumerated() {
                let revents = fds[index + 2].revents
                if revents != 0 {
                    switch connection.phase {
                    case .reading: receive(connection, now: after)
                    case .writing: continueWriting(connection, now: after)
                    case .draining: discard(connection)
                    case .working: break
                    }
                }
                if connections[connection.id] != nil, connection.phase != .working, after >= connection.deadline {
                    expire(connection, now: after)
                }
            }
        }
        for connection in connections.values { close(connection.fd) }
        connections.removeAll()
        close(listener)
    }

    private func acceptAll() {
        for _ in 0 ..< 64 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if fd < 0 { return }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let client = ListenAddress.peer(storage)
            if connections.count >= limits.connections {
                count { $0.refusedFull += 1 }
                refuseAtOnce(fd, HTTPReply.text(503, "too many connections (\(limits.connections)); try again shortly"))
                continue
            }
            if perClient[client, default: 0] >= limits.connectionsPerClient {
                count { $0.refusedPerClient += 1 }
                refuseAtOnce(fd, HTTPReply.text(503, "too many connections from \(client) (\(limits.connectionsPerClient)); close idle ones and retry"))
                continue
            }
            count { $0.accepted += 1 }
            let now = HTTPServer.monotonic()
            let connection = Connection(id: nextID, fd: fd, client: client, now: now,
                                        deadline: now + HTTPServer.nanoseconds(limits.headerTimeout))
            nextID += 1
            connections[connection.id] = connection
            perClient[client, default: 0] += 1
        }
    }

    /// One non-blocking write of a short answer, then close: for connections never admitted.
    private func refuseAtOnce(_ fd: Int32, _ reply: HTTPReply) {
        let bytes = reply.serialized()
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        close(fd)
    }

    private func finish(_ connection: Connection) {
        close(connection.fd)
        connections[connection.id] = nil
        bufferedBody -= connection.reserved
        if let n = perClient[connection.client], n > 1 { perClient[connection.client] = n - 1 } else { perClient[connection.client] = nil }
    }

    private func receive(_ connection: Connection, now: Int64) {
        let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        if n <= 0 { return finish(connection) }
        let searchFrom = connection.buffer.count - 3
        connection.buffer += scratch[0 ..< n]
        if connection.head == nil {
            guard let end = headEnd(connection.buffer, from: searchFrom) else {
                if connection.buffer.count > limits.maximumHead {
                    count { $0.malformed += 1 }
                    refuse(connection, HTTPReply.text(431, "request head over \(limits.maximumHead) bytes"), now: now)
                }
                return
            }
            switch HTTPRequestHead.parse(connection.buffer[..<end], maximumBody: limits.maximumBody) {
            case .failure(let refusal):
                count { $0.malformed += 1 }
                var drain = 0
                if refusal.status == 413, let length = contentLength(connection.buffer[..<end]) {
                    drain = min(length, limits.maximumBody)
                }
                return refuse(connection, .text(refusal.status, refusal.message), now: now, drain: drain)
            case .success(let head):
                connection.head = head
                connection.bodyStart = end + 4
                if let refusal = admit(connection, head) {
                    let drain = head.expectsContinue ? 0 : min(head.contentLength, limits.maximumBody)
                    return refuse(connection, refusal, now: now, drain: drain)
                }
                connection.deadline = connection.accepted + HTTPServer.nanoseconds(limits.requestTimeout)
                if connection.buffer.count - connection.bodyStart < head.contentLength && head.expectsContinue {
                    let bytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    _ = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
            }
        }
        guard let head = connection.head, connection.buffer.count - connection.bodyStart >= head.contentLength else { return }
        let body = Array(connection.buffer[connection.bodyStart ..< connection.bodyStart + head.contentLength])
        connection.buffer = []
        connection.phase = .working
        let headOnly = head.method == "HEAD"
        let request = HTTPRequest(method: headOnly ? "GET" : head.method, path: head.path, query: head.query, headers: head.headers,
                                  body: body, client: connection.client, principal: connection.principal)
        inbox.lock()
        jobs.append(Job(id: connection.id, request: request, permission: connection.needs, headOnly: headOnly))
        inbox.signal()
        inbox.unlock()
    }

    /// Checks the caller and reserves the body's bytes; the refusal, or nil to go on.
    private func admit(_ connection: Connection, _ head: HTTPRequestHead) -> HTTPReply? {
        switch access {
        case .probes:
            guard head.method == "GET" || head.method == "HEAD" else {
                return .text(405, "this listener is read-only: GET and HEAD only")
            }
        case .open:
            connection.principal = .anonymous
            connection.needs = permission(head.method, head.path)
        case .tokens(let tokens):
            let needs = permission(head.method, head.path)
            connection.needs = needs
            let value = head.headers["authorization"] ?? ""
            let scheme = value.prefix(7).lowercased()
            guard scheme == "bearer ", let principal = tokens.principal(presenting: value.utf8.dropFirst(7)) else {
                count { $0.unauthorized += 1 }
                var reply = HTTPReply.error(401, value.isEmpty
                    ? "this API needs a bearer token: send 'Authorization: Bearer TOKEN' with a token from \(tokens.path)"
                    : "the bearer token is not valid here")
                reply.headers = [("WWW-Authenticate", value.isEmpty ? "Bearer realm=\"rampart\"" : "Bearer realm=\"rampart\", error=\"invalid_token\"")]
                return reply
            }
            guard principal.allows(needs) else {
                count { $0.forbidden += 1 }
                log("\(name): \(head.method) \(head.path) refused (403) to \(principal) at \(connection.client): needs \(needs.rawValue)")
                var reply = HTTPReply.error(403, "'\(principal.name)' may not \(needs.rawValue): its roles are \(principal.roles.map(\.rawValue).joined(separator: ",")); use a token with the role \(TokenRole.allCases.first { $0.allows(needs) && $0 != .readOnly }?.rawValue ?? "read-only")")
                reply.headers = [("WWW-Authenticate", "Bearer realm=\"rampart\", error=\"insufficient_scope\"")]
                return reply
            }
            connection.principal = principal
        }
        if head.contentLength > 0 {
            guard bufferedBody + head.contentLength <= limits.maximumBufferedBody else {
                count { $0.refusedBusy += 1 }
                return .text(503, "busy: \(bufferedBody) bytes of request bodies already buffered; retry shortly")
            }
            bufferedBody += head.contentLength
            connection.reserved = head.contentLength
        }
        return nil
    }

    /// The Content-Length of a head that failed to parse for its size (413), for draining.
    private func contentLength(_ head: ArraySlice<UInt8>) -> Int? {
        for line in String(decoding: head, as: UTF8.self).split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            return Int(HTTPRequestHead.trimmed(line.dropFirst(15)))
        }
        return nil
    }

    /// Answers with `reply` and closes; `drain`: body bytes the client may still send, read
    /// and discarded after the answer so closing does not reset it before it is read.
    private func refuse(_ connection: Connection, _ reply: HTTPReply, now: Int64, drain: Int = 0) {
        let already = connection.head == nil ? 0 : max(0, connection.buffer.count - connection.bodyStart)
        connection.drain = max(0, drain - already)
        startWriting(connection, reply.serialized(), now: now)
    }

    private func startWriting(_ connection: Connection, _ bytes: [UInt8], now: Int64) {
        connection.phase = .writing
        connection.output = bytes
        connection.written = 0
        connection.deadline = now + HTTPServer.nanoseconds(limits.writeTimeout)
        continueWriting(connection, now: now)
    }

    private func continueWriting(_ connection: Connection, now: Int64) {
        while connection.written < connection.output.count {
            let n = connection.output.withUnsafeBytes {
                send(connection.fd, $0.baseAddress! + connection.written, $0.count - connection.written, Int32(MSG_NOSIGNAL))
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && errno == EAGAIN { return }
            if n <= 0 { return finish(connection) }
            connection.written += n
        }
        count { $0.served += 1 }
        if connection.drain > 0 {
            shutdown(connection.fd, Int32(SHUT_WR))
            connection.phase = .draining
            connection.deadline = now + 2_000_000_000
        } else {
            finish(connection)
        }
    }

    private func discard(_ connection: Connection) {
        let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, min($0.count, connection.drain), 0) }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
        if n <= 0 { return finish(connection) }
        connection.drain -= n
        if connection.drain <= 0 { finish(connection) }
    }

    private func expire(_ connection: Connection, now: Int64) {
        switch connection.phase {
        case .reading:
            if connection.head == nil {
                count { $0.headerTimeouts += 1 }
                if connection.buffer.isEmpty { return finish(connection) }
                refuseAtOnce(connection.fd, .text(408, "request head not complete within \(limits.headerTimeout) s"))
            } else {
                count { $0.requestTimeouts += 1 }
                refuseAtOnce(connection.fd, .text(408, "request not complete within \(limits.requestTimeout) s"))
            }
            // refuseAtOnce closed the descriptor; forget the connection without closing again.
            connections[connection.id] = nil
            bufferedBody -= connection.reserved
            if let n = perClient[connection.client], n > 1 { perClient[connection.client] = n - 1 } else { perClient[connection.client] = nil }
        case .writing:
            count { $0.writeTimeouts += 1 }
            finish(connection)
        case .draining:
            finish(connection)
        case .working:
            break
        }
    }

    /// The counters as Prometheus samples `(metric, line)`, labelled with `listener` (the
    /// server's name).
    /// This listener's connection outcomes and refusal reasons, as labelled samples.
    func prometheusSamples() -> (connections: [(labels: [(String, String)], value: Int)], refusals: [(labels: [(String, String)], value: Int)]) {
        let c = counters
        let connections = [("accepted", c.accepted), ("refused_full", c.refusedFull), ("refused_per_client", c.refusedPerClient)]
            .map { (labels: [("listener", name), ("outcome", $0.0)], value: $0.1) }
        let refusals = [("busy", c.refusedBusy), ("header_timeout", c.headerTimeouts), ("request_timeout", c.requestTimeouts),
                        ("write_timeout", c.writeTimeouts), ("malformed", c.malformed), ("unauthorized", c.unauthorized),
                        ("forbidden", c.forbidden)]
            .map { (labels: [("listener", name), ("reason", $0.0)], value: $0.1) }
        return (connections, refusals)
    }
}

/// The listeners of one daemon, so its `/metrics` can show every listener's counters.
public final class HTTPListenerSet: @unchecked Sendable {
    private let lock = Lock()
    private var servers: [HTTPServer] = []
    public init() {}
    public func add(_ server: HTTPServer) { lock.withLock { servers.append(server) } }
    /// Every listener's counters as Prometheus text, one family per metric.
    public func prometheusText(prefix: String) -> String {
        let samples = lock.withLock { servers }.map { $0.prometheusSamples() }
        guard !samples.isEmpty else { return "" }
        var page = PrometheusText()
        page.family("\(prefix)_http_connections_total", .counter, "Connections to the HTTP listeners, by outcome.",
                    samples.flatMap(\.connections))
        page.family("\(prefix)_http_refusals_total", .counter, "Requests the HTTP listeners refused, by reason.",
                    samples.flatMap(\.refusals))
        return page.text
    }
}
