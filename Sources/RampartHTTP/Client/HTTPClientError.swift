/// Why a request made with `HTTPConnection` got no answer. Callers that speak a protocol on
/// top (the Kubernetes client, the manager's pushes, the firewall's list feeds) turn it into
/// their own error with what to do next.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libcurl refused a setting (a PEM blob, a URL), or could not start.
    case configuration(String)
    /// The connection failed: refused, unreachable, TLS, timeout, reset, stalled, too large.
    case transport(url: String, detail: String)

    public var description: String {
        switch self {
        case .configuration(let detail): return detail
        case .transport(let url, let detail): return "cannot reach \(url): \(detail)"
        }
    }
}
