#if canImport(Glibc)
import Glibc
#endif

/// Reads and writes `/proc/sys` keys of the calling thread's network namespace; wrap in
/// `NetworkNamespace.perform` to act on a pod's namespace.
///
/// ```swift
/// try pod.perform {
///     try Sysctl.write(Sysctl.ipv4Interface("eth0", .proxyARP), "1")
/// }
/// ```
public enum Sysctl {
    /// Per-interface IPv4 settings under `net/ipv4/conf/IFNAME/`.
    ///
    /// ```swift
    /// Sysctl.ipv4Interface("eth0", .proxyARP)
    /// ```
    public enum IPv4Setting: String, Sendable {
        case proxyARP = "proxy_arp"
        case forwarding = "forwarding"
        case rpFilter = "rp_filter"
        case acceptLocal = "accept_local"
        case routeLocalnet = "route_localnet"
        case sendRedirects = "send_redirects"
    }

    /// Per-interface IPv6 settings under `net/ipv6/conf/IFNAME/`.
    ///
    /// ```swift
    /// Sysctl.ipv6Interface("eth0", .proxyNDP)
    /// ```
    public enum IPv6Setting: String, Sendable {
        case forwarding = "forwarding"
        case acceptRA = "accept_ra"
        case proxyNDP = "proxy_ndp"
        case disableIPv6 = "disable_ipv6"
    }

    /// `net/ipv4/conf/IFNAME/SETTING` (a key with slashes, so dotted interface names work).
    ///
    /// ```swift
    /// Sysctl.ipv4Interface("eth0", .rpFilter)   // "net/ipv4/conf/eth0/rp_filter"
    /// ```
    public static func ipv4Interface(_ interface: String, _ setting: IPv4Setting) -> String {
        "net/ipv4/conf/\(interface)/\(setting.rawValue)"
    }

    /// `net/ipv6/conf/IFNAME/SETTING`.
    ///
    /// ```swift
    /// Sysctl.ipv6Interface("all", .forwarding)
    /// ```
    public static func ipv6Interface(_ interface: String, _ setting: IPv6Setting) -> String {
        "net/ipv6/conf/\(interface)/\(setting.rawValue)"
    }

    /// Writes `value` to `/proc/sys/KEY`.
    ///
    /// ```swift
    /// try Sysctl.write("net/ipv4/conf/eth0/proxy_arp", "1")
    /// ```
    public static func write(_ key: String, _ value: String) throws(NetlinkError) {
        let path = try path(for: key)
        let operation = "writing \(value) to sysctl \(key)"
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: operation, errno: Glibc.errno) }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .system(operation: operation, errno: written < 0 ? Glibc.errno : EIO) }
    }

    /// Reads `/proc/sys/KEY`, without the trailing newline.
    ///
    /// ```swift
    /// let forwarding = try Sysctl.read("net/ipv4/ip_forward")   // "1"
    /// ```
    public static func read(_ key: String) throws(NetlinkError) -> String {
        let path = try path(for: key)
        let operation = "reading sysctl \(key)"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: operation, errno: Glibc.errno) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw .system(operation: operation, errno: Glibc.errno) }
        var text = String(decoding: buffer.prefix(count), as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    private static func path(for key: String) throws(NetlinkError) -> String {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw .invalidArgument(operation: "sysctl \(key)", reason: "key must be a relative path like net/ipv4/ip_forward")
        }
        return "/proc/sys/" + key
    }
}
