import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A port free on loopback at the moment of asking (bound to 0, read, released), for a
/// server a test starts with an explicit port.
///
/// ```swift
/// let admin = freePort()   // then "admin: 127.0.0.1:\(admin)" in a configuration
/// ```
public func freePort(type: Int32 = Int32(SOCK_STREAM.rawValue)) -> Int {
    let fd = socket(AF_INET, type, 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
