#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A tiny HTTP/1.1 server for operations, on its own thread, reading published snapshots:
/// `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus text), `POST /reload` (the
/// I/O thread reloads the policy between batches) and `POST /tags` (one address's tags,
/// applied between batches without a reload). One request per connection.
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

    /// Serves on a background thread until the process exits.
    public func start() {
        let thread = Thread { [self] in
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return
                }
                serve(client)
                close(client)
            }
        }
        thread.name = "rampart-admin"
        thread.start()
    }

    func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var used = 0
        // Read until the end of the headers; a body (none is expected) is ignored.
        while used < buffer.count {
            let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress! + used, $0.count - used) }
            if n <= 0 { break }
            used += n
            if String(decoding: buffer[0 ..< used], as: UTF8.self).contains("\r\n\r\n") { break }
        }
        let head = String(decoding: buffer[0 ..< used], as: UTF8.self)
        let requestLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = requestLine.split(separator: " ")
        // A body (POST /tags) up to the buffer's size: what follows the headers, completed
        // to Content-Length.
        var requestBody = ""
        if let range = head.range(of: "\r\n\r\n") {
            let headerBytes = head[..<range.upperBound].utf8.count
            let lengthLine = head[..<range.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
            let declared = lengthLine.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let wanted = min(headerBytes + max(declared, 0), buffer.count)
            while used < wanted {
                let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress! + used, wanted - used) }
                if n <= 0 { break }
                used += n
            }
            if used > headerBytes { requestBody = String(decoding: buffer[headerBytes ..< used], as: UTF8.self) }
        }
        let (status, type, body) = respond(method: parts.count > 0 ? String(parts[0]) : "",
                                           path: parts.count > 1 ? String(parts[1]) : "", body: requestBody)
        let response = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        var bytes = Array(response.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(client, $0.baseAddress! + sent, $0.count - sent) }
            if n <= 0 { break }
            sent += n
        }
    }

    /// The response for a request (status line text, content type, body).
    public func respond(method: String, path: String, body: String = "") -> (String, String, String) {
        let text = "text/plain; charset=utf-8"
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
            let update: TagUpdate
            do { update = try TagUpdate(json: body) } catch { return ("400 Bad Request", text, "\(error)\n") }
            guard board.submit(update) else {
                return ("409 Conflict", text, "sequence \(update.sequence) is not above \(board.lastTagSequence): stale or duplicate\n")
            }
            return ("202 Accepted", text, "tags for \(update.address) queued (sequence \(update.sequence))\n")
        case (_, "/healthz"), (_, "/readyz"), (_, "/metrics"), (_, "/reload"), (_, "/tags"):
            return ("405 Method Not Allowed", text, "method not allowed\n")
        default:
            return ("404 Not Found", text, "not found\n")
        }
    }
}
