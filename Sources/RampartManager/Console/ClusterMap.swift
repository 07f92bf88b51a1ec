/// Connections between two ends over a time window, as the log store sums them
/// (`FlowAggregates`): how many were allowed, denied, or raised a threat, under which
/// application and rule. An end is a workload's map id (`CLUSTER/NS/NAME`, from the record's
/// own pod identity) or an address (looked up in the tag map).
public struct FlowSummary: Sendable, Equatable {
    public var source: String
    public var destination: String
    public var application: String
    public var allowed: Int
    public var denied: Int
    public var threats: Int
    public var rule: String
    public var sourceIsWorkload: Bool
    public var destinationIsWorkload: Bool
    public init(source: String, destination: String, application: String, allowed: Int, denied: Int, threats: Int, rule: String = "",
                sourceIsWorkload: Bool = false, destinationIsWorkload: Bool = false) {
        self.source = source
        self.destination = destination
        self.application = application
        self.allowed = allowed
        self.denied = denied
        self.threats = threats
        self.rule = rule
        self.sourceIsWorkload = sourceIsWorkload
        self.destinationIsWorkload = destinationIsWorkload
    }
}

/// The console's map: clusters → namespaces → workloads, built from the merged tag map
/// (the pods' `cluster:`, `ns:`, `pod:`, `workload:`, `workload-kind:` and `label:` tags), and
/// the edges between workloads from the flow summaries. Pods are grouped by workload, so
/// 5,000 pods are a few hundred nodes; a pod without a controller is its own workload.
///
/// ```swift
/// let map = ClusterMap(addresses: manager.addressMap(), flows: [], namespace: "shop", application: nil)
/// map.clusters[0].namespaces[0].workloads[0].pods   // 3
/// ```
public struct ClusterMap: Sendable, Encodable {
    public struct Workload: Sendable, Encodable, Equatable {
        /// `cluster/namespace/name`: the node's id on the map and in edges.
        public var id: String
        public var name: String
        public var kind: String
        public var pods: Int
        /// The values of its pods' `app` and `app.kubernetes.io/name` labels.
        public var apps: [String]
    }
    public struct Namespace: Sendable, Encodable {
        public var name: String
        public var workloads: [Workload]
    }
    public struct Cluster: Sendable, Encodable {
        public var name: String
        public var namespaces: [Namespace]
    }
    public struct Edge: Sendable, Encodable, Equatable {
        public var from: String
        public var to: String
        public var allowed: Int
        public var denied: Int
        public var threats: Int
        public var applications: [String]
        /// `threat` when any raised one, else `denied` when any was denied, else `allowed`.
        public var verdict: String
    }

    public var clusters: [Cluster]
    public var edges: [Edge]
    public var pods: Int
    /// Whether flows can be shown at all (a log store is configured).
    public var flows: Bool

    public init(addresses: [String: (cluster: String, tags: [String])], flows: [FlowSummary]?,
                namespace: String? = nil, application: String? = nil) {
        var workloads: [String: Workload] = [:]
        var byAddress: [String: String] = [:]
        var seenPods: Set<String> = []
        for (address, entry) in addresses {
            guard entry.tags.contains("kind:pod") else { continue }
            var ns = "", pod = "", workload: String?, kind = "pod"
            var apps: [String] = []
            for tag in entry.tags {
                if tag.hasPrefix("ns:") { ns = String(tag.dropFirst(3)) }
                else if tag.hasPrefix("pod:") { pod = String(tag.dropFirst(4)) }
                else if tag.hasPrefix("workload:") { workload = String(tag.dropFirst(9)) }
                else if tag.hasPrefix("workload-kind:") { kind = String(tag.dropFirst(14)) }
                else if tag.hasPrefix("label:app=") { apps.append(String(tag.dropFirst(10))) }
                else if tag.hasPrefix("label:app.kubernetes.io/name=") { apps.append(String(tag.dropFirst(29))) }
            }
            if let namespace, ns != namespace { continue }
            let name = workload ?? String(pod.split(separator: "/").last ?? "")
            let id = "\(entry.cluster)/\(ns)/\(name)"
            byAddress[address] = id
            var node = workloads[id] ?? Workload(id: id, name: name, kind: workload == nil ? "pod" : kind, pods: 0, apps: [])
            if seenPods.insert("\(entry.cluster)/\(pod)").inserted { node.pods += 1 }
            for app in apps where !node.apps.contains(app) { node.apps.append(app) }
            workloads[id] = node
        }
        var edges: [String: Edge] = [:]
        // An end the records name by workload but the tag map does not hold (its pods gone, or
        // a cluster the manager does not watch) is drawn from the records alone, with no pods.
        func end(_ id: String, isWorkload: Bool) -> String? {
            guard isWorkload else { return byAddress[id] }
            if workloads[id] != nil { return id }
            let parts = id.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, namespace == nil || parts[1] == namespace else { return nil }
            workloads[id] = Workload(id: id, name: parts[2], kind: "logged", pods: 0, apps: [])
            return id
        }
        for flow in flows ?? [] {
            if let application, flow.application != application { continue }
            guard let from = end(flow.source, isWorkload: flow.sourceIsWorkload),
                  let to = end(flow.destination, isWorkload: flow.destinationIsWorkload) else { continue }
            let key = from + "\u{0}" + to
            var edge = edges[key] ?? Edge(from: from, to: to, allowed: 0, denied: 0, threats: 0, applications: [], verdict: "allowed")
            edge.allowed += flow.allowed
            edge.denied += flow.denied
            edge.threats += flow.threats
            if !flow.application.isEmpty, !edge.applications.contains(flow.application) { edge.applications.append(flow.application) }
            edge.verdict = edge.threats > 0 ? "threat" : edge.denied > 0 ? "denied" : "allowed"
            edges[key] = edge
        }
        if let application {
            // The workloads of that application, and those it talks with.
            let linked = Set(edges.values.flatMap { [$0.from, $0.to] })
            workloads = workloads.filter { $0.value.apps.contains(application) || linked.contains($0.key) }
        }
        var tree: [String: [String: [Workload]]] = [:]
        for node in workloads.values {
            let parts = node.id.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
            tree[String(parts[0]), default: [:]][String(parts[1]), default: []].append(node)
        }
        clusters = tree.keys.sorted().map { cluster in
            Cluster(name: cluster, namespaces: tree[cluster]!.keys.sorted().map { ns in
                Namespace(name: ns, workloads: tree[cluster]![ns]!.sorted { $0.name < $1.name })
            })
        }
        self.edges = edges.values.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        pods = workloads.values.reduce(0) { $0 + $1.pods }
        self.flows = flows != nil
    }
}
