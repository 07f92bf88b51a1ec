import FoundationEssentials
@_exported import RampartHTTP  // HTTPRequest and HTTPReply are part of ManagerAPI's interface

/// The manager's local HTTP API (docs/manager.md):
///
/// | route | answer |
/// |---|---|
/// | `GET /healthz` | 200 while running |
/// | `GET /readyz` | 200 once every cluster is listed and every firewall holds the whole map, else 503 with why |
/// | `GET /metrics` | Prometheus text |
/// | `GET /clusters` | each cluster's sync state, object counts and errors |
/// | `GET /tags?address=IP` | the address's tags and cluster now |
/// | `GET /audit?address=IP&at=TIME` | the tags it had at TIME (RFC 3339 or Unix seconds) |
/// | `GET /audit?address=IP[&from=TIME][&to=TIME]` | every change of the address |
/// | `GET /image-trust/pods[?cluster=C][&alerts=true]` | running pods judged untrusted (and alert) |
/// | `GET /admission[?from=TIME][&to=TIME][&decision=deny]` | the webhook's recorded decisions |
/// | `/policy...` | policy commits, rollback, what each firewall runs (`ManagerAPI+Policy.swift`) |
/// | `GET /logs?...` | the log store searched (`ManagerAPI+Logs.swift`) |
///
/// Served by the shared HTTP server (RampartHTTP): `listener` for the API (bearer tokens
/// of any role, or open on loopback), `probeListener` for `/healthz`, `/readyz` and
/// `/metrics` without credentials.
///
/// ```swift
/// let api = ManagerAPI(manager: manager)
/// api.handle(HTTPRequest(method: "GET", path: "/healthz"))
/// let server = try api.listener(address: "127.0.0.1:9690", tokens: nil)
/// server.start()
/// ```
public struct ManagerAPI: Sendable {
    public let manager: Manager
    /// Both listeners' connection counters, shown in `/metrics`.
    public let listeners = HTTPListenerSet()

    public init(manager: Manager) { self.manager = manager }

    /// The API listener: reads need any token's role (or any client certificate identity
    /// `tls` gives a role); policy commits and rollbacks the role policy-writer.
    public func listener(address: String, tokens: BearerTokens?, tls: TLSServerContext? = nil) throws(HTTPConfigurationError) -> HTTPServer {
        let server = try HTTPServer(
            name: "api", listen: address, access: tokens.map { .tokens($0) } ?? .open, tls: tls,
            hint: "add spec.auth.tokensFile (a file of lines 'ROLE NAME TOKEN', mode 0600) or spec.tls with clientCA and clientRoles (mutual TLS; docs/manager.md)",
            permission: ManagerAPI.permission,
            handler: { request in handle(request) })
        listeners.add(server)
        return server
    }

    /// The probe listener: `/healthz`, `/readyz`, `/metrics`, GET and HEAD only, no credentials.
    public func probeListener(address: String) throws(HTTPConfigurationError) -> HTTPServer {
        let server = try HTTPServer(name: "probes", listen: address, access: .probes, limits: .probes) { request in
            guard ["/healthz", "/readyz", "/metrics"].contains(request.path) else {
                return .error(404, "the probe listener serves /healthz, /readyz and /metrics")
            }
            return handle(request)
        }
        listeners.add(server)
        return server
    }

    public func handle(_ request: HTTPRequest) -> HTTPReply {
        if let reply = policyRoute(request) ?? logsRoute(request) ?? auditsRoute(request) { return reply }
        guard request.method == "GET" else { return .error(405, "only GET is served") }
        switch request.path {
        case "/healthz": return HTTPReply(200, "ok\n", contentType: "text/plain")
        case "/readyz":
            let waiting = manager.readiness()
            if waiting.isEmpty { return HTTPReply(200, "ready\n", contentType: "text/plain") }
            return HTTPReply(503, waiting.joined(separator: "\n") + "\n", contentType: "text/plain")
        case "/metrics":
            return HTTPReply(200, manager.metrics() + manager.imageTrust.metrics() + listeners.prometheusText(prefix: "rampart_manager"),
                             contentType: "text/plain; version=0.0.4")
        case "/clusters": return json(manager.clusters())
        case "/tags":
            guard let address = request.query["address"] else { return .error(400, "give ?address=IP") }
            guard let entry = manager.tags(of: address) else { return json(TagsAnswer(address: address, cluster: nil, tags: [])) }
            return json(TagsAnswer(address: address, cluster: entry.cluster, tags: entry.tags))
        case "/audit":
            guard let address = request.query["address"] else { return .error(400, "give ?address=IP and at=TIME, or from/to") }
            do {
                if let at = request.query["at"] {
                    guard let time = ManagerAPI.time(at) else { return .error(400, "at must be RFC 3339 (2026-11-23T14:02:00Z) or Unix seconds") }
                    let record = try manager.audit(address: address, at: time)
                    return json(AuditAnswer(address: address, at: ManagerAPI.format(time), record: record.map(AuditLine.init)))
                }
                let from = request.query["from"].flatMap(ManagerAPI.time) ?? 0
                let to = request.query["to"].flatMap(ManagerAPI.time) ?? .greatestFiniteMagnitude
                return json(try manager.history(address: address, from: from, to: to).map(AuditLine.init))
            } catch {
                return .error(500, error.description)
            }
        case "/image-trust/pods", "/admission": return imageTrustRoute(request)
        default: return .error(404, "no such route; try /healthz, /readyz, /metrics, /clusters, /tags?address=, /audit?address=&at=")
        }
    }

    struct TagsAnswer: Encodable {
        var address: String
        var cluster: String?
        var tags: [String]
    }

    struct AuditLine: Encodable {
        var time: String
        var cluster: String
        var tags: [String]
        var reason: String
        init(_ record: AuditRecord) {
            time = ManagerAPI.format(record.time)
            cluster = record.cluster
            tags = record.tags
            reason = record.reason
        }
    }

    struct AuditAnswer: Encodable {
        var address: String
        var at: String
        /// nil: the address had no tags then.
        var record: AuditLine?
    }

    private func json<T: Encodable>(_ value: T) -> HTTPReply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return .error(500, "cannot encode the answer") }
        return HTTPReply(200, String(decoding: data, as: UTF8.self) + "\n")
    }

    /// RFC 3339 (with or without fractional seconds) or Unix seconds.
    public static func time(_ text: String) -> Double? {
        if let seconds = Double(text) { return seconds }
        return RFC3339.seconds(text)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-23T14:02:00.000Z`.
    public static func format(_ time: Double) -> String { RFC3339.string(time) }
}
