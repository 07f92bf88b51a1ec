#if canImport(Glibc)
import Glibc
#endif
import RampartWire

/// An IPv4 or IPv6 address and UDP port, convertible to and from `sockaddr_storage`.
///
/// ```swift
/// let listen = SocketAddress(parsing: "0.0.0.0:6080")!
/// let v6 = SocketAddress(parsing: "[::1]:6080")!
/// ```
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Parses `a.b.c.d:port` or `[v6]:port`.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex) ..< close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let address = IPAddress(host), let port = UInt16(portText) else { return nil }
        self.init(address: address, port: port)
    }

    public var description: String {
        address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
    }

    /// Writes the C form into `storage`; returns its length.
    public func write(to storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        storage.initialize(to: sockaddr_storage())
        if address.isIPv4 {
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { s in
                s.pointee.sin_family = sa_family_t(AF_INET)
                s.pointee.sin_port = port.bigEndian
                s.pointee.sin_addr.s_addr = address.ipv4Value.bigEndian
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        }
        return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { s in
            s.pointee.sin6_family = sa_family_t(AF_INET6)
            s.pointee.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &s.pointee.sin6_addr) { bytes in
                bytes.storeBytes(of: address.high.bigEndian, toByteOffset: 0, as: UInt64.self)
                bytes.storeBytes(of: address.low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    /// Reads the C form (AF_INET or AF_INET6); nil for other families.
    @inlinable
    public init?(reading storage: UnsafeRawPointer) {
        let family = storage.loadUnaligned(as: sa_family_t.self)
        if family == sa_family_t(AF_INET) {
            port = UInt16(bigEndian: storage.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            address = IPAddress(ipv4: UInt32(bigEndian: storage.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        } else if family == sa_family_t(AF_INET6) {
            port = UInt16(bigEndian: storage.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
            address = IPAddress(
                high: UInt64(bigEndian: storage.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                low: UInt64(bigEndian: storage.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
        } else {
            return nil
        }
    }
}
