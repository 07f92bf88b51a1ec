import FoundationEssentials
import RampartHTTP
import RampartPOSIX

/// A read-only Kubernetes API client: get, list in pages, and watch, over one kept-alive
/// HTTPS connection. Blocking; give each watcher thread its own client.
///
/// ```swift
/// let client = try KubeClient(credentials: .kubeconfig(at: "prod.kubeconfig"))
/// let (pods, version) = try client.listAll(Pod.self)
/// try client.watch(Pod.self, from: version, timeoutSeconds: 290, stallTimeout: 320) { event in
///     print(event); return true
/// }
/// ```
public final class KubeClient {
    public let credentials: ClusterCredentials
    private let connection: HTTPConnection
    public var requestTimeout: Double

    public init(credentials: ClusterCredentials, connectTimeout: Double = 5, requestTimeout: Double = 30) throws(KubeError) {
        self.credentials = credentials
        self.requestTimeout = requestTimeout
        do throws(HTTPClientError) {
            connection = try HTTPConnection(tls: credentials.tls, connectTimeout: connectTimeout)
        } catch { throw KubeError(error) }
    }

    /// A selector narrowing a list or watch, as the API's query parameters take them.
    public struct Selector: Sendable, Equatable {
        public var namespace: String?
        public var labelSelector: String?
        public var fieldSelector: String?
        public init(namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil) {
            self.namespace = namespace
            self.labelSelector = labelSelector
            self.fieldSelector = fieldSelector
        }
    }

    /// One object by name.
    public func get<T: KubeObject>(_ type: T.Type, name: String, namespace: String? = nil) throws(KubeError) -> T {
        let url = credentials.server + T.resource.objectPath(name: name, namespace: namespace)
        let response = try send(url: url)
        return try KubeJSON.decode(T.self, from: response.body, what: "\(T.resource.kind) \(name)")
    }

    /// One page of a list.
    public func list<T: KubeObject>(
        _ type: T.Type, selector: Selector = Selector(), limit: Int = 500, continue token: String? = nil
    ) throws(KubeError) -> ObjectList<T> {
        var query: [(String, String)] = [("limit", String(limit))]
        if let token { query.append(("continue", token)) }
        let url = self.url(T.resource, selector, query)
        let response = try send(url: url)
        return try KubeJSON.decode(ObjectList<T>.self, from: response.body, what: "\(T.resource) list")
    }

    /// Every object, page by page, and the resourceVersion to watch from. A continue token
    /// that expires between pages throws `.expired`: list again from the start.
    public func listAll<T: KubeObject>(
        _ type: T.Type, selector: Selector = Selector(), pageSize: Int = 500
    ) throws(KubeError) -> (items: [T], resourceVersion: String, rejected: [String]) {
        var items: [T] = []
        var rejected: [String] = []
        var token: String?
        while true {
            let page = try list(T.self, selector: selector, limit: pageSize, continue: token)
            items.append(contentsOf: page.items)
            rejected.append(contentsOf: page.rejected)
            if let next = page.metadata.continue, !next.isEmpty {
                token = next
                continue
            }
            guard let version = page.metadata.resourceVersion else {
                throw .malformed(what: "\(T.resource) list", detail: "at metadata.resourceVersion: required field is missing")
            }
            return (items, version, rejected)
        }
    }

    /// Streams changes after `version` until the server ends the stream (`timeoutSeconds`),
    /// `onEvent` returns false, `stop` is raised, or nothing arrives for `stallTimeout`
    /// seconds (thrown as `.transport`). Bookmarks are asked for, but a real API server may
    /// send none at all while the resource does not change: keep `stallTimeout` above
    /// `timeoutSeconds` (`Reflector.stallWindow`), or a quiet watch is taken for a dead one.
    public func watch<T: KubeObject>(
        _ type: T.Type, from version: String, selector: Selector = Selector(), timeoutSeconds: Int = 290,
        stallTimeout: Double = 320, stop: StopSignal? = nil, onEvent: @escaping (WatchEvent<T>) -> Bool
    ) throws(KubeError) {
        let query = [
            ("watch", "1"), ("resourceVersion", version), ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", String(timeoutSeconds)),
        ]
        let url = self.url(T.resource, selector, query)
        var failure: KubeError?
        let authorization = try headers()
        let response: HTTPResponse
        do throws(HTTPClientError) {
            response = try connection.stream(url: url, headers: authorization, stallTimeout: stallTimeout, stop: stop) { line in
                do throws(KubeError) {
                    return onEvent(try WatchEvent<T>.decode(line: line))
                } catch {
                    failure = error
                    return false
                }
            }
        } catch { throw KubeError(error) }
        if let failure { throw failure }
        try check(response, url: url)
    }

    // MARK: plumbing

    private func headers() throws(KubeError) -> [String] {
        try credentials.authorizationHeader().map { [$0] } ?? []
    }

    private func send(url: String) throws(KubeError) -> HTTPResponse {
        // A page of 500 real pods (managed fields and all) is several MB: well past the
        // client's default limit, which is for small answers.
        let authorization = try headers()
        let response: HTTPResponse
        do throws(HTTPClientError) {
            response = try connection.request(url: url, headers: authorization, timeout: requestTimeout, maxBodyBytes: 256 << 20)
        } catch { throw KubeError(error) }
        try check(response, url: url)
        return response
    }

    private func check(_ response: HTTPResponse, url: String) throws(KubeError) {
        guard !(200..<300).contains(response.status) else { return }
        let status = try? KubeJSON.decode(KubeStatus.self, from: response.body, what: "status")
        let message = status?.message ?? String(response.text.prefix(200))
        let where_ = String(url.prefix { $0 != "?" })
        switch response.status {
        case 401: throw .unauthorized(url: where_, message: message)
        case 403: throw .forbidden(url: where_, message: message)
        case 410: throw .expired(message: message)
        default: throw .status(url: where_, code: response.status, message: message)
        }
    }

    private func url(_ resource: KubeResource, _ selector: Selector, _ query: [(String, String)]) -> String {
        var items = query
        if let label = selector.labelSelector, !label.isEmpty { items.append(("labelSelector", label)) }
        if let field = selector.fieldSelector, !field.isEmpty { items.append(("fieldSelector", field)) }
        let text = items.map { "\($0.0)=\(KubeClient.escape($0.1))" }.joined(separator: "&")
        return credentials.server + resource.listPath(namespace: selector.namespace) + "?" + text
    }

    /// `value` for a query: RFC 3986's unreserved characters (ASCII letters, digits and
    /// `-._~`) as they are, every other byte of its UTF-8 as `%XX`.
    static func escape(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
