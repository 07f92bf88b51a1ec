/// A pod, reduced to what names its addresses: where it runs, what it runs, which IPs it holds.
///
/// ```swift
/// let pod = try KubeJSON.decode(Pod.self, from: body, what: "pod")
/// pod.addresses  // ["10.244.1.7"] once the pod has an IP
/// ```
public struct Pod: KubeObject {
    public static let resource = KubeResource.pods
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Equatable {
        public var nodeName: String?
        public var serviceAccountName: String?
        public var hostNetwork: Bool?
        public var containers: [Container]?
        public init(nodeName: String? = nil, serviceAccountName: String? = nil, hostNetwork: Bool? = nil, containers: [Container]? = nil) {
            self.nodeName = nodeName
            self.serviceAccountName = serviceAccountName
            self.hostNetwork = hostNetwork
            self.containers = containers
        }
    }

    public struct Container: Codable, Sendable, Equatable {
        public var name: String
        public var image: String?
        public init(name: String, image: String? = nil) {
            self.name = name
            self.image = image
        }
    }

    public struct Status: Codable, Sendable, Equatable {
        public var phase: String?
        public var podIP: String?
        public var podIPs: [PodIP]?
        public var hostIP: String?
        public init(phase: String? = nil, podIP: String? = nil, podIPs: [PodIP]? = nil) {
            self.phase = phase
            self.podIP = podIP
            self.podIPs = podIPs
        }
    }

    public struct PodIP: Codable, Sendable, Equatable {
        public var ip: String
        public init(ip: String) { self.ip = ip }
    }

    public init(metadata: ObjectMeta, spec: Spec? = nil, status: Status? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// The pod's own IPs (both families), or none while it has no sandbox, when it uses the
    /// node's network, or once it has finished: a finished pod's IP may already be another's.
    public var addresses: [String] {
        if spec?.hostNetwork == true { return [] }
        if let phase = status?.phase, phase == "Succeeded" || phase == "Failed" { return [] }
        var result: [String] = []
        for ip in status?.podIPs ?? [] where !result.contains(ip.ip) { result.append(ip.ip) }
        if let ip = status?.podIP, !ip.isEmpty, !result.contains(ip) { result.insert(ip, at: 0) }
        return result
    }
}
