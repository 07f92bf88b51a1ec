import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// An open network namespace file (`/run/netns/NAME`, `/proc/PID/ns/net`, or the
/// `CNI_NETNS` path). Holding it open keeps the namespace reachable; its descriptor is
/// what `IFLA_NET_NS_FD` needs to create or move links into it.
///
/// Entering is per thread (`setns(2)` on the calling thread) and always undone before
/// returning, so synchronous work inside never leaks into the thread's later work.
///
/// ```swift
/// let pod = try NetworkNamespace(path: ProcessInfo.processInfo.environment["CNI_NETNS"]!)
/// let socket = try pod.openSocket()
/// try pod.perform { try Sysctl.write("net/ipv4/conf/eth0/proxy_arp", "1") }
/// ```
public final class NetworkNamespace: Sendable {
    /// The path it was opened from.
    public let path: String
    /// An `O_RDONLY | O_CLOEXEC` descriptor of the namespace file.
    public let descriptor: Int32

    /// Opens the namespace file at `path`.
    ///
    /// - Throws: `.namespaceNotFound` when the path does not exist, `.notANamespace` when it
    ///   exists but is no namespace (e.g. an unmounted `/run/netns` entry).
    ///
    /// ```swift
    /// let ns = try NetworkNamespace(path: "/run/netns/pod1")
    /// ```
    public init(path: String) throws(NetlinkError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = Glibc.errno
            if code == ENOENT || code == ENOTDIR { throw .namespaceNotFound(path: path) }
            throw .system(operation: "opening network namespace \(path)", errno: code)
        }
        guard clinux_is_network_namespace(fd) == 1 else {
            close(fd)
            throw .notANamespace(path: path)
        }
        self.path = path
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// The calling thread's own network namespace.
    ///
    /// ```swift
    /// let home = try NetworkNamespace.current()
    /// ```
    public static func current() throws(NetlinkError) -> NetworkNamespace {
        try NetworkNamespace(path: "/proc/thread-self/ns/net")
    }

    /// Runs `body` on the calling thread while it is inside this namespace, then returns the
    /// thread to the namespace it was in, whether `body` returns or throws. Keep `body`
    /// short and synchronous (sysctl writes, opening sockets): nothing else may run on
    /// this thread meanwhile, and `await` inside is impossible by construction.
    ///
    /// ```swift
    /// try pod.perform { try Sysctl.write("net/ipv4/ip_forward", "1") }
    /// ```
    public func perform<R>(_ body: () throws -> R) throws -> R {
        let home = try NetworkNamespace.current()
        try NetworkNamespace.enter(descriptor, operation: "entering network namespace \(path)")
        defer {
            do {
                try NetworkNamespace.enter(home.descriptor, operation: "returning to the original network namespace")
            } catch {
                // A thread stuck in a pod's namespace would silently misroute every later
                // call it serves; stopping is the only safe outcome.
                fatalError("\(error)")
            }
        }
        return try body()
    }

    /// Opens a `NETLINK_ROUTE` socket that lives in this namespace. The socket keeps
    /// working there after the thread returns home.
    ///
    /// ```swift
    /// let socket = try NetworkNamespace(path: "/proc/1234/ns/net").openSocket()
    /// ```
    public func openSocket(timeout: Duration = .seconds(5)) throws(NetlinkError) -> NetlinkSocket {
        do {
            return try perform { try NetlinkSocket(timeout: timeout) }
        } catch let error as NetlinkError {
            throw error
        } catch {
            throw .system(operation: "opening a netlink socket in \(path)", errno: EIO)
        }
    }

    /// `NetworkNamespace(path:).perform(body)` in one call.
    ///
    /// ```swift
    /// try NetworkNamespace.withNamespace("/run/netns/pod1") { try Sysctl.read("net/ipv4/ip_forward") }
    /// ```
    public static func withNamespace<R>(_ path: String, _ body: () throws -> R) throws -> R {
        try NetworkNamespace(path: path).perform(body)
    }

    private static func enter(_ fd: Int32, operation: String) throws(NetlinkError) {
        guard clinux_setns_net(fd) == 0 else {
            throw .system(operation: operation, errno: Glibc.errno)
        }
    }
}
