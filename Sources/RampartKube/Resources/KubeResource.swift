/// Where a kind of object lives in the API: its group/version path and plural name.
///
/// ```swift
/// KubeResource.pods.listPath(namespace: nil)  // "/api/v1/pods"
/// KubeResource.endpointSlices.listPath(namespace: "shop")
/// // "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices"
/// ```
public struct KubeResource: Sendable, Hashable, CustomStringConvertible {
    /// `""` for the core group.
    public var group: String
    public var version: String
    public var plural: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    public static let pods = KubeResource(group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true)
    public static let namespaces = KubeResource(group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false)
    public static let services = KubeResource(group: "", version: "v1", plural: "services", kind: "Service", namespaced: true)
    public static let nodes = KubeResource(group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false)
    public static let secrets = KubeResource(group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true)
    public static let endpointSlices = KubeResource(
        group: "discovery.k8s.io", version: "v1", plural: "endpointslices", kind: "EndpointSlice", namespaced: true)
    public static let replicaSets = KubeResource(group: "apps", version: "v1", plural: "replicasets", kind: "ReplicaSet", namespaced: true)
    public static let jobs = KubeResource(group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true)

    /// The collection's path, across all namespaces when `namespace` is nil.
    public func listPath(namespace: String? = nil) -> String {
        let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if let namespace, namespaced { return "\(base)/namespaces/\(namespace)/\(plural)" }
        return "\(base)/\(plural)"
    }

    /// One object's path.
    public func objectPath(name: String, namespace: String? = nil) -> String {
        "\(listPath(namespace: namespace))/\(name)"
    }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }
}
