#if canImport(Glibc)
import Glibc
#endif

/// Why the node agent could not do something, worded so the operator knows what to do.
///
/// ```swift
/// catch let error as NodeError { print("rampart-node: \(error)") }
/// ```
public enum NodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file could not be read or written.
    case io(path: String, operation: String, errno: Int32)
    /// The configuration file or a command-line value is unusable.
    case configuration(String)
    /// The primary CNI plugin's configuration is missing or not what a conflist is.
    case conflist(path: String, reason: String)
    /// A socket could not be opened, bound or served.
    case socket(operation: String, errno: Int32)
    /// The tunnel device or its routes could not be set up.
    case tunnel(String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let code):
            return "\(operation) \(path) failed: \(String(cString: strerror(code)))"
        case .configuration(let message): return message
        case .conflist(let path, let reason): return "\(path): \(reason)"
        case .socket(let operation, let code): return "\(operation) failed: \(String(cString: strerror(code)))"
        case .tunnel(let message): return message
        }
    }
}
