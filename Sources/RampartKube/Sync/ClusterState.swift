import FoundationEssentials
import RampartPOSIX

/// One cluster's objects as its reflectors last saw them, and the tags each address gets
/// from them. Every change that alters an address's tags is reported at once, in order,
/// through `onUpdate` (called with the state's lock held: keep it quick).
///
/// An address belongs to one object at a time: when a new pod takes an IP that an old
/// pod's record still holds (its deletion not seen yet), the newest claim wins, so a tag
/// never stays on an address another pod now holds.
///
/// ```swift
/// let state = ClusterState(scheme: TagScheme(cluster: "prod")) { updates in queue.append(updates) }
/// state.apply(ReflectorChange<Pod>.upserted(pod))
/// state.tags(of: "10.244.1.7")  // ["cluster:prod", "kind:pod", "ns:shop", ...]
/// ```
public final class ClusterState: @unchecked Sendable {
    /// Which namespaces count (nil: all) and which never do.
    public struct Scope: Sendable, Equatable {
        public var namespaces: [String]?
        public var excludedNamespaces: [String]
        public init(namespaces: [String]? = nil, excludedNamespaces: [String] = []) {
            self.namespaces = namespaces
            self.excludedNamespaces = excludedNamespaces
        }
        func admits(_ namespace: String) -> Bool {
            if excludedNamespaces.contains(namespace) { return false }
            return namespaces.map { $0.contains(namespace) } ?? true
        }
    }

    private enum Source: Hashable {
        case pod(String)
        case service(String)
        case node(String)
    }

    private struct Claim {
        var source: Source
        var tags: [String]
        /// When the claim was first made; the highest wins.
        var order: UInt64
    }

    private let lock = Lock()
    private var scheme: TagScheme
    private let scope: Scope
    private let onUpdate: ([AddressUpdate]) -> Void

    private var pods: [String: Pod] = [:]
    private var namespaces: [String: Namespace] = [:]
    private var services: [String: Service] = [:]
    private var nodes: [String: Node] = [:]
    private var replicaSets: [String: ReplicaSet] = [:]
    private var jobs: [String: Job] = [:]
    private var slices: [String: EndpointSlice] = [:]

    private var podsByNamespace: [String: Set<String>] = [:]
    /// "ns/Kind/name" of a pod's controller → the pods it controls.
    private var podsByController: [String: Set<String>] = [:]
    /// Pod key → where `index` filed it, so `unindex` need not search.
    private var podIndexKeys: [String: (namespace: String, controller: String?)] = [:]
    /// Pod key → service name → how many slices list it.
    private var podServices: [String: [String: Int]] = [:]

    private var claims: [String: [Claim]] = [:]
    private var claimedBy: [Source: Set<String>] = [:]
    private var published: [String: [String]] = [:]
    private var nextOrder: UInt64 = 1

    /// The image trust rules this cluster's pods are judged by (nil: none, no trust tag),
    /// and each judged pod's verdict (docs/image-trust.md).
    private var imageTrust: ImageTrustPolicy?
    private var verdicts: [String: PodVerdict] = [:]

    public init(scheme: TagScheme, scope: Scope = Scope(), onUpdate: @escaping ([AddressUpdate]) -> Void) {
        self.scheme = scheme
        self.scope = scope
        self.onUpdate = onUpdate
    }

    public var cluster: String { scheme.cluster }

    /// The tags an address has now (empty when none).
    public func tags(of address: String) -> [String] {
        lock.withLock { published[address] ?? [] }
    }

    /// Every tagged address.
    public func snapshot() -> [String: [String]] {
        lock.withLock { published }
    }

    public var counts: (pods: Int, namespaces: Int, services: Int, nodes: Int, addresses: Int) {
        lock.withLock { (pods.count, namespaces.count, services.count, nodes.count, published.count) }
    }

    // MARK: image trust

    /// Judges every pod by `policy` (nil: none) and gives its addresses the verdict's tag
    /// (`image-trust:trusted`, `:alert`, `:untrusted`); from then on every pod change is
    /// judged again. Addresses whose tag changes are reported at once, with `reason`.
    public func setImageTrust(_ policy: ImageTrustPolicy?, reason: String = "image trust rules changed") {
        update { touched in
            guard imageTrust != policy else { return }
            imageTrust = policy
            for key in pods.keys.sorted() { recomputePod(key, reason: reason, touched: &touched) }
        }
    }

    /// Every judged pod (`namespace/name`) with its verdict: pods that have not finished, in
    /// the watched namespaces, while trust rules are set.
    public func podVerdicts() -> [String: PodVerdict] {
        lock.withLock { verdicts }
    }

    /// A namespace's labels as last seen; nil when the namespace is not known.
    public func namespaceLabels(_ name: String) -> [String: String]? {
        lock.withLock { namespaces[name].map { $0.metadata.labels ?? [:] } }
    }

    // MARK: applying reflector changes

