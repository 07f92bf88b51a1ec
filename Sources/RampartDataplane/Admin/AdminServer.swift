#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import RampartInspect
import RampartPOSIX
import RampartWire

/// A tiny HTTP/1.1 server for operations, on its own thread, reading published snapshots:
/// `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus text), `POST /reload` (the
/// I/O thread reloads the policy between batches), `POST /tags` (one address's tags, a
/// batch, or a resync of the whole admin map, applied between batches without a reload)
/// and `GET /tags` (where the map stands). One request per connection.
///
/// ```swift
/// let admin = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:9680")!, board: board)
/// admin.start()
/// ```
public final class AdminServer: @unchecked Sendable {
    public let descriptor: Int32
    public let local: SocketAddress
    let board: MetricsBoard

    public init(bind address: SocketAddress, board: MetricsBoard) throws {
        self.board = board
        let fd = socket(address.address.isIPv4 ? AF_INET : AF_INET6, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let error = SystemError("bind admin \(address)")
            close(fd)
            throw error
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        descriptor = fd
        local = withUnsafePointer(to: &actual) { SocketAddress(reading: UnsafeRawPointer($0)) } ?? address
    }

    /// Where accepted tag state is saved (nil: not saved), at most every `saveInterval`.
    public var tagStateFile: TagStateFile?
    public var saveIntervalNanoseconds: Int64 = 100_000_000
    /// Where save failures are reported (standard error by default).
    public var log: @Sendable (String) -> Void = { message in
        let bytes = Array((message + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// Serves on a background thread until the process exits.
    public func start() {
        NamedThread.start(name: "rampart-admin") { [self] in serveForever() }
    }

    /// The admin thread: one connection at a time; between connections, saves the tag
    /// state when it changed (coalesced: at most once per `saveIntervalNanoseconds`).
    func serveForever() {
        var savedGeneration = board.tagStateCopy.generation
        var lastSave: Int64 = 0
        while true {
            var timeout: Int32 = -1
            if tagStateFile != nil && board.tagStateCopy.generation != savedGeneration {
                let wait = lastSave + saveIntervalNanoseconds - TunnelEndpoint.monotonic()
                if wait <= 0 {
                    savedGeneration = saveTagState()
                    lastSave = TunnelEndpoint.monotonic()
                    continue
                }
                timeout = Int32(max(1, wait / 1_000_000))
            }
            var fds = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 1, timeout)
            if ready < 0 && errno != EINTR { return }
            guard ready > 0 else { continue }
            let client = accept(descriptor, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                return
            }
            serve(client)
            close(client)
        }
    }

    /// Writes the board's tag state; returns the generation written (on failure too, so a
    /// broken disk is reported once per change, not in a loop).
    @discardableResult
    func saveTagState() -> Int {
        let state = board.tagStateCopy
        guard let file = tagStateFile else { return state.generation }
        do { try file.write(sequence: state.sequence, tags: state.tags) } catch {
            log("rampart-firewall: cannot save tag state: \(error)")
        }
        return state.generation
    }

    /// Answers one request and closes: every answer says `Connection: close`, so a client
    /// that asked for keep-alive opens a new connection next time (the admin thread serves
    /// one connection at a time and must not be held by an idle one).
    func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let status: String, type: String, body: String
        var drain = 0
        switch AdminRequest.read(from: client) {
        case .none:
            return
        case .refused(let s, let message, let d):
            (status, type, body, drain) = (s, "text/plain; charset=utf-8", message + "\n", d)
        case .request(let r):
            (status, type, body) = respond(method: r.method, path: r.path, query: r.query,
                                           body: String(decoding: r.body, as: UTF8.self))
        }
        let response = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        _ = AdminRequest.writeAll(client, Array(response.utf8))
        if drain > 0 {
            // Read what the client still sends so closing does not reset the connection
            // before it has read the answer.
            shutdown(client, Int32(SHUT_WR))
            var scratch = [UInt8](repeating: 0, count: 65536)
            var left = drain
            while left > 0 {
                let n = scratch.withUnsafeMutableBytes { read(client, $0.baseAddress, min($0.count, left)) }
                if n <= 0 { break }
                left -= n
            }
        }
    }

    /// The response for a request (status line text, content type, body).
    public func respond(method: String, path: String, query: [String: String] = [:], body: String = "") -> (String, String, String) {
        let text = "text/plain; charset=utf-8"
        let json = "application/json"
        switch (method, path) {
        case ("GET", "/healthz"):
            return ("200 OK", text, "ok\n")
        case ("GET", "/readyz"):
            return board.snapshot.ready ? ("200 OK", text, "ready\n") : ("503 Service Unavailable", text, "not ready\n")
        case ("GET", "/metrics"):
            return ("200 OK", "text/plain; version=0.0.4; charset=utf-8", board.snapshot.prometheusText())
        case ("POST", "/reload"):
            board.requestReload()
            return ("202 Accepted", text, "reload requested\n")
        case ("POST", "/tags"):
            let batch: TagBatch
            do { batch = try TagBatch(json: body) } catch { return ("400 Bad Request", text, "\(error)\n") }
            guard board.submit(batch) else {
                return ("409 Conflict", json, "{\"error\": \"sequence \(batch.sequence) is not above the last accepted one: stale or duplicate\", \"sequence\": \(board.lastTagSequence)}\n")
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
            return ("200 OK", json, "{\"sequence\": \(summary.sequence), \"addresses\": \(summary.addresses)}\n")
        case (_, "/healthz"), (_, "/readyz"), (_, "/metrics"), (_, "/reload"), (_, "/tags"):
            return ("405 Method Not Allowed", text, "method not allowed\n")
        default:
            return ("404 Not Found", text, "not found\n")
        }
    }
}
