import FoundationEssentials
import RampartPOSIX
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One parsed HTTP request.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    /// Decoded query parameters.
    public var query: [String: String]
    public var body: [UInt8]
}

/// A status, a content type and a body.
public struct HTTPReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: String

    public init(_ status: Int, _ body: String, contentType: String = "application/json") {
        self.status = status
        self.body = body
        self.contentType = contentType
    }

    /// `{"error": message}` with the status.
    public static func error(_ status: Int, _ message: String) -> HTTPReply {
        var escaped = ""
        for character in message {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            default: escaped.append(character)
            }
        }
        return HTTPReply(status, "{\"error\":\"\(escaped)\"}\n")
    }
}

/// A small blocking HTTP/1.1 server for the manager's local API: one thread accepts, one
/// short-lived thread per connection answers one request and closes.
///
/// ```swift
/// let listener = try HTTPListener(address: "127.0.0.1:9690") { request in HTTPReply(200, "{}") }
/// listener.start()
/// ```
public final class HTTPListener: @unchecked Sendable {
    private let socketFD: Int32
    private let handler: @Sendable (HTTPRequest) -> HTTPReply
    public let port: UInt16
    private var running = true
    /// Connections being answered; above `maximumConnections` new ones get 503 at once, so
    /// a flood of clients cannot make a thread each.
    private let active = Atomic<Int>(0)
    public var maximumConnections = 64

    /// Binds `address` (`host:port`, `[v6]:port`; port 0 picks one, see `port`).
    public init(address: String, handler: @escaping @Sendable (HTTPRequest) -> HTTPReply) throws(ConfigurationErrors) {
        guard let colon = address.lastIndex(of: ":"), let number = UInt16(address[address.index(after: colon)...]) else {
            throw ConfigurationErrors(["listen address '\(address)' must be host:port"])
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var storage = sockaddr_storage()
        var length: socklen_t
        let family: Int32
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            family = AF_INET
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = number.bigEndian
            sin.sin_addr = v4
            withUnsafeBytes(of: sin) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            family = AF_INET6
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = number.bigEndian
            sin6.sin6_addr = v6
            withUnsafeBytes(of: sin6) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            throw ConfigurationErrors(["listen address '\(address)': '\(host)' is not an IP address"])
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConfigurationErrors(["cannot open a socket: \(String(cString: strerror(errno)))"]) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ConfigurationErrors(["cannot listen on \(address): \(reason); is another manager running?"])
        }
        getsockname(fd, withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { $0 } }, &length)
        port = withUnsafeBytes(of: storage) { raw in UInt16(bigEndian: raw.load(fromByteOffset: 2, as: UInt16.self)) }
        socketFD = fd
        self.handler = handler
    }

    public func start() {
        NamedThread.start(name: "api") { [self] in
            while running {
                let client = accept(socketFD, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    break
                }
                if active.add(1, ordering: .acquiringAndReleasing).newValue > maximumConnections {
                    active.subtract(1, ordering: .releasing)
                    reply(client, .error(503, "too many connections; try again"))
                    close(client)
                    continue
                }
                NamedThread.start(name: "api-conn") { [self] in
                    serve(client)
                    active.subtract(1, ordering: .releasing)
                }
            }
        }
    }

    public func stop() {
        running = false
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
    }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            buffer.append(contentsOf: chunk[0..<n])
            headerEnd = buffer.firstRange(of: [13, 10, 13, 10])?.lowerBound
            if buffer.count > 65536 && headerEnd == nil { return reply(client, .error(431, "request headers too large")) }
        }
        guard let end = headerEnd else { return }
        let head = String(decoding: buffer[0..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines[0].split(separator: " ")
        guard parts.count >= 2 else { return reply(client, .error(400, "malformed request line")) }
        var length = 0
        for line in lines.dropFirst() where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.dropFirst(15).trimming(.whitespaces)) ?? -1
        }
        guard length >= 0, length <= 1 << 20 else { return reply(client, .error(413, "body over 1 MiB")) }
        var body = Array(buffer[(end + 4)...])
        while body.count < length {
            let n = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return }
            body.append(contentsOf: chunk[0..<n])
        }
        let target = String(parts[1])
        let path = String(target.prefix { $0 != "?" })
        var query: [String: String] = [:]
        if let mark = target.firstIndex(of: "?") {
            for pair in target[target.index(after: mark)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                let key = HTTPListener.percentDecoded(kv[0]) ?? String(kv[0])
                let value = kv.count > 1 ? (HTTPListener.percentDecoded(kv[1].replacing("+", with: " ")) ?? "") : ""
                query[key] = value
            }
        }
        reply(client, handler(HTTPRequest(method: String(parts[0]), path: path, query: query, body: Array(body.prefix(length)))))
    }

    /// `%XX` sequences replaced by their bytes; nil when a `%` is not followed by two hex
    /// digits or the bytes are not UTF-8 (as Foundation's `removingPercentEncoding`).
    static func percentDecoded(_ text: some StringProtocol) -> String? {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            if input[i] == UInt8(ascii: "%") {
                guard i + 2 < input.count, let high = hex(input[i + 1]), let low = hex(input[i + 2]) else { return nil }
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(input[i])
                i += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private func reply(_ client: Int32, _ reply: HTTPReply) {
        let reasons = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 413: "Payload Too Large",
                       431: "Request Header Fields Too Large", 500: "Internal Server Error", 503: "Service Unavailable"]
        let body = Array(reply.body.utf8)
        let head = "HTTP/1.1 \(reply.status) \(reasons[reply.status] ?? "Status")\r\nContent-Type: \(reply.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

}
