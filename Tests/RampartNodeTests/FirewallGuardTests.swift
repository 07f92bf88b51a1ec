import Foundation
import RampartCNI
import RampartKube
import RampartNetlink
import RampartNode
import RampartTestSupport
import RampartWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Root only: an in-cluster firewall is reached by a ClusterIP that kube-proxy turns into
/// the firewall pod's own address before policy routing looks, so the plugin's per-pod
/// guard (which names the ClusterIP) never matched. The agent's guard routes refuse the
/// pod address itself. Everything is built in network namespaces the tests create and
/// delete.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct FirewallGuardTests {
    typealias Namespace = TunnelDeviceTests.Namespace

    static func firewallPod(_ name: String, ip: String, labelled: Bool = true) -> String {
        let labels: [String: String] = labelled ? ["app.kubernetes.io/component": "firewall"] : ["app": "other"]
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": name, "namespace": "rampart", "labels": labels],
            "spec": ["nodeName": "node-b", "containers": [["name": "firewall", "image": "rampart-firewall"]]],
            "status": ["phase": "Running", "podIP": ip, "podIPs": [["ip": ip]]],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func pod(_ name: String, ip: String) throws -> Pod {
        try KubeJSON.decode(Pod.self, from: Array(firewallPod(name, ip: ip).utf8), what: "pod")
    }

    /// A node (namespace N) with a protected pod P (routed primary, like ptp) and a firewall
    /// pod F on it. The pod's own steering is the plugin's real plan, applied by the agent's
    /// `KernelSteering`.
    @Test func aProtectedPodCannotReachAFirewallPodByItsOwnAddress() throws {
        let node = try Namespace(), pod = try Namespace(), firewall = try Namespace()
        defer { pod.delete(); firewall.delete(); node.delete() }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-guard-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        for namespace in [node, pod, firewall] { try namespace.run("ip link set lo up") }
        try node.run("sysctl -qw net.ipv4.ip_forward=1")
        try node.run("ip link add vhost1 type veth peer name vpod1")
        try node.run("ip link set vpod1 netns \(pod.name)")
        try node.run("ip link add vfw type veth peer name vfwpod")
        try node.run("ip link set vfwpod netns \(firewall.name)")
        try node.run("ip addr add 10.244.1.1/32 dev vhost1")
        try node.run("ip link set vhost1 up")
        try node.run("ip route add 10.244.1.7/32 dev vhost1 scope link")
        try node.run("ip addr add 10.244.3.1/24 dev vfw")
        try node.run("ip link set vfw up")
        try pod.run("ip addr add 10.244.1.7/32 dev vpod1")
        try pod.run("ip link set vpod1 up")
        try pod.run("ip route add 10.244.1.1/32 dev vpod1 scope link")
        try pod.run("ip route add default via 10.244.1.1 dev vpod1")
        try firewall.run("ip addr add 10.244.3.7/24 dev vfwpod")
        try firewall.run("ip link set vfwpod up")
        try firewall.run("ip route add default via 10.244.3.1")
        #expect(try pod.run("ping -c 1 -W 2 10.244.3.7").contains("1 received"), "the topology routes the pod to the firewall pod")

        // The pod is protected: the plugin's plan, with the firewall given by a ClusterIP
        // (10.96.0.50) as the chart does in-cluster.
        var configuration = NodeConfiguration(nodeName: "n", clusterID: ClusterID(7)!, firewalls: [FirewallEndpoint(address: NetlinkAddress("10.96.0.50")!)])
        configuration.plugin.stateDir = state
        configuration.tunnel.ipv6 = false
        let socket = try NetworkNamespace(path: node.path).openSocket()
        try TunnelDevice(settings: configuration.tunnel, firewalls: [NetlinkAddress("10.96.0.50")!])
            .ensure(using: socket, namespace: try NetworkNamespace(path: node.path))
        let attachment = PodAttachment(containerID: "c1", ifname: "eth0", netns: pod.path, namespace: "shop", pod: "web-0",
                                       ips: ["10.244.1.7"], hostInterface: "vhost1", steered: false)
        try KernelSteering(entry: configuration.pluginEntry, namespacePath: node.path).apply(attachment, steer: true)
        let unguarded = try TestShell.run("ip netns exec \(pod.name) ping -c 1 -W 1 10.244.3.7", in: TunnelDeviceTests.root).output
        #expect(!unguarded.contains("Packet filtered"), "without the guard the node does not refuse the firewall pod's address")

        // A route of someone else's in the same table is never touched.
        try node.run("ip route add prohibit 10.9.9.9 table 6080")
        let guardRoutes = FirewallGuard(table: configuration.tunnel.table)
        #expect(try guardRoutes.reconcile(using: socket) == ([], []), "nothing is added or removed before the first list")
        guardRoutes.apply(.replaced([try Self.pod("fw-0", ip: "10.244.3.7")]))
        let first = try guardRoutes.reconcile(using: socket)
        #expect(first.added == [NetlinkAddress("10.244.3.7")!] && first.removed.isEmpty)
        let table = try node.run("ip route show table 6080")
        #expect(table.contains("prohibit 10.244.3.7 proto 180"))
        #expect(table.contains("default via"), "the steering route stays")

        let refused = try TestShell.run("ip netns exec \(pod.name) ping -c 1 -W 2 10.244.3.7", in: TunnelDeviceTests.root).output
        #expect(refused.contains("Packet filtered"), "the node refuses it at once: \(refused)")
        let udp = try TestShell.run(
            "ip netns exec \(pod.name) python3 -c \"import socket,time; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.connect(('10.244.3.7',6080)); s.send(b'x'); time.sleep(0.5); s.send(b'x')\"",
            in: TunnelDeviceTests.root)
        #expect(udp.status != 0 && udp.output.contains("No route to host"), "a datagram to the tunnel port is refused: \(udp.output)")
        #expect(try node.run("ping -c 1 -W 2 10.244.3.7").contains("1 received"), "the node itself still reaches the firewall pod")

        // Again: nothing to do. A deleted route comes back.
        #expect(try guardRoutes.reconcile(using: socket) == ([], []))
        try node.run("ip route del prohibit 10.244.3.7 table 6080")
        #expect(try guardRoutes.reconcile(using: socket).added == [NetlinkAddress("10.244.3.7")!])

        // The firewall pod moves: the old address is released, the new one guarded.
        guardRoutes.apply(.upserted(try Self.pod("fw-0", ip: "10.244.3.8")))
        let moved = try guardRoutes.reconcile(using: socket)
        #expect(moved.added == [NetlinkAddress("10.244.3.8")!] && moved.removed == [NetlinkAddress("10.244.3.7")!])
        let after = try node.run("ip route show table 6080")
        #expect(after.contains("prohibit 10.9.9.9"), "the foreign route stays")
        #expect(!after.contains("10.244.3.7"))
    }

    /// The agent watches the firewall pods named by `spec.firewallPods` and keeps the guard
    /// routes in the node's namespace in step, without a restart.
    @Test func theAgentGuardsTheFirewallPodsItWatches() throws {
        let server = try KubeTestServer.start(packageRoot: AgentKubeTests.packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", AgentKubeTests.namespace("rampart"))
        try server.control("POST", "/objects", Self.firewallPod("fw-0", ip: "10.244.3.7"))
        try server.control("POST", "/objects", Self.firewallPod("other", ip: "10.244.3.20", labelled: false))
        let node = try Namespace()
        defer { node.delete() }
        try node.run("ip link set lo up")

        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        var configuration = sandbox.configuration(node: "node-a")
        configuration.tunnelNamespace = node.path
        configuration.firewallPods = FirewallGuard.Selection(namespace: "rampart", labelSelector: "app.kubernetes.io/component=firewall")
        let agent = try NodeAgent(configuration: configuration, dependencies: .init(
            steering: SteeringRecorder().action, credentials: try ClusterCredentials.kubeconfig(at: server.kubeconfig)))
        try agent.start()
        defer { agent.shutdown() }
        func table() -> String { (try? node.run("ip route show table 6080")) ?? "" }

        #expect(eventually { table().contains("prohibit 10.244.3.7") })
        #expect(!table().contains("10.244.3.20"), "only the pods the selector names")
        #expect(eventually { agent.status().ready })
        try server.control("POST", "/objects", Self.firewallPod("fw-1", ip: "10.244.4.9"))
        #expect(eventually { table().contains("prohibit 10.244.4.9") })
        try server.control("DELETE", "/objects/pods/rampart/fw-0")
        #expect(eventually { !table().contains("10.244.3.7") })
        #expect(eventually { sandbox.events.contains("firewall-guard") && sandbox.events.contains("10.244.4.9") })
        let metrics = httpGet(agent.boundAddresses["http"] ?? "", "/metrics")?.body ?? ""
        #expect(metrics.contains("rampart_node_firewall_guard_addresses 1"))
        #expect(metrics.contains("rampart_node_firewall_guard_synced 1"))

        // The agent stops: the guard stays (pods keep being refused while it restarts).
        agent.shutdown()
        #expect(table().contains("prohibit 10.244.4.9"))
    }
}
