#if canImport(Glibc)
import Glibc
#endif

/// Where a listener binds: an IP address and a port (`127.0.0.1:9680`, `[::1]:9680`,
/// `0.0.0.0:9681`; port 0 picks a free one).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    let family: Int32

    /// nil unless `text` is `IPv4:port` or `[IPv6]:port` (brackets required: `::1:80` is ambiguous).
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        // inet_pton reads up to a NUL: "127.0.0.1\0anything" would pass as 127.0.0.1.
        guard !host.utf8.contains(0) else { return nil }
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        if bracketed { host = String(host.dropFirst().dropLast()) }
        var v4 = in_addr()
        var v6 = in6_addr()
        if !bracketed && inet_pton(AF_INET, host, &v4) == 1 {
            family = AF_INET
        } else if bracketed && inet_pton(AF_INET6, host, &v6) == 1 {
            family = AF_INET6
        } else { return nil }
        self.host = host
        self.port = port
    }

    /// 127.0.0.0/8 or ::1: reachable only from this host (and its network namespace).
    public var isLoopback: Bool {
        if family == AF_INET { return host.hasPrefix("127.") }
        var v6 = in6_addr()
        var loopback = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1, inet_pton(AF_INET6, "::1", &loopback) == 1 else { return false }
        return withUnsafeBytes(of: v6) { a in withUnsafeBytes(of: loopback) { b in a.elementsEqual(b) } }
    }

    public var description: String { family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A non-blocking, close-on-exec listening socket bound here; returns it and the port
    /// actually bound.
    public func bindListening(backlog: Int32) throws(HTTPConfigurationError) -> (Int32, UInt16) {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw HTTPConfigurationError("cannot open a socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = sockaddr_storage()
        var length: socklen_t
        if family == AF_INET {
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &sin.sin_addr)
            withUnsafeBytes(of: sin) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        } else {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            inet_pton(AF_INET6, host, &sin6.sin6_addr)
            withUnsafeBytes(of: sin6) { raw in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) } }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, backlog) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HTTPConfigurationError("cannot listen on \(self): \(reason); is another process using the port?")
        }
        length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let actual = withUnsafeBytes(of: storage) { UInt16(bigEndian: $0.load(fromByteOffset: 2, as: UInt16.self)) }
        return (fd, actual)
    }

    /// The IP address in a `sockaddr_storage` filled by accept, as text.
    public static func peer(_ storage: sockaddr_storage) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: storage) { raw in
            let family = Int32(raw.load(as: sa_family_t.self))
            if family == AF_INET {
                let sin = raw.load(as: sockaddr_in.self)
                withUnsafeBytes(of: sin.sin_addr) { _ = inet_ntop(AF_INET, $0.baseAddress, &text, socklen_t(text.count)) }
            } else if family == AF_INET6 {
                let sin6 = raw.load(as: sockaddr_in6.self)
                withUnsafeBytes(of: sin6.sin6_addr) { _ = inet_ntop(AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
            }
        }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
