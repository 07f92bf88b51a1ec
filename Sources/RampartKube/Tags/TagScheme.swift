/// The documented, stable tag names the watcher gives addresses (docs/manager.md).
///
/// Rampart style: `cluster:prod`, `ns:shop`, `pod:shop/web-1`, `label:app=web`, `nslabel:team=payments`,
/// `service:shop/web`, `node:worker-1`, `workload:web`, `workload-kind:deployment`,
/// `serviceaccount:web`, `image:nginx:1.25`, `kind:pod|service|node`.
/// Compatible style: `k8s.cl_prod.ns_shop`, `k8s.cl_prod.ns_shop.svc_web`,
/// `k8s.cl_prod.ns_shop.rs_web-7d9f`, `.ds_`, `.ss_`, `k8s.cl_prod.nodes`,
/// `k8s.cl_prod.KEY.VALUE` for labels; at most 127 characters.
///
/// ```swift
/// var scheme = TagScheme(cluster: "prod", style: .both)
/// let tags = scheme.podTags(pod, namespace: ns, services: ["web"], workload: workload)
/// ```
public struct TagScheme: Sendable {
    public var cluster: String
    public var style: TagStyle
    public var labels: LabelFilter
    /// Compatible tag names longer than 127 characters, truncated: which full name each
    /// truncated name stands for, so a second full name that truncates alike gets a hash.
    private var truncated: [String: String] = [:]

    public static let compatibleMaximumLength = 127

    public init(cluster: String, style: TagStyle = .rampart, labels: LabelFilter = LabelFilter()) {
        self.cluster = cluster
        self.style = style
        self.labels = labels
    }

    /// A pod's tags.
    public mutating func podTags(_ pod: Pod, namespace: Namespace?, services: [String], workload: Workload?) -> [String] {
        let ns = pod.metadata.namespace ?? "default"
        var tags: Set<String> = []
        if style.emitsRampart {
            tags.insert("kind:pod")
            tags.insert("cluster:\(cluster)")
            tags.insert("ns:\(ns)")
            // The pod itself, so flow records name both ends (one value per address).
            tags.insert("pod:\(ns)/\(pod.metadata.name)")
            for (key, value) in pod.metadata.labels ?? [:] where labels.admits(key) { tags.insert("label:\(key)=\(value)") }
            for (key, value) in namespace?.metadata.labels ?? [:] where labels.admits(key) { tags.insert("nslabel:\(key)=\(value)") }
            for service in services { tags.insert("service:\(ns)/\(service)") }
            if let node = pod.spec?.nodeName, !node.isEmpty { tags.insert("node:\(node)") }
            if let workload {
                tags.insert("workload:\(workload.name)")
                tags.insert("workload-kind:\(workload.kind.lowercased())")
            }
            if let account = pod.spec?.serviceAccountName, !account.isEmpty { tags.insert("serviceaccount:\(account)") }
            for container in pod.spec?.containers ?? [] {
                if let image = container.image, !image.isEmpty { tags.insert("image:\(image)") }
            }
        }
        if style.emitsCompatible {
            let base = "k8s.cl_\(cluster).ns_\(ns)"
            tags.insert(compatible(base))
            for service in services { tags.insert(compatible("\(base).svc_\(service)")) }
            if let workload, let short = TagScheme.compatibleKinds[workload.controllerKind] {
                tags.insert(compatible("\(base).\(short)_\(workload.controllerName)"))
            }
            for (key, value) in pod.metadata.labels ?? [:] where labels.admits(key) {
                tags.insert(compatible("k8s.cl_\(cluster).\(key).\(value)"))
            }
        }
        return TagScheme.valid(tags)
    }

    /// A service's cluster, external and load-balancer IPs.
    public mutating func serviceTags(_ service: Service) -> [String] {
        let ns = service.metadata.namespace ?? "default"
        var tags: Set<String> = []
        if style.emitsRampart {
            tags.insert("kind:service")
            tags.insert("cluster:\(cluster)")
            tags.insert("ns:\(ns)")
            tags.insert("service:\(ns)/\(service.metadata.name)")
            if let type = service.spec?.type { tags.insert("service-type:\(type.lowercased())") }
            for (key, value) in service.metadata.labels ?? [:] where labels.admits(key) { tags.insert("label:\(key)=\(value)") }
        }
        if style.emitsCompatible {
            tags.insert(compatible("k8s.cl_\(cluster).ns_\(ns)"))
            tags.insert(compatible("k8s.cl_\(cluster).ns_\(ns).svc_\(service.metadata.name)"))
        }
        return TagScheme.valid(tags)
    }

    /// A node's addresses.
    public mutating func nodeTags(_ node: Node) -> [String] {
        var tags: Set<String> = []
        if style.emitsRampart {
            tags.insert("kind:node")
            tags.insert("cluster:\(cluster)")
            tags.insert("node:\(node.metadata.name)")
        }
        if style.emitsCompatible { tags.insert(compatible("k8s.cl_\(cluster).nodes")) }
        return TagScheme.valid(tags)
    }

    static let compatibleKinds = ["ReplicaSet": "rs", "DaemonSet": "ds", "StatefulSet": "ss"]

    /// `name` cut to 127 characters; when two different names cut alike, the later one ends
    /// in `_` and 8 hex digits of its full name's hash instead.
    mutating func compatible(_ name: String) -> String {
        guard name.utf8.count > TagScheme.compatibleMaximumLength else { return name }
        let cut = String(decoding: name.utf8.prefix(TagScheme.compatibleMaximumLength), as: UTF8.self)
        if let owner = truncated[cut], owner != name {
            let hash = TagScheme.fnv1a(name)
            let hex = String(hash, radix: 16)
            let padded = String(repeating: "0", count: 8 - hex.count) + hex
            return String(decoding: name.utf8.prefix(TagScheme.compatibleMaximumLength - 9), as: UTF8.self) + "_" + padded
        }
        truncated[cut] = name
        return cut
    }

    static func fnv1a(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        return hash
    }

    /// Drops anything the policy's tag syntax would refuse (a label value cannot hold one,
    /// but images and hand-made names might), sorted for stable comparison.
    static func valid(_ tags: Set<String>) -> [String] {
        tags.filter { TagName.isValid($0) }.sorted()
    }
}