    public func apply(_ change: ReflectorChange<Pod>) {
        update { touched in
            for (pod, reason) in diff(change, &pods) {
                let key = pod.metadata.key
                unindex(key)
                if let now = pods[key] { index(now) }
                recomputePod(key, reason: reason, touched: &touched)
            }
        }
    }

    public func apply(_ change: ReflectorChange<Namespace>) {
        update { touched in
            for (ns, reason) in diff(change, &namespaces) {
                for key in podsByNamespace[ns.metadata.name] ?? [] {
                    recomputePod(key, reason: reason, touched: &touched)
                }
            }
        }
    }

    public func apply(_ change: ReflectorChange<Service>) {
        update { touched in
            for (service, reason) in diff(change, &services) {
                recomputeService(service.metadata.key, reason: reason, touched: &touched)
            }
        }
    }

    public func apply(_ change: ReflectorChange<Node>) {
        update { touched in
            for (node, reason) in diff(change, &nodes) {
                recomputeNode(node.metadata.name, reason: reason, touched: &touched)
            }
        }
    }

    public func apply(_ change: ReflectorChange<ReplicaSet>) {
        update { touched in
            for (rs, reason) in diff(change, &replicaSets) {
                let owner = "\(rs.metadata.namespace ?? "")/ReplicaSet/\(rs.metadata.name)"
                for key in podsByController[owner] ?? [] {
                    recomputePod(key, reason: reason, touched: &touched)
                }
            }
        }
    }

    public func apply(_ change: ReflectorChange<Job>) {
        update { touched in
            for (job, reason) in diff(change, &jobs) {
                let owner = "\(job.metadata.namespace ?? "")/Job/\(job.metadata.name)"
                for key in podsByController[owner] ?? [] {
                    recomputePod(key, reason: reason, touched: &touched)
                }
            }
        }
    }

    public func apply(_ change: ReflectorChange<EndpointSlice>) {
        update { touched in
            for (slice, reason) in diffSlices(change) {
                guard let service = slice.serviceName else { continue }
                let ns = slice.metadata.namespace ?? ""
                for key in members(of: slice) {
                    recomputePod(key, reason: "service \(ns)/\(service) endpoints \(reason)", touched: &touched)
                }
            }
        }
    }

    // MARK: internals

    private func update(_ body: (inout [String: String]) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        var touched: [String: String] = [:]
        body(&touched)
        var updates: [AddressUpdate] = []
        for (address, reason) in touched.sorted(by: { $0.key < $1.key }) {
            let now = claims[address]?.max(by: { $0.order < $1.order })?.tags ?? []
            if published[address] ?? [] == now { continue }
            if now.isEmpty { published[address] = nil } else { published[address] = now }
            updates.append(AddressUpdate(cluster: scheme.cluster, address: address, tags: now, reason: reason))
        }
        if !updates.isEmpty { onUpdate(updates) }
    }

    /// Applies a change to a cache and says which objects changed and how; a full list
    /// becomes the deletions of what it lacks plus an upsert of everything in it.
    private func diff<T: KubeObject>(_ change: ReflectorChange<T>, _ cache: inout [String: T]) -> [(T, String)] {
        let kind = T.resource.kind.lowercased()
        switch change {
        case .upserted(let object):
            let key = object.metadata.key
            let existed = cache[key] != nil
            cache[key] = object
            return [(object, existed ? "\(kind) \(key) modified" : "\(kind) \(key) added")]
        case .deleted(let object):
            let key = object.metadata.key
            cache[key] = nil
            return [(object, "\(kind) \(key) deleted")]
        case .replaced(let objects):
            var fresh: [String: T] = [:]
            for object in objects { fresh[object.metadata.key] = object }
            var result: [(T, String)] = []
            let first = cache.isEmpty
            for (key, old) in cache where fresh[key] == nil { result.append((old, "\(kind) \(key) gone at relist")) }
            for (key, object) in fresh where cache[key] != object {
                let how = first ? "listed" : cache[key] == nil ? "added (seen at relist)" : "modified (seen at relist)"
                result.append((object, "\(kind) \(key) \(how)"))
            }
            cache = fresh
            return result
        }
    }

    /// Slices change membership: report both the old and the new version of a slice so
    /// pods leaving a service lose its tag.
    private func diffSlices(_ change: ReflectorChange<EndpointSlice>) -> [(EndpointSlice, String)] {
        let before = slices
        let changed = diff(change, &slices)
        var result: [(EndpointSlice, String)] = []
        for (slice, reason) in changed {
            let key = slice.metadata.key
            if let old = before[key] { removeMembers(old) }
            if let now = slices[key] { addMembers(now) }
            if let old = before[key] { result.append((old, reason)) }
            if let now = slices[key] { result.append((now, reason)) }
        }
        return result
    }

