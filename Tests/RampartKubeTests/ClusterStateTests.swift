import Foundation
import Testing
@testable import RampartKube

/// Collects what a ClusterState reports.
final class UpdateLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [AddressUpdate] = []
    func append(_ updates: [AddressUpdate]) { lock.withLock { list += updates } }
    var all: [AddressUpdate] { lock.withLock { list } }
    func last(_ address: String) -> AddressUpdate? { all.last { $0.address == address } }
}

func makePod(_ ns: String, _ name: String, ip: String?, labels: [String: String] = [:], owner: OwnerReference? = nil,
             node: String = "worker-1", phase: String = "Running") -> Pod {
    Pod(metadata: ObjectMeta(name: name, namespace: ns, labels: labels, ownerReferences: owner.map { [$0] }),
        spec: .init(nodeName: node, serviceAccountName: "default", containers: [.init(name: "c", image: "nginx:1.25")]),
        status: .init(phase: phase, podIP: ip, podIPs: ip.map { [.init(ip: $0)] }))
}

@Suite("Cluster state and tags")
struct ClusterStateTests {
    @Test func podTagsClimbToTheDeployment() {
        let log = UpdateLog()
        let state = ClusterState(scheme: TagScheme(cluster: "prod"), onUpdate: log.append)
        state.apply(ReflectorChange<Namespace>.upserted(Namespace(metadata: ObjectMeta(name: "shop", labels: ["team": "pay"]))))
        state.apply(ReflectorChange<ReplicaSet>.upserted(ReplicaSet(metadata: ObjectMeta(
            name: "web-7d9f", namespace: "shop", ownerReferences: [OwnerReference(kind: "Deployment", name: "web")]))))
        state.apply(ReflectorChange<Pod>.upserted(makePod("shop", "web-7d9f-abc", ip: "10.244.1.7",
            labels: ["app": "web", "pod-template-hash": "7d9f"], owner: OwnerReference(kind: "ReplicaSet", name: "web-7d9f"))))
        #expect(state.tags(of: "10.244.1.7") == [
            "cluster:prod", "image:nginx:1.25", "kind:pod", "label:app=web", "node:worker-1", "ns:shop",
            "nslabel:team=pay", "pod:shop/web-7d9f-abc", "serviceaccount:default", "workload-kind:deployment", "workload:web",
        ])
        #expect(log.last("10.244.1.7")?.reason == "pod shop/web-7d9f-abc added")
    }

    @Test func serviceMembershipFollowsEndpointSlices() {
        let log = UpdateLog()
        let state = ClusterState(scheme: TagScheme(cluster: "prod", style: .both), onUpdate: log.append)
        state.apply(ReflectorChange<Pod>.upserted(makePod("shop", "web-1", ip: "10.244.1.7", owner: OwnerReference(kind: "StatefulSet", name: "web"))))
        let slice = EndpointSlice(
            metadata: ObjectMeta(name: "web-abcde", namespace: "shop", labels: ["kubernetes.io/service-name": "web"]),
            endpoints: [.init(addresses: ["10.244.1.7"], targetRef: .init(name: "web-1", namespace: "shop"))])
        state.apply(ReflectorChange<EndpointSlice>.upserted(slice))
        let tags = state.tags(of: "10.244.1.7")
        #expect(tags.contains("service:shop/web"))
        #expect(tags.contains("k8s.cl_prod.ns_shop.svc_web"))
        #expect(tags.contains("k8s.cl_prod.ns_shop.ss_web"))
        #expect(tags.contains("k8s.cl_prod.ns_shop"))
        state.apply(ReflectorChange<EndpointSlice>.deleted(slice))
        #expect(!state.tags(of: "10.244.1.7").contains("service:shop/web"))
        #expect(log.last("10.244.1.7")?.reason == "service shop/web endpoints endpointslice shop/web-abcde deleted")
    }

    @Test func aReusedAddressBelongsToTheNewestPod() {
        let log = UpdateLog()
        let state = ClusterState(scheme: TagScheme(cluster: "prod"), onUpdate: log.append)
        state.apply(ReflectorChange<Pod>.upserted(makePod("a", "old", ip: "10.244.1.9")))
        // The new pod's ADDED arrives before the old pod's DELETED.
        state.apply(ReflectorChange<Pod>.upserted(makePod("b", "new", ip: "10.244.1.9")))
        #expect(state.tags(of: "10.244.1.9").contains("ns:b"))
        // A late update of the old pod must not take the address back.
        state.apply(ReflectorChange<Pod>.upserted(makePod("a", "old", ip: "10.244.1.9", labels: ["x": "y"])))
        #expect(state.tags(of: "10.244.1.9").contains("ns:b"))
        state.apply(ReflectorChange<Pod>.deleted(makePod("a", "old", ip: "10.244.1.9")))
        #expect(state.tags(of: "10.244.1.9").contains("ns:b"))
        state.apply(ReflectorChange<Pod>.deleted(makePod("b", "new", ip: "10.244.1.9")))
        #expect(state.tags(of: "10.244.1.9").isEmpty)
        #expect(log.last("10.244.1.9")?.tags == [])
    }

    @Test func finishedPodsReleaseTheirAddress() {
        let state = ClusterState(scheme: TagScheme(cluster: "prod")) { _ in }
        state.apply(ReflectorChange<Pod>.upserted(makePod("a", "job-1", ip: "10.244.2.2")))
        state.apply(ReflectorChange<Pod>.upserted(makePod("a", "job-1", ip: "10.244.2.2", phase: "Succeeded")))
        #expect(state.tags(of: "10.244.2.2").isEmpty)
    }

    @Test func aRelistDropsWhatItNoLongerHolds() {
        let log = UpdateLog()
        let state = ClusterState(scheme: TagScheme(cluster: "prod"), onUpdate: log.append)
        state.apply(ReflectorChange<Pod>.replaced([makePod("a", "p1", ip: "10.0.0.1"), makePod("a", "p2", ip: "10.0.0.2")]))
        state.apply(ReflectorChange<Pod>.replaced([makePod("a", "p2", ip: "10.0.0.2")]))
        #expect(state.tags(of: "10.0.0.1").isEmpty)
        #expect(log.last("10.0.0.1")?.reason == "pod a/p1 gone at relist")
        #expect(state.snapshot().count == 1)
    }

    @Test func namespaceLabelsReachTheirPods() {
        let state = ClusterState(scheme: TagScheme(cluster: "prod")) { _ in }
        state.apply(ReflectorChange<Pod>.upserted(makePod("shop", "p", ip: "10.0.0.3")))
        state.apply(ReflectorChange<Namespace>.upserted(Namespace(metadata: ObjectMeta(name: "shop", labels: ["env": "prod"]))))
        #expect(state.tags(of: "10.0.0.3").contains("nslabel:env=prod"))
    }

    @Test func scopeAndLabelFilter() {
        let scheme = TagScheme(cluster: "c", labels: LabelFilter(include: ["app", "app.kubernetes.io/*"]))
        let state = ClusterState(scheme: scheme, scope: .init(excludedNamespaces: ["kube-system"])) { _ in }
        state.apply(ReflectorChange<Pod>.upserted(makePod("kube-system", "dns", ip: "10.0.0.4")))
        state.apply(ReflectorChange<Pod>.upserted(makePod("shop", "p", ip: "10.0.0.5",
            labels: ["app": "web", "tier": "front", "app.kubernetes.io/name": "web"])))
        #expect(state.tags(of: "10.0.0.4").isEmpty)
        let labels = state.tags(of: "10.0.0.5").filter { $0.hasPrefix("label:") }
        #expect(labels == ["label:app.kubernetes.io/name=web", "label:app=web"])
    }

    @Test func servicesAndNodesHaveTheirOwnTags() {
        let state = ClusterState(scheme: TagScheme(cluster: "c", style: .both)) { _ in }
        state.apply(ReflectorChange<Service>.upserted(Service(metadata: ObjectMeta(name: "web", namespace: "shop"),
            spec: .init(type: "ClusterIP", clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"]))))
        state.apply(ReflectorChange<Node>.upserted(Node(metadata: ObjectMeta(name: "worker-1"),
            status: .init(addresses: [.init(type: "InternalIP", address: "192.168.1.11"), .init(type: "Hostname", address: "worker-1")]))))
        #expect(state.tags(of: "10.96.0.10") == ["cluster:c", "k8s.cl_c.ns_shop", "k8s.cl_c.ns_shop.svc_web", "kind:service",
                                                  "ns:shop", "service-type:clusterip", "service:shop/web"])
        #expect(state.tags(of: "192.168.1.11") == ["cluster:c", "k8s.cl_c.nodes", "kind:node", "node:worker-1"])
    }

    @Test func longCompatibleNamesAreCutAndCollisionsHashed() {
        var scheme = TagScheme(cluster: "c", style: .compatible)
        let long = String(repeating: "x", count: 130)
        let a = scheme.compatible("k8s.cl_c.ns_\(long)a")
        let b = scheme.compatible("k8s.cl_c.ns_\(long)b")
        #expect(a.utf8.count == 127 && b.utf8.count == 127)
        #expect(a != b)
        #expect(scheme.compatible("k8s.cl_c.ns_\(long)a") == a)
        #expect(b.hasSuffix("_" + String(TagScheme.fnv1a("k8s.cl_c.ns_\(long)b"), radix: 16).leftPad(8)))
    }
}

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
