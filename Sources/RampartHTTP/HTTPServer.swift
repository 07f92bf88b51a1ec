import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The one HTTP/1.1 server of the three daemons (firewall admin API and probes, manager API
/// and probes, node agent metrics): `Content-Length` bodies; one request per connection
/// (`Connection: close`), or, on a listener that allows it, HTTP/1.1 keep-alive.
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
/// **Keep-alive** (`Limits.requestsPerConnection` above 1; the admission webhook, whose caller
/// — the API server — reuses connections, so a review does not pay a TLS handshake): after
/// an answer the connection waits for the next request up to `idleTimeout`, then closes
/// silently; each further request gets the same `headerTimeout` and `requestTimeout` from its
/// first byte, so a slow client is cut as on a fresh connection. The last request a
/// connection may carry is answered `Connection: close`; so are refusals, HTTP/1.0 without
/// `keep-alive` and requests that ask to close. Pipelined requests are served in order. An
/// idle connection counts against `connections` and `connectionsPerClient`, but when either
/// is full the longest-idle connection (of that client, for the per-client limit) is closed
/// to admit the new one, so idle clients can never lock others out.
///
/// **Access** (`Access`): a probe listener serves GET and HEAD without credentials; an API
/// listener demands a bearer token (`401` without one, `403` for the wrong role) or a
/// client certificate whose identity has the role, or, only when bound to loopback, runs
/// open. Every accepted change (a 2xx answer to a request that needed a write permission)
/// is logged with the caller's name (the token's, or the certificate's identity).
///
/// **TLS** (`TLSServerContext`, optional): the handshake is one more non-blocking phase of
/// the loop, bounded by `headerTimeout` like the head, so a client that never finishes it
/// holds a descriptor until then and delays nobody. With client certificates required, a
/// client without one the client CA signed fails the handshake and never reaches HTTP; a
/// client speaking plain HTTP to the TLS port gets a plain `400` saying so. TLS 1.2 or later.
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
        /// Requests one connection may carry; 1: every answer closes it (no keep-alive).
        public var requestsPerConnection = 1
        /// Seconds a kept connection may wait for its next request before it is closed.
        public var idleTimeout = 5.0
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
        /// No credentials, anywhere, but over TLS only: for a caller that sends none, such as
        /// the Kubernetes API server calling an admission webhook. The handler must serve
        /// nothing a stranger may not have (it judges what it is sent, and tells nothing else).
        case webhook
        /// The handler authenticates (the manager's console: session cookies). A request that
        /// sends `Authorization` must carry one of these tokens (else `401`) and its principal
        /// is set; one that sends none reaches the handler with no principal.
        case application(BearerTokens?)
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
        /// TLS handshakes that failed (no or a bad client certificate, no common version...).
        public var tlsHandshakeFailures = 0
        /// TLS handshakes not finished within `headerTimeout` of the accept.
        public var tlsHandshakeTimeouts = 0
        /// Clients that spoke plain HTTP to the TLS port.
        public var tlsPlaintext = 0
        /// Requests served on a connection that had served one already (keep-alive).
        public var reused = 0
        /// Kept connections closed after `idleTimeout` without a next request.
        public var idleClosed = 0
        /// Idle kept connections closed to admit a new one when a connection limit was full.
        public var idleEvicted = 0
    }

    public let name: String
    /// The address bound (port 0 resolved).
    public let local: ListenAddress
    public var port: UInt16 { local.port }
    public let limits: Limits
    let access: Access
    /// The listener's TLS; nil: plain HTTP.
    public let tls: TLSServerContext?
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
    /// `hint` then says which setting to add (e.g. "add spec.auth.tokensFile"). An `.open`
    /// listener whose `tls` requires client certificates is not open: every caller proves
    /// its identity in the handshake, and its roles come from the TLS configuration.
    public init(name: String, listen: String, access: Access, tls: TLSServerContext? = nil, limits: Limits = Limits(), hint: String = "configure bearer tokens",
                permission: @escaping @Sendable (_ method: String, _ path: String) -> HTTPPermission = HTTPServer.readOnlyByMethod,
                handler: @escaping @Sendable (HTTPRequest) -> HTTPReply) throws(HTTPConfigurationError) {
        guard let address = ListenAddress(listen) else {
            throw HTTPConfigurationError("\(name): listen address '\(listen)' must be IP:port, e.g. 127.0.0.1:9680 or [::1]:9680")
        }
        if case .open = access, !address.isLoopback, tls?.configuration.requiresClientCertificates != true {
            throw HTTPConfigurationError("\(name) on \(address) would accept anyone's requests: the address is not loopback and no tokens are configured; \(hint), or listen on 127.0.0.1")
        }
        if case .webhook = access, tls == nil {
            throw HTTPConfigurationError("\(name) on \(address) is a webhook listener: it takes anyone's requests, so it must speak TLS; \(hint)")
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
        self.tls = tls
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
        tls?.log = log
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
        /// The answer keeps the connection open (`Connection: keep-alive`).
        var keepAlive: Bool
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
                log("\(name): \(job.request.method) \(job.request.path) accepted (\(reply.status)) from \(HTTPServer.caller(job.request))")
            }
            inbox.lock()
            let idle = job.keepAlive ? Int(limits.idleTimeout.rounded(.down)) : nil
            finished.append((job.id, reply.serialized(headOnly: job.headOnly, keepAlive: idle)))
            inbox.unlock()
            wake()
        }
    }

    /// Who sent a request, for the log: "manager at 10.0.0.5", with how it proved it when a
    /// certificate was involved ("rampart-manager at 10.0.0.5 (client certificate)").
    static func caller(_ request: HTTPRequest) -> String {
        let who = request.principal?.name ?? "anonymous"
        var text = "\(who) at \(request.client)"
        if let identity = request.clientCertificate {
            text += identity == who ? " (client certificate)" : " (bearer token; client certificate \(identity.isEmpty ? "without a name" : identity))"
        }
        return text
    }

    // MARK: the poll loop

    final class Connection {
        enum Phase { case handshaking, reading, working, writing, draining }
        let id: UInt64
        let fd: Int32
        let client: String
        /// When the connection was accepted, then when its current request began (keep-alive).
        var accepted: Int64
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
        /// Requests read whole on this connection so far.
        var requests = 0
        /// The answer being written leaves the connection open for another request.
        var keepAlive = false
        /// Kept open after an answer, waiting for a next request that has not begun.
        var idle = false
        /// When it last became idle (the longest-idle one is evicted first).
        var idleSince: Int64 = 0
        /// The connection's TLS; nil on a plain listener.
        var tls: TLSSession?
        /// What TLS waits for (POLLIN or POLLOUT) when it differs from what the phase reads
        /// or writes (a TLS read may need to write, and the other way round); nil: the phase's.
        var tlsWaits: Int16?
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
        // OpenSSL writes with write(2), which raises SIGPIPE on a connection the client reset;
        // blocked on this thread, the write fails with EPIPE instead of ending the process.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
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
                let events = connection.tlsWaits ?? Int16(connection.phase == .writing ? POLLOUT : POLLIN)
                fds.append(pollfd(fd: connection.fd, events: events, revents: 0))
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
                    case .handshaking: continueHandshake(connection, now: after)
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
        for connection in connections.values {
            connection.tls = nil
            close(connection.fd)
        }
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
            // Every answer is one write: Nagle could only hold it back, behind a segment the
            // client delays its ACK for (TLS 1.3 session tickets), 40 ms on a kept connection
            // that no close pushes out.
            var noDelay: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
            let client = ListenAddress.peer(storage)
            // A TLS client would read a plain answer as a broken record: refused ones are
            // closed without one (counted all the same).
            if connections.count >= limits.connections, !evictIdle(client: nil) {
                count { $0.refusedFull += 1 }
                refuseAtOnce(fd, tls == nil ? HTTPReply.text(503, "too many connections (\(limits.connections)); try again shortly") : nil)
                continue
            }
            if perClient[client, default: 0] >= limits.connectionsPerClient, !evictIdle(client: client) {
                count { $0.refusedPerClient += 1 }
                refuseAtOnce(fd, tls == nil ? HTTPReply.text(503, "too many connections from \(client) (\(limits.connectionsPerClient)); close idle ones and retry") : nil)
                continue
            }
            var session: TLSSession?
            if let tls {
                session = tls.session(fd: fd)
                if session == nil {
                    count { $0.tlsHandshakeFailures += 1 }
                    close(fd)
                    continue
                }
            }
            count { $0.accepted += 1 }
            let now = HTTPServer.monotonic()
            // The handshake, then the head, within headerTimeout of the accept.
            let connection = Connection(id: nextID, fd: fd, client: client, now: now,
                                        deadline: now + HTTPServer.nanoseconds(limits.headerTimeout))
            if let session {
                connection.tls = session
                connection.phase = .handshaking
            }
            nextID += 1
            connections[connection.id] = connection
            perClient[client, default: 0] += 1
        }
    }

    /// Closes the longest-idle kept connection (of `client` when given) to make room for a
    /// new one; false when there is none.
    private func evictIdle(client: String?) -> Bool {
        var oldest: Connection?
        for connection in connections.values where connection.idle && (client == nil || connection.client == client) {
            if oldest == nil || connection.idleSince < oldest!.idleSince { oldest = connection }
        }
        guard let oldest else { return false }
        count { $0.idleEvicted += 1 }
        finish(oldest)
        return true
    }

    /// One non-blocking write of a short plain answer (none: just close), then close: for
    /// connections never admitted.
    private func refuseAtOnce(_ fd: Int32, _ reply: HTTPReply?) {
        if let bytes = reply?.serialized() {
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        close(fd)
    }

    /// One non-blocking write of a short answer on an admitted connection (through its TLS
    /// when it has one), then close and forget it.
    private func answerAndClose(_ connection: Connection, _ reply: HTTPReply) {
        let bytes = reply.serialized()
        if let session = connection.tls {
            if session.established { _ = bytes.withUnsafeBytes { session.write($0) } }
        } else {
            _ = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        finish(connection)
    }

    private func finish(_ connection: Connection) {
        connection.tls?.shutdown()
        connection.tls = nil
        close(connection.fd)
        connections[connection.id] = nil
        bufferedBody -= connection.reserved
        if let n = perClient[connection.client], n > 1 { perClient[connection.client] = n - 1 } else { perClient[connection.client] = nil }
    }

    /// What one read from a connection gave.
    enum Received { case bytes(Int), wait, ended }

    /// Reads what is there into `scratch`, through the connection's TLS when it has one.
    private func readSome(_ connection: Connection, limit: Int = Int.max) -> Received {
        guard let session = connection.tls else {
            let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, min($0.count, limit), 0) }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return .wait }
            return n <= 0 ? .ended : .bytes(n)
        }
        let result = scratch.withUnsafeMutableBytes { session.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<min($0.count, limit)])) }
        switch result {
        case .done(let n):
            connection.tlsWaits = nil
            return .bytes(n)
        case .wantRead:
            connection.tlsWaits = nil
            return .wait
        case .wantWrite:
            connection.tlsWaits = Int16(POLLOUT)
            return .wait
        case .closed, .failed:
            return .ended
        }
    }

    /// Writes some of `bytes` from `offset`, through the connection's TLS when it has one:
    /// the count written, 0 to wait for the socket, nil when the connection is broken.
    private func writeSome(_ connection: Connection, _ bytes: [UInt8], from offset: Int) -> Int? {
        guard let session = connection.tls else {
            while true {
                let n = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 && errno == EAGAIN { return 0 }
                return n <= 0 ? nil : n
            }
        }
        let result = bytes.withUnsafeBytes { session.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        switch result {
        case .done(let n):
            connection.tlsWaits = nil
            return n
        case .wantWrite:
            connection.tlsWaits = nil
            return 0
        case .wantRead:
            connection.tlsWaits = Int16(POLLIN)
            return 0
        case .closed, .failed:
            return nil
        }
    }

    /// Advances a TLS handshake; once done, the connection reads its head (within the same
    /// deadline). A client that spoke plain HTTP gets a plain 400 saying to use https.
    private func continueHandshake(_ connection: Connection, now: Int64) {
        guard let session = connection.tls else { return }
        switch session.handshake() {
        case .done:
            connection.tlsWaits = nil
            connection.phase = .reading
            // Records that came with the last handshake flight are already in OpenSSL's buffer.
            receive(connection, now: now)
        case .wantRead:
            connection.tlsWaits = Int16(POLLIN)
        case .wantWrite:
            connection.tlsWaits = Int16(POLLOUT)
        case .closed:
            count { $0.tlsHandshakeFailures += 1 }
            finish(connection)
        case .failed(_, let plaintextHTTP):
            if plaintextHTTP {
                count { $0.tlsPlaintext += 1 }
                connection.tls = nil
                // The rest of the plain request is read and dropped after the answer, so
                // closing does not reset the connection before the client reads why.
                refuse(connection, .text(400, "this listener speaks HTTPS (TLS 1.2 or later); use https://"), now: now,
                       drain: limits.maximumHead)
            } else {
                count { $0.tlsHandshakeFailures += 1 }
                finish(connection)
            }
        }
    }

    private func receive(_ connection: Connection, now: Int64) {
        let n: Int
        switch readSome(connection) {
        case .bytes(let count): n = count
        case .wait: return
        case .ended: return finish(connection)
        }
        if connection.idle {
            // The next request has begun: it gets a fresh connection's deadlines.
            connection.idle = false
            connection.accepted = now
            connection.deadline = now + HTTPServer.nanoseconds(limits.headerTimeout)
        }
        let searchFrom = connection.buffer.count - 3
        connection.buffer += scratch[0 ..< n]
        process(connection, searchFrom: searchFrom, now: now)
    }

    /// Parses and checks the head in the connection's buffer, then hands the request to the
    /// workers once its body is whole.
    private func process(_ connection: Connection, searchFrom: Int, now: Int64) {
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
                    // Best effort, as the connection's first write: a socket that cannot take
                    // 25 bytes now is not worth waiting for.
                    let bytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
                    if writeSome(connection, bytes, from: 0) != bytes.count, connection.tls != nil {
                        // A TLS write left half done must be finished before any other: give up.
                        return finish(connection)
                    }
                }
            }
        }
        guard let head = connection.head, connection.buffer.count - connection.bodyStart >= head.contentLength else { return }
        let end = connection.bodyStart + head.contentLength
        let body = Array(connection.buffer[connection.bodyStart ..< end])
        connection.requests += 1
        if connection.requests > 1 { count { $0.reused += 1 } }
        connection.keepAlive = connection.requests < limits.requestsPerConnection && head.wantsKeepAlive
        // What follows the body is the client's next request (pipelined), kept for it.
        connection.buffer = connection.keepAlive && end < connection.buffer.count ? Array(connection.buffer[end...]) : []
        connection.phase = .working
        let headOnly = head.method == "HEAD"
        var request = HTTPRequest(method: headOnly ? "GET" : head.method, path: head.path, query: head.query, headers: head.headers,
                                  body: body, client: connection.client, principal: connection.principal)
        request.clientCertificate = connection.tls?.peerIdentity
        inbox.lock()
        jobs.append(Job(id: connection.id, request: request, permission: connection.needs, headOnly: headOnly, keepAlive: connection.keepAlive))
        inbox.signal()
        inbox.unlock()
    }

    /// Checks the caller and reserves the body's bytes; the refusal, or nil to go on.
    ///
    /// On an API listener the caller is, in this order: the bearer token it sends (checked
    /// when the listener has tokens; a bad one is `401` whatever else it shows), the identity
    /// of its verified client certificate (roles from the TLS configuration; an identity it
    /// does not name has none), else `401`, or `anonymous` on an open listener.
    private func admit(_ connection: Connection, _ head: HTTPRequestHead) -> HTTPReply? {
        switch access {
        case .probes:
            guard head.method == "GET" || head.method == "HEAD" else {
                return .text(405, "this listener is read-only: GET and HEAD only")
            }
        case .application(let tokens):
            let value = head.headers["authorization"] ?? ""
            connection.needs = permission(head.method, head.path)
            if !value.isEmpty {
                guard value.prefix(7).lowercased() == "bearer ", let tokens, let found = tokens.principal(presenting: value.utf8.dropFirst(7)) else {
                    count { $0.unauthorized += 1 }
                    var reply = HTTPReply.error(401, "the bearer token is not valid here")
                    reply.headers = [("WWW-Authenticate", "Bearer realm=\"rampart\", error=\"invalid_token\"")]
                    return reply
                }
                guard found.allows(connection.needs) else {
                    count { $0.forbidden += 1 }
                    return HTTPReply.error(403, "'\(found.name)' may not \(connection.needs.rawValue)")
                }
                connection.principal = found
            }
        case .open, .tokens, .webhook:
            let needs = permission(head.method, head.path)
            connection.needs = needs
            let value = head.headers["authorization"] ?? ""
            let identity = connection.tls?.peerIdentity
            let principal: HTTPPrincipal
            if case .tokens(let tokens) = access, !value.isEmpty || identity == nil {
                let scheme = value.prefix(7).lowercased()
                guard scheme == "bearer ", let found = tokens.principal(presenting: value.utf8.dropFirst(7)) else {
                    count { $0.unauthorized += 1 }
                    let certificate = tls?.configuration.clientCA == nil ? "" : " or present a client certificate the listener's client CA signed"
                    var reply = HTTPReply.error(401, value.isEmpty
                        ? "this API needs a bearer token: send 'Authorization: Bearer TOKEN' with a token from \(tokens.path)\(certificate)"
                        : "the bearer token is not valid here")
                    reply.headers = [("WWW-Authenticate", value.isEmpty ? "Bearer realm=\"rampart\"" : "Bearer realm=\"rampart\", error=\"invalid_token\"")]
                    return reply
                }
                principal = found
            } else if let identity, let tls {
                principal = HTTPPrincipal(name: identity, roles: tls.roles(of: identity))
            } else {
                principal = .anonymous
            }
            guard principal.allows(needs) else {
                count { $0.forbidden += 1 }
                let byCertificate = identity != nil && principal.name == identity && value.isEmpty
                log("\(name): \(head.method) \(head.path) refused (403) to \(principal)\(byCertificate ? " (client certificate)" : "") at \(connection.client): needs \(needs.rawValue)")
                let role = TokenRole.allCases.first { $0.allows(needs) && $0 != .readOnly }?.rawValue ?? "read-only"
                let roles = principal.roles.isEmpty ? "it has no roles here" : "its roles are \(principal.roles.map(\.rawValue).joined(separator: ","))"
                var reply = HTTPReply.error(403, byCertificate
                    ? "the client certificate '\(principal.name)' may not \(needs.rawValue): \(roles); give that identity the role \(role) in the listener's tls.clientRoles, or use a token with it"
                    : "'\(principal.name)' may not \(needs.rawValue): \(roles); use a token with the role \(role)")
                if !byCertificate {
                    reply.headers = [("WWW-Authenticate", "Bearer realm=\"rampart\", error=\"insufficient_scope\"")]
                }
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
        connection.keepAlive = false
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
            guard let n = writeSome(connection, connection.output, from: connection.written) else { return finish(connection) }
            if n == 0 { return }
            connection.written += n
        }
        count { $0.served += 1 }
        if connection.drain > 0 {
            connection.tls?.shutdown()
            shutdown(connection.fd, Int32(SHUT_WR))
            connection.phase = .draining
            connection.deadline = now + 2_000_000_000
        } else if connection.keepAlive {
            awaitNext(connection, now: now)
        } else {
            finish(connection)
        }
    }

    /// After a kept answer: the connection reads its next request, which may be in the
    /// buffer already (pipelined) or, over TLS, in OpenSSL's; else it waits `idleTimeout`.
    private func awaitNext(_ connection: Connection, now: Int64) {
        bufferedBody -= connection.reserved
        connection.reserved = 0
        connection.head = nil
        connection.bodyStart = 0
        connection.principal = nil
        connection.needs = .read
        connection.output = []
        connection.written = 0
        connection.keepAlive = false
        connection.phase = .reading
        if connection.buffer.isEmpty {
            connection.idle = true
            connection.idleSince = now
            connection.deadline = now + HTTPServer.nanoseconds(limits.idleTimeout)
            if connection.tls != nil { receive(connection, now: now) }
        } else {
            connection.accepted = now
            connection.deadline = now + HTTPServer.nanoseconds(limits.headerTimeout)
            process(connection, searchFrom: 0, now: now)
            // The rest of a pipelined request may sit decrypted in OpenSSL, where poll cannot see it.
            if connection.tls != nil, connection.phase == .reading, connections[connection.id] != nil { receive(connection, now: now) }
        }
    }

    private func discard(_ connection: Connection) {
        let n: Int
        switch readSome(connection, limit: connection.drain) {
        case .bytes(let count): n = count
        case .wait: return
        case .ended: return finish(connection)
        }
        connection.drain -= n
        if connection.drain <= 0 { finish(connection) }
    }

    private func expire(_ connection: Connection, now: Int64) {
        switch connection.phase {
        case .handshaking:
            count { $0.tlsHandshakeTimeouts += 1 }
            finish(connection)
        case .reading:
            if connection.head == nil {
                if connection.idle {
                    count { $0.idleClosed += 1 }
                    return finish(connection)
                }
                count { $0.headerTimeouts += 1 }
                if connection.buffer.isEmpty { return finish(connection) }
                answerAndClose(connection, .text(408, "request head not complete within \(limits.headerTimeout) s"))
            } else {
                count { $0.requestTimeouts += 1 }
                answerAndClose(connection, .text(408, "request not complete within \(limits.requestTimeout) s"))
            }
        case .writing:
            count { $0.writeTimeouts += 1 }
            finish(connection)
        case .draining:
            finish(connection)
        case .working:
            break
        }
    }

    /// This listener's connection outcomes and refusal reasons, as samples labelled with
    /// `listener` (the server's name); a TLS listener also counts its handshakes' refusals.
    func prometheusSamples() -> (connections: [(labels: [(String, String)], value: Int)], refusals: [(labels: [(String, String)], value: Int)]) {
        let c = counters
        var outcomes = [("accepted", c.accepted), ("refused_full", c.refusedFull), ("refused_per_client", c.refusedPerClient)]
        if limits.requestsPerConnection > 1 {
            outcomes += [("reused", c.reused), ("idle_closed", c.idleClosed), ("idle_evicted", c.idleEvicted)]
        }
        let connections = outcomes
            .map { (labels: [("listener", name), ("outcome", $0.0)], value: $0.1) }
        var reasons = [("busy", c.refusedBusy), ("header_timeout", c.headerTimeouts), ("request_timeout", c.requestTimeouts),
                       ("write_timeout", c.writeTimeouts), ("malformed", c.malformed), ("unauthorized", c.unauthorized),
                       ("forbidden", c.forbidden)]
        if tls != nil {
            reasons += [("tls_handshake", c.tlsHandshakeFailures), ("tls_handshake_timeout", c.tlsHandshakeTimeouts),
                        ("tls_plaintext", c.tlsPlaintext)]
        }
        let refusals = reasons.map { (labels: [("listener", name), ("reason", $0.0)], value: $0.1) }
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
