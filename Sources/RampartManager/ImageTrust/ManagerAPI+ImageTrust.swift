import FoundationEssentials
import RampartHTTP

extension ManagerAPI {
    /// `GET /image-trust/pods[?cluster=C][&alerts=true]` and
    /// `GET /admission[?from=TIME][&to=TIME][&decision=allow|alert|deny][&limit=N]`.
    func imageTrustRoute(_ request: HTTPRequest) -> HTTPReply {
        let trust = manager.imageTrust
        if request.path == "/image-trust/pods" {
            let alerts = request.query["alerts"].map { $0 == "true" || $0 == "1" } ?? false
            return encoded(trust.untrustedPods(cluster: request.query["cluster"], alerts: alerts))
        }
        let from = request.query["from"].flatMap(ManagerAPI.time) ?? 0
        let to = request.query["to"].flatMap(ManagerAPI.time) ?? .greatestFiniteMagnitude
        let decision = request.query["decision"] ?? ""
        guard decision.isEmpty || ["allow", "alert", "deny"].contains(decision) else { return .error(400, "decision is allow, alert or deny") }
        let limit = request.query["limit"].flatMap { Int($0) }.map { min(max($0, 1), 100_000) } ?? 10_000
        do {
            return encoded(try trust.admissions(from: from, to: to, decision: decision, limit: limit).map(AdmissionLine.init))
        } catch {
            return .error(500, error.description)
        }
    }

    struct AdmissionLine: Encodable {
        var time: String
        var cluster, namespace, kind, name, operation, user, uid, decision, rules, message: String
        init(_ record: AdmissionRecord) {
            time = ManagerAPI.format(record.time)
            (cluster, namespace, kind, name, operation) = (record.cluster, record.namespace, record.kind, record.name, record.operation)
            (user, uid, decision, rules, message) = (record.user, record.uid, record.decision, record.rules, record.message)
        }
    }

    private func encoded<T: Encodable>(_ value: T) -> HTTPReply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return .error(500, "cannot encode the answer") }
        return HTTPReply(200, String(decoding: data, as: UTF8.self) + "\n")
    }

    /// The admission webhook's HTTPS listener (`spec.admission`): `POST /admission/CLUSTER`
    /// with an AdmissionReview, answered with one; `/admission` alone when the manager
    /// watches one cluster. No credentials, as the API server sends none to a webhook: the
    /// listener serves nothing else, and TLS is required.
    public func admissionListener(address: String, tls: TLSServerContext) throws(HTTPConfigurationError) -> HTTPServer {
        let manager = self.manager
        let clusters = manager.configuration.clusters.map(\.name)
        var limits = HTTPServer.Limits()
        // A review is one object (the API server caps requests at 3 MiB); the API server
        // may call from several replicas at once.
        limits.maximumBody = 4 * 1024 * 1024
        limits.workers = 4
        // The API server reuses its connections to a webhook (Go's transport keeps them
        // 90 s idle): kept open, a review pays no TLS handshake (docs/PERFORMANCE.md,
        // "Admission webhook"). Bounded like any connection; idle ones give way to new ones.
        limits.requestsPerConnection = 1000
        limits.idleTimeout = 30
        // Every review comes from the API server's few addresses, one connection each while
        // in flight: a burst of creates must not meet the per-client limit meant for people.
        limits.connections = 1024
        limits.connectionsPerClient = 512
        let review: @Sendable (HTTPRequest) -> HTTPReply = { request in
            guard request.method == "POST" else { return .error(405, "POST an AdmissionReview (admission.k8s.io/v1) to /admission/CLUSTER") }
            let cluster: String
            if request.path.hasPrefix("/admission/") {
                cluster = String(request.path.dropFirst("/admission/".count))
            } else if request.path == "/admission", clusters.count == 1 {
                cluster = clusters[0]
            } else {
                return .error(404, "POST to /admission/CLUSTER, CLUSTER one of: \(clusters.joined(separator: ", "))")
            }
            guard clusters.contains(cluster) else {
                return .error(404, "no cluster named '\(cluster.prefix(80))'; POST to /admission/CLUSTER, CLUSTER one of: \(clusters.joined(separator: ", "))")
            }
            return manager.imageTrust.review(body: request.body, cluster: cluster)
        }
        let server = try HTTPServer(name: "admission", listen: address, access: .webhook, tls: tls, limits: limits,
                                    permission: { _, _ in .read }, handler: review)
        listeners.add(server)
        return server
    }
}
