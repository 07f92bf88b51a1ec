#if canImport(Glibc)
import Glibc
#endif

/// Why a netlink operation failed. Every case names the operation and the object it was
/// applied to, so a log line reads like `adding route 10.1.0.0/16 table 100: File exists
/// (EEXIST)`.
///
/// ```swift
/// do { try socket.addRoute(route) }
/// catch let error as NetlinkError where error.isAlreadyExists { /* idempotent ADD */ }
/// ```
public enum NetlinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kernel answered with a negative errno; `message` is its extended ack text, if any.
    case kernel(operation: String, errno: Int32, message: String?)
    /// A system call on our side failed (socket, send, recv, open, setns).
    case system(operation: String, errno: Int32)
    /// No reply arrived within the socket's receive timeout.
    case timedOut(operation: String)
    /// The network namespace file does not exist: for a CNI plugin, "netns gone".
    case namespaceNotFound(path: String)
    /// The path exists but is not (or no longer) a network namespace, e.g. an unmounted
    /// `/run/netns` entry. Also "netns gone" for a CNI DEL.
    case notANamespace(path: String)
    /// The kernel's reply could not be parsed; nothing was trusted from it.
    case malformedReply(operation: String, reason: String)
    /// The request could not be built (e.g. mixed address families, a name too long).
    case invalidArgument(operation: String, reason: String)
    /// A lookup by name or index found nothing.
    case notFound(operation: String)

    /// The errno behind the failure, if there was one.
    ///
    /// ```swift
    /// if error.errno == EEXIST { ... }
    /// ```
    public var errno: Int32? {
        switch self {
        case .kernel(_, let code, _), .system(_, let code): return code
        case .timedOut: return ETIMEDOUT
        case .namespaceNotFound, .notFound: return ENOENT
        case .notANamespace, .invalidArgument: return EINVAL
        case .malformedReply: return EPROTO
        }
    }

    /// True when the object already existed (EEXIST).
    ///
    /// ```swift
    /// catch let e as NetlinkError where e.isAlreadyExists {}
    /// ```
    public var isAlreadyExists: Bool { errno == EEXIST }

    /// True when the object was missing: ENOENT, ENODEV, ESRCH or EADDRNOTAVAIL, which the
    /// kernel uses for missing routes, links, rules and addresses respectively.
    ///
    /// ```swift
    /// catch let e as NetlinkError where e.isNotFound {}   // DEL tolerates "already gone"
    /// ```
    public var isNotFound: Bool {
        guard let code = errno else { return false }
        return code == ENOENT || code == ENODEV || code == ESRCH || code == EADDRNOTAVAIL
    }

    /// True when the network namespace is gone (missing file or not a namespace).
    ///
    /// ```swift
    /// catch let e as NetlinkError where e.isNamespaceGone { return }  // CNI DEL
    /// ```
    public var isNamespaceGone: Bool {
        switch self {
        case .namespaceNotFound, .notANamespace: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .kernel(let operation, let code, let message):
            let base = "\(operation): \(NetlinkError.describe(errno: code))"
            guard let message, !message.isEmpty else { return base }
            return base + " — \(message)"
        case .system(let operation, let code):
            return "\(operation): \(NetlinkError.describe(errno: code))"
        case .timedOut(let operation):
            return "\(operation): no reply from the kernel before the timeout"
        case .namespaceNotFound(let path):
            return "network namespace \(path) does not exist"
        case .notANamespace(let path):
            return "\(path) is not a network namespace"
        case .malformedReply(let operation, let reason):
            return "\(operation): malformed netlink reply (\(reason))"
        case .invalidArgument(let operation, let reason):
            return "\(operation): \(reason)"
        case .notFound(let operation):
            return "\(operation): not found"
        }
    }

    /// `File exists (EEXIST)`: the C library's text and the symbolic name.
    static func describe(errno code: Int32) -> String {
        let text = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        guard let name = errnoNames[code] else { return text }
        return "\(text) (\(name))"
    }

    private static let errnoNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
        ENXIO: "ENXIO", E2BIG: "E2BIG", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
        EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV",
        ENOTDIR: "ENOTDIR", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE",
        ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENAMETOOLONG: "ENAMETOOLONG", ENOSYS: "ENOSYS",
        ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP", EPROTO: "EPROTO", ENOTSOCK: "ENOTSOCK",
        EMSGSIZE: "EMSGSIZE", EPROTONOSUPPORT: "EPROTONOSUPPORT", EOPNOTSUPP: "EOPNOTSUPP",
        EAFNOSUPPORT: "EAFNOSUPPORT", EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL",
        ENETDOWN: "ENETDOWN", ENETUNREACH: "ENETUNREACH", ENOBUFS: "ENOBUFS",
        ETIMEDOUT: "ETIMEDOUT", EHOSTUNREACH: "EHOSTUNREACH",
    ]
}
