import Foundation
import RampartCNI
import RampartKube
import RampartNode
import RampartTestSupport
import Synchronization
import Testing

/// The agent against the local Kubernetes API test server (Tests/KubeAPIServer): a
/// namespace annotation changed on the server flips a running pod's steering, with no
/// new CNI call and no pod restart.
@Suite(.serialized) struct AgentKubeTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func namespace(_ name: String, _ annotations: [String: String] = [:]) -> String {
        let object: [String: Any] = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": name, "annotations": annotations]]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    static func pod(_ name: String, namespace: String, node: String, ip: String, _ annotations: [String: String] = [:]) -> String {
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": name, "namespace": namespace, "annotations": annotations],
            "spec": ["nodeName": node, "containers": [["name": "app", "image": "nginx"]]],
            "status": ["phase": "Running", "podIP": ip, "podIPs": [["ip": ip]]],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func namespaceAnnotationFlipsARunningPod() throws {
        let server = try KubeTestServer.start(packageRoot: Self.packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", Self.namespace("shop"))
        try server.control("POST", "/objects", Self.pod("web-0", namespace: "shop", node: "node-a", ip: "10.244.1.7"))
        try server.control("POST", "/objects", Self.pod("elsewhere", namespace: "shop", node: "node-b", ip: "10.244.2.7"))

        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        let recorder = SteeringRecorder()
        let credentials = try ClusterCredentials.kubeconfig(at: server.kubeconfig)
        let agent = try NodeAgent(configuration: sandbox.configuration(node: "node-a"), dependencies: .init(steering: recorder.action, credentials: credentials))
        try agent.start()
        defer { agent.shutdown() }
        let client = AgentClient(socketPath: sandbox.configuration().socketPath, timeout: .seconds(5))

        #expect(eventually { agent.inventory.isSynced })
        #expect(agent.inventory.podCount == 1, "only this node's pods are mirrored")
        #expect(eventually { (try? client.send(.status))?.ready == true })

        // As the plugin's ADD would: decide, then report the attachment.
        let decision = try client.send(.decide(namespace: "shop", pod: "web-0", containerID: "c1"))
        #expect(decision.steer == false)
        #expect(try client.send(.attach(
            containerID: "c1", ifname: "eth0", netns: "/proc/1/ns/net", namespace: "shop", pod: "web-0",
            ips: ["10.244.1.7"], hostInterface: "cali1", steered: false)).ok == true)

        try server.control("POST", "/objects", Self.namespace("shop", ["rampart.io/firewall": "enabled"]))
        #expect(eventually { recorder.all.count == 1 })
        #expect(recorder.all.first?.pod == "shop/web-0" && recorder.all.first?.steer == true)
        #expect(agent.attachments.all.first?.steered == true)

        // A pod the watch has not delivered yet is decided by its namespace, and says so.
        let early = try client.send(.decide(namespace: "shop", pod: "web-1", containerID: "c2"))
        #expect(early.steer == true)
        #expect(early.reason?.contains("not in the cache") == true)

        // The pod's own annotation wins: bypass, an event.
        try server.control("POST", "/objects", Self.pod("web-0", namespace: "shop", node: "node-a", ip: "10.244.1.7", ["rampart.io/inspect": "bypass"]))
        #expect(eventually { recorder.all.count == 2 })
        #expect(recorder.all.last?.steer == false)
        #expect(eventually { sandbox.events.contains("\"decision\": \"bypass\"") })

        // An agent restart keeps the attachment (state file) and its steering state.
        agent.shutdown()
        let again = try NodeAgent(configuration: sandbox.configuration(node: "node-a"), dependencies: .init(steering: recorder.action, credentials: credentials))
        #expect(again.attachments.all.map(\.steered) == [false])
        try again.start()
        defer { again.shutdown() }
        try server.control("POST", "/objects", Self.pod("web-0", namespace: "shop", node: "node-a", ip: "10.244.1.7"))
        #expect(eventually { recorder.all.count == 3 })
        #expect(recorder.all.last?.steer == true)
    }
}

/// `spec.firewallService`: the firewalls come and go with their Service's EndpointSlices,
/// each probed at its own address before it counts.
@Suite(.serialized) struct FirewallDiscoveryTests {
    static func slice(_ name: String, _ addresses: [String], service: String = "rampart-firewall") -> String {
        let object: [String: Any] = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": ["name": name, "namespace": "rampart", "labels": ["kubernetes.io/service-name": service]],
            "endpoints": addresses.map { ["addresses": [$0]] },
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func firewallsFollowTheServiceEndpoints() throws {
        let server = try KubeTestServer.start(packageRoot: AgentKubeTests.packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", Self.slice("fw-a", ["10.244.3.7", "10.244.4.7"]))
        try server.control("POST", "/objects", Self.slice("other", ["10.244.9.9"], service: "web"))

        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        var configuration = sandbox.configuration(firewalls: [])
        configuration.firewallService = NodeConfiguration.FirewallService(namespace: "rampart", name: "rampart-firewall")
        configuration.healthPath = "/readyz"
        configuration.balancing = .hash
        let probed = Mutex<[String]>([])
        let agent = try NodeAgent(configuration: configuration, dependencies: .init(
            steering: SteeringRecorder().action,
            probe: { firewall, _ in probed.withLock { $0.append("\(firewall.admin ?? "")\(firewall.healthPath)") }; return nil },
            credentials: try ClusterCredentials.kubeconfig(at: server.kubeconfig)))
        try agent.start()
        defer { agent.shutdown() }

        #expect(eventually { agent.health.firewalls.map { "\($0.address)" } == ["10.244.3.7", "10.244.4.7"] })
        #expect(eventually { agent.health.snapshot.allSatisfy(\.1.healthy) })
        #expect(probed.withLock { $0 }.contains("http://10.244.3.7:9681/readyz"))
        #expect(sandbox.events.contains("\"action\": \"listed\""))
        #expect(agent.metrics.value("rampart_node_firewall_transitions_total", ["address": "10.244.4.7", "to": "up"]) == 1)

        try server.control("POST", "/objects", Self.slice("fw-a", ["10.244.4.7", "10.244.5.7"]))
        #expect(eventually { agent.health.firewalls.map { "\($0.address)" } == ["10.244.4.7", "10.244.5.7"] })
        // The firewall still listed kept its state; the new one is probed before it counts.
        #expect(agent.metrics.value("rampart_node_firewall_transitions_total", ["address": "10.244.4.7", "to": "up"]) == 1)
        #expect(eventually { agent.metrics.value("rampart_node_firewall_transitions_total", ["address": "10.244.5.7", "to": "up"]) == 1 })
    }
}
