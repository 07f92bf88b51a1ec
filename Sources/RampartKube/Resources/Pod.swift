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
        /// Run before `containers`, each to completion; their images count for image trust.
        public var initContainers: [Container]?
        /// Added to a running pod (`kubectl debug`); their images count for image trust too.
        public var ephemeralContainers: [Container]?
        public init(nodeName: String? = nil, serviceAccountName: String? = nil, hostNetwork: Bool? = nil, containers: [Container]? = nil,
                    initContainers: [Container]? = nil, ephemeralContainers: [Container]? = nil) {
            self.nodeName = nodeName
            self.serviceAccountName = serviceAccountName
            self.hostNetwork = hostNetwork
            self.containers = containers
            self.initContainers = initContainers
            self.ephemeralContainers = ephemeralContainers
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
        /// What the node runs for each container: `imageID` names the digest it pulled, so an
        /// image referenced by a tag is judged by what the tag meant on that node.
        public var containerStatuses: [ContainerStatus]?
        public var initContainerStatuses: [ContainerStatus]?
        public var ephemeralContainerStatuses: [ContainerStatus]?
        public init(phase: String? = nil, podIP: String? = nil, podIPs: [PodIP]? = nil, containerStatuses: [ContainerStatus]? = nil,
                    initContainerStatuses: [ContainerStatus]? = nil, ephemeralContainerStatuses: [ContainerStatus]? = nil) {
            self.phase = phase
            self.podIP = podIP
            self.podIPs = podIPs
            self.containerStatuses = containerStatuses
            self.initContainerStatuses = initContainerStatuses
            self.ephemeralContainerStatuses = ephemeralContainerStatuses
        }
    }

    /// One container's status, reduced to the image the node runs.
    public struct ContainerStatus: Codable, Sendable, Equatable {
        public var name: String
        /// The image as the runtime names it (often the spec's reference, normalised).
        public var image: String?
        /// The image the node pulled: `docker.io/library/nginx@sha256:…` (containerd, CRI-O),
        /// `docker-pullable://nginx@sha256:…` (dockershim), or a bare `sha256:…` image id for
        /// an image that has no registry digest (loaded locally). Empty until it is pulled.
        public var imageID: String?
        public init(name: String, image: String? = nil, imageID: String? = nil) {
            self.name = name
            self.image = image
            self.imageID = imageID
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

    /// Succeeded or Failed: its containers are gone for good.
    public var hasFinished: Bool {
        guard let phase = status?.phase else { return false }
        return phase == "Succeeded" || phase == "Failed"
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
