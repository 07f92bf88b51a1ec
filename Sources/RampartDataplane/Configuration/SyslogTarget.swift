#if canImport(Glibc)
import Glibc
#endif
import RampartWire

/// Where syslog copies of the event records go: `udp://HOST:PORT` (one RFC 5424 message
/// per datagram) or `tcp://HOST:PORT` (RFC 6587 octet counting). HOST is an IP address
/// (`[fd00::53]` for IPv6) or a name resolved with getaddrinfo at start and on reload.
///
/// ```swift
/// let target = SyslogTarget(parsing: "tcp://syslog.example:6514")!
/// let address = try target.resolve()    // first address getaddrinfo returns
/// ```
public struct SyslogTarget: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable { case udp, tcp }
    public var transport: Transport
    /// An IP address or a host name, without brackets.
    public var host: String
    public var port: UInt16

    public init(transport: Transport, host: String, port: UInt16) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// Parses `udp://host:port` or `tcp://host:port`; nil for anything else.
    public init?(parsing text: String) {
        let transport: Transport
        if text.hasPrefix("udp://") { transport = .udp } else if text.hasPrefix("tcp://") { transport = .tcp } else { return nil }
        let rest = text.dropFirst(6)
        if let address = SocketAddress(parsing: String(rest)) {
            guard address.port != 0 else { return nil }
            self.init(transport: transport, host: address.address.description, port: address.port)
            return
        }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port != 0 else { return nil }
        let host = rest[..<colon]
        // A host name: letters, digits, '-', '.', '_' (no brackets, no spaces).
        guard !host.isEmpty, host.count <= 253,
              host.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 46 || $0 == 95 })
        else { return nil }
        self.init(transport: transport, host: String(host), port: port)
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(transport.rawValue)://\(h):\(port)"
    }

    /// The first address the host resolves to (getaddrinfo; blocks on DNS: call it at start
    /// or on reload, never per record).
    public func resolve() throws(SyslogTargetError) -> SocketAddress {
        if let literal = IPAddress(host) { return SocketAddress(address: literal, port: port) }
        var hints = addrinfo()
        hints.ai_socktype = transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            let reason = String(cString: gai_strerror(status))
            throw SyslogTargetError("syslog host '\(host)' does not resolve: \(reason)")
        }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let e = entry {
            if let sa = e.pointee.ai_addr, let address = SocketAddress(reading: UnsafeRawPointer(sa)) {
                return SocketAddress(address: address.address, port: port)
            }
            entry = e.pointee.ai_next
        }
        throw SyslogTargetError("syslog host '\(host)' resolves to no IPv4 or IPv6 address")
    }
}

/// Why a syslog target could not be used.
public struct SyslogTargetError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
