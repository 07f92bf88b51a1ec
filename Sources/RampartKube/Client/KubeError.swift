import RampartHTTP
/// Why talking to a Kubernetes API server (or a firewall's admin API) failed, worded so the
/// operator knows what to do next.
///
/// ```swift
/// catch let error as KubeError where error.isRetryable { backoff.wait() }
/// ```
public enum KubeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection failed: refused, unreachable, TLS, timeout, reset, stalled.
    case transport(url: String, detail: String)
    /// 401: the token or client certificate was not accepted.
    case unauthorized(url: String, message: String)
    /// 403: the credentials lack a permission the RBAC manifest grants.
    case forbidden(url: String, message: String)
    /// 410: the resourceVersion or continue token is too old; list again.
    case expired(message: String)
    /// Any other unexpected HTTP status.
    case status(url: String, code: Int, message: String)
    /// The body was not what the API returns.
    case malformed(what: String, detail: String)
    /// A kubeconfig, credential file or setting is unusable.
    case configuration(String)

    public var description: String {
        switch self {
        case .transport(let url, let detail): return "cannot reach \(url): \(detail)"
        case .unauthorized(let url, let message):
            return "\(url) refused the credentials (401 \(message)); check the token or client certificate, or produce a new credential file with `rampart-manager credentials`"
        case .forbidden(let url, let message):
            return "\(url) is forbidden (403 \(message)); apply deploy/rbac.yaml so the watcher's service account may list and watch it"
        case .expired(let message): return "resource version expired (410 \(message)); listing again"
        case .status(let url, let code, let message): return "\(url) answered \(code): \(message)"
        case .malformed(let what, let detail): return "\(what) is malformed: \(detail)"
        case .configuration(let detail): return detail
        }
    }

    /// Whether trying again later can help (everything but configuration and decoding errors).
    public var isRetryable: Bool {
        switch self {
        case .configuration: return false
        default: return true
        }
    }
}

extension KubeError {
    /// The HTTP client's failure, in the client's words.
    public init(_ error: HTTPClientError) {
        switch error {
        case .configuration(let detail): self = .configuration(detail)
        case .transport(let url, let detail): self = .transport(url: url, detail: detail)
        }
    }
}
