import Foundation
import RampartCNI
import RampartKube
import RampartNetlink
import RampartNode
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The plugin's protocol over a real unix socket, the HTTP endpoints, and the reconciler
/// driven by a cache filled by hand (no API server: the reflectors cannot connect).
@Suite(.serialized) struct AgentSocketTests {
    static let unreachable = ClusterCredentials(server: "https://127.0.0.1:1")

    @Test func protocolRoundTrip() throws {
        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        let recorder = SteeringRecorder()
        let agent = try NodeAgent(
            configuration: sandbox.configuration(),
            dependencies: .init(steering: recorder.action, credentials: Self.unreachable))
        try agent.start()
        defer { agent.shutdown() }
        let socketPath = sandbox.configuration().socketPath
        var info = stat()
        #expect(stat(socketPath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let client = AgentClient(socketPath: socketPath, timeout: .seconds(5))

        let status = try client.send(.status)
        #expect(status.ready == false)
        #expect(status.reasons?.contains { $0.contains("cache not synced") } == true)

        // Not synced: the agent does not know, and says so; the plugin's failMode decides.
        let decision = try client.send(.decide(namespace: "shop", pod: "web-0", containerID: "c1"))
        #expect(decision.steer == nil)
        #expect(decision.error?.contains("not synced yet (pods, namespaces)") == true)
        #expect(agent.metrics.value("rampart_node_decisions_total", ["result": "undecided"]) == 1)
        #expect(sandbox.events.contains("\"decision\": \"undecided\""))

        let attach = AgentRequest.attach(
            containerID: "c1", ifname: "eth0", netns: "/proc/1/ns/net", namespace: "shop", pod: "web-0",
            ips: ["10.244.1.7"], hostInterface: "cali1", steered: false)
        #expect(try client.send(attach).ok == true)
        #expect(agent.attachments.all.map(\.key) == ["c1/eth0"])
        let reloaded = try AttachmentRegistry(path: sandbox.configuration().statePath)
        #expect(reloaded.all.first?.hostInterface == "cali1")
        #expect(try client.send(.detach(containerID: "c1", ifname: "eth0")).ok == true)
        #expect(try AttachmentRegistry(path: sandbox.configuration().statePath).all.isEmpty)

        let bad = unixExchange(socketPath, "{\"op\":\"fly\"}\n") ?? ""
        #expect(bad.contains("\"error\""))
        let incomplete = unixExchange(socketPath, "{\"op\":\"attach\",\"containerID\":\"x\"}\n") ?? ""
        #expect(incomplete.contains("attach needs"))

        let http = try #require(agent.boundAddresses["http"])
        #expect(httpGet(http, "/healthz")?.status == 200)
        let ready = httpGet(http, "/readyz")
        #expect(ready?.status == 503 && ready?.body.contains("cache not synced") == true)
        let metrics = httpGet(http, "/metrics")?.body ?? ""
        #expect(metrics.contains("rampart_node_decisions_total{result=\"undecided\"} 1"))
        #expect(metrics.contains("# TYPE rampart_node_requests_total counter"))
        #expect(httpGet(http, "/nope")?.status == 404)
    }

    @Test func reconcilerFollowsAnnotationsAndFirewallHealth() throws {
        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        let recorder = SteeringRecorder()
        let firewallUp = Atomic<Bool>(true)
        let configuration = sandbox.configuration(firewalls: [
            FirewallEndpoint(address: NetlinkAddress("10.0.0.50")!, admin: "http://10.0.0.50:9680")
        ])
        var limited = configuration
        limited.healthFailures = 1
        let agent = try NodeAgent(
            configuration: limited,
            dependencies: .init(
                steering: recorder.action, probe: { _, _ in firewallUp.load(ordering: .relaxed) ? nil : "connection refused" },
                credentials: Self.unreachable))
        agent.health.checkAll()
        // Not synced yet: nothing may be un-steered on the strength of an empty cache.
        _ = agent.respond(to: .attach(
            containerID: "c1", ifname: "eth0", netns: "/proc/1/ns/net", namespace: "shop", pod: "web-0",
            ips: ["10.244.1.7"], hostInterface: "cali1", steered: true))
        agent.reconcile()
        #expect(recorder.all.isEmpty)

        agent.inventory.apply(.replaced([Namespace(metadata: ObjectMeta(name: "shop", annotations: ["rampart.io/firewall": "enabled"]))]))
        agent.inventory.apply(.replaced([Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop"))]))
        agent.reconcile()
        #expect(recorder.all.isEmpty, "already steered as its namespace asks")
        #expect(agent.status().ready)

        agent.inventory.apply(.upserted(Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop", annotations: ["rampart.io/inspect": "bypass"]))))
        agent.reconcile()
        #expect(recorder.all.map(\.steer) == [false])
        #expect(agent.attachments.all.first?.steered == false)
        #expect(sandbox.events.contains("\"decision\": \"bypass\""))

        agent.inventory.apply(.upserted(Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop"))))
        agent.reconcile()
        #expect(recorder.all.map(\.steer) == [false, true])

        // The only firewall goes down: fail open, then back.
        firewallUp.store(false, ordering: .relaxed)
        agent.health.checkAll()
        #expect(!agent.status().ready)
        #expect(agent.status().reasons.contains { $0.contains("no healthy firewall") })
        agent.reconcile()
        #expect(recorder.all.map(\.steer) == [false, true, false])
        #expect(agent.metrics.value("rampart_node_fail_open_total", ["reason": "no_firewall"]) == 1)
        firewallUp.store(true, ordering: .relaxed)
        agent.health.checkAll()
        agent.reconcile()
        #expect(recorder.all.map(\.steer) == [false, true, false, true])
        #expect(agent.metrics.value("rampart_node_resteer_total", ["direction": "steer", "outcome": "ok"]) == 2)
    }

    @Test func attachmentOfAVanishedPodIsForgotten() throws {
        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        struct Gone: Error {}
        let agent = try NodeAgent(
            configuration: sandbox.configuration(),
            dependencies: .init(steering: { _, _ in throw Gone() }, credentials: Self.unreachable))
        agent.inventory.apply(.replaced([Namespace(metadata: ObjectMeta(name: "shop", annotations: ["rampart.io/firewall": "enabled"]))]))
        agent.inventory.apply(.replaced([Pod]()))
        _ = agent.respond(to: .attach(
            containerID: "c9", ifname: "eth0", netns: "/run/netns/rampart-test-gone", namespace: "shop", pod: "old",
            ips: ["10.244.1.9"], hostInterface: "cali9", steered: false))
        agent.reconcile()
        #expect(agent.attachments.all.isEmpty)
        #expect(agent.metrics.value("rampart_node_resteer_total", ["direction": "steer", "outcome": "error"]) == 1)
        #expect(sandbox.events.contains("is gone"))
    }
}
