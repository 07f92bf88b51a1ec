/// A service: its cluster IPs get the service's tags, and its endpoints name its members.
///
/// ```swift
/// let svc = Service(metadata: ObjectMeta(name: "web", namespace: "shop"),
///                   spec: .init(type: "ClusterIP", clusterIPs: ["10.96.0.10"]))
/// ```
public struct Service: KubeObject {
    public static let resource = KubeResource.services
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var type: String?
        public var clusterIP: String?
        public var clusterIPs: [String]?
        public var externalIPs: [String]?
        public var selector: [String: String]?
        public init(type: String? = nil, clusterIP: String? = nil, clusterIPs: [String]? = nil, selector: [String: String]? = nil) {
            self.type = type
            self.clusterIP = clusterIP
            self.clusterIPs = clusterIPs
            self.selector = selector
        }
    }

    public struct Status: Codable, Sendable, Equatable {
        public var loadBalancer: LoadBalancer?
        public struct LoadBalancer: Codable, Sendable, Equatable {
            public var ingress: [Ingress]?
        }
        public struct Ingress: Codable, Sendable, Equatable {
            public var ip: String?
            public var hostname: String?
        }
    }

    public init(metadata: ObjectMeta, spec: Spec? = nil) {
        self.metadata = metadata
        self.spec = spec
    }

    /// Cluster IPs (not "None" of headless services), external IPs and load-balancer IPs.
    public var addresses: [String] {
        var result: [String] = []
        func add(_ ip: String?) {
            guard let ip, !ip.isEmpty, ip != "None", !result.contains(ip) else { return }
            result.append(ip)
        }
        add(spec?.clusterIP)
        for ip in spec?.clusterIPs ?? [] { add(ip) }
        for ip in spec?.externalIPs ?? [] { add(ip) }
        for ingress in status?.loadBalancer?.ingress ?? [] { add(ingress.ip) }
        return result
    }
}