    private func members(of slice: EndpointSlice) -> [String] {
        let ns = slice.metadata.namespace ?? ""
        return (slice.endpoints ?? []).compactMap { endpoint in
            guard endpoint.targetRef?.kind ?? "Pod" == "Pod", let name = endpoint.targetRef?.name else { return nil }
            return "\(endpoint.targetRef?.namespace ?? ns)/\(name)"
        }
    }

    private func addMembers(_ slice: EndpointSlice) {
        guard let service = slice.serviceName else { return }
        for key in members(of: slice) { podServices[key, default: [:]][service, default: 0] += 1 }
    }

    private func removeMembers(_ slice: EndpointSlice) {
        guard let service = slice.serviceName else { return }
        for key in members(of: slice) {
            guard let count = podServices[key]?[service] else { continue }
            podServices[key]?[service] = count > 1 ? count - 1 : nil
            if podServices[key]?.isEmpty == true { podServices[key] = nil }
        }
    }

    private func index(_ pod: Pod) {
        let key = pod.metadata.key
        let ns = pod.metadata.namespace ?? ""
        podsByNamespace[ns, default: []].insert(key)
        var controller: String?
        if let owner = pod.metadata.controller {
            controller = "\(ns)/\(owner.kind)/\(owner.name)"
            podsByController[controller!, default: []].insert(key)
        }
        podIndexKeys[key] = (ns, controller)
    }

    private func unindex(_ key: String) {
        guard let filed = podIndexKeys.removeValue(forKey: key) else { return }
        podsByNamespace[filed.namespace]?.remove(key)
        if podsByNamespace[filed.namespace]?.isEmpty == true { podsByNamespace[filed.namespace] = nil }
        if let controller = filed.controller {
            podsByController[controller]?.remove(key)
            if podsByController[controller]?.isEmpty == true { podsByController[controller] = nil }
        }
    }

    private func workload(of pod: Pod) -> Workload? {
        guard let owner = pod.metadata.controller else { return nil }
        let ns = pod.metadata.namespace ?? ""
        var top = (kind: owner.kind, name: owner.name)
        if owner.kind == "ReplicaSet", let parent = replicaSets["\(ns)/\(owner.name)"]?.metadata.controller {
            top = (parent.kind, parent.name)
        } else if owner.kind == "Job", let parent = jobs["\(ns)/\(owner.name)"]?.metadata.controller {
            top = (parent.kind, parent.name)
        }
        return Workload(kind: top.kind, name: top.name, controllerKind: owner.kind, controllerName: owner.name)
    }

    private func recomputePod(_ key: String, reason: String, touched: inout [String: String]) {
        var wanted: [String: [String]] = [:]
        var verdict: PodVerdict?
        if let pod = pods[key], scope.admits(pod.metadata.namespace ?? "") {
            let namespace = namespaces[pod.metadata.namespace ?? ""]
            if let imageTrust, !pod.hasFinished {
                verdict = imageTrust.judge(pod: pod, namespaceLabels: namespace?.metadata.labels ?? [:])
            }
            let addresses = pod.addresses
            if !addresses.isEmpty {
                let services = (podServices[key] ?? [:]).keys.sorted()
                var tags = scheme.podTags(pod, namespace: namespace, services: services, workload: workload(of: pod))
                if let verdict {
                    tags.append(verdict.tag)
                    tags.sort()
                }
                for address in addresses { wanted[address] = tags }
            }
        }
        verdicts[key] = verdict
        setClaims(.pod(key), wanted, reason: reason, touched: &touched)
    }

    private func recomputeService(_ key: String, reason: String, touched: inout [String: String]) {
        var wanted: [String: [String]] = [:]
        if let service = services[key], scope.admits(service.metadata.namespace ?? "") {
            let tags = scheme.serviceTags(service)
            for address in service.addresses { wanted[address] = tags }
        }
        setClaims(.service(key), wanted, reason: reason, touched: &touched)
    }

    private func recomputeNode(_ name: String, reason: String, touched: inout [String: String]) {
        var wanted: [String: [String]] = [:]
        if let node = nodes[name] {
            let tags = scheme.nodeTags(node)
            for address in node.internalAddresses + node.externalAddresses { wanted[address] = tags }
        }
        setClaims(.node(name), wanted, reason: reason, touched: &touched)
    }

    private func setClaims(_ source: Source, _ wanted: [String: [String]], reason: String, touched: inout [String: String]) {
        let before = claimedBy[source] ?? []
        for address in before where wanted[address] == nil {
            claims[address]?.removeAll { $0.source == source }
            if claims[address]?.isEmpty == true { claims[address] = nil }
            touched[address] = reason
        }
        for (address, tags) in wanted {
            var list = claims[address] ?? []
            if let i = list.firstIndex(where: { $0.source == source }) {
                list[i].tags = tags
            } else {
                list.append(Claim(source: source, tags: tags, order: nextOrder))
                nextOrder += 1
            }
            claims[address] = list
            touched[address] = reason
        }
        claimedBy[source] = wanted.isEmpty ? nil : Set(wanted.keys)
    }
}
