// The whole path, as a user runs it (root only): the local Kubernetes API test server in the
// root namespace on 127.0.0.1; the manager and the node agent in this process, both watching
// it; the real rampart-firewall in its own network namespace, its admin API reached through
// a unix-socket bridge; the reference ptp + host-local plugins and the real rampart-cni
// chained as a runtime runs them, with the conflist entry the agent installed. The policy
// decides by tags (pod identity), never by address. Nothing outside the namespaces and the
// temporary files this test creates is touched.
import Foundation
import RampartCNI
import RampartCNITestSupport
import RampartKube
import RampartManager
import RampartNode
import RampartTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Cluster end to end", .serialized, .enabled(if: getuid() == 0, "needs root (network namespaces)"))
struct ClusterEndToEndTests {
    @Test("tags decide, annotations steer, DEL restores the node")
    func tagsDecideAnnotationsSteerAndDelRestoresTheNode() throws {
        guard let firewallBinary = TestShell.executable(named: "rampart-firewall", packageRoot: CNITestbed.packageRoot) else {
            Issue.record("rampart-firewall is not built"); return
        }
        let bed = try CNITestbed()
        defer { bed.tearDown() }
        // No tunnel from the testbed: the node agent creates rampart0 and its routing.
        try bed.setUp(agentShared: false, tunnel: false)
        let nodeName = "worker-\(bed.id)"
        let work = bed.work.path

        // The API server, as the kubelet and an administrator left it before any pod started.
        let server = try KubeTestServer.start(packageRoot: CNITestbed.packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", "[" + [
            Cluster.namespace("shop", firewall: "enabled"), Cluster.namespace("plain"),
            Cluster.pod("web", in: "shop", app: "web", node: nodeName),
            Cluster.pod("client", in: "shop", app: "client", node: nodeName),
            Cluster.pod("other", in: "plain", app: "other", node: nodeName),
        ].joined(separator: ",") + "]")

        // The firewall, its admin API on 127.0.0.1 inside its namespace, bridged to a
        // loopback port here through a unix socket (no root-namespace interface).
        try """
        apiVersion: rampart.io/v1
        kind: FirewallConfiguration
        metadata: {name: system-e2e}
        spec: {listen: 0.0.0.0:6080, admin: 127.0.0.1:9680, vnis: [7], tunnelSourceNetworks: [10.200.0.0/30], events: \(work)/eve.json, workers: 1}
        ---
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: system-e2e}
        spec:
          zones:
            - {name: pods, networks: [10.244.0.0/16]}
          addressGroups:
            - {name: shop-client, match: "pod:shop/client"}
            - {name: shop-web, match: "ns:shop and label:app=web"}
          rules:
            - {name: web-from-client, source: [shop-client], destination: [shop-web], services: [tcp/8000], action: allow}
            - {name: deny-rest, action: deny}
        """.write(toFile: "\(work)/firewall.yaml", atomically: true, encoding: .utf8)
        try bed.background("ip netns exec \(bed.firewallNamespace) \(firewallBinary.path) --config \(work)/firewall.yaml", log: "firewall.log")
        let bridgeSocket = "/tmp/rampart-sys-\(bed.id).sock"
        defer { unlink(bridgeSocket) }
        let adminPort = freePort()
        try bed.background("ip netns exec \(bed.firewallNamespace) socat UNIX-LISTEN:\(bridgeSocket),fork,unlink-early TCP:127.0.0.1:9680", log: "bridge-fw.log")
        try bed.background("socat TCP-LISTEN:\(adminPort),bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:\(bridgeSocket)", log: "bridge-root.log")
        let admin = "http://127.0.0.1:\(adminPort)"
        #expect(eventually(10) { Cluster.get("\(admin)/healthz")?.status == 200 }, "the firewall's admin API through the bridge: \(bed.file("firewall.log"))")

        // The primary's conflist, as Calico or Flannel would have written it.
        try FileManager.default.createDirectory(atPath: "\(work)/net.d", withIntermediateDirectories: true)
        try """
        {"cniVersion": "1.0.0", "name": "k8s-pod-network", "plugins": [
          {"type": "ptp", "ipMasq": false, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.1.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "\(work)/ipam"}}
        ]}
        """.write(toFile: "\(work)/net.d/10-ptp.conflist", atomically: true, encoding: .utf8)

        // The manager, in process: the cluster → tags → the firewall through the bridge.
        try """
        apiVersion: rampart.io/v1
        kind: ManagerConfiguration
        metadata: {name: system-e2e}
        spec:
          state: \(work)/manager.sqlite
          clusters:
            - {name: lab, clusterID: 7, kubeconfig: \(server.kubeconfig)}
          firewalls:
            - {name: fw-1, admin: "\(admin)"}
        """.write(toFile: "\(work)/manager.yaml", atomically: true, encoding: .utf8)
        let manager = try Manager(configuration: ManagerConfiguration.load(path: "\(work)/manager.yaml"))
        manager.start()
        defer { manager.stop() }

        // The node agent, in process: its tunnel, rules and pod steering in the node's
        // namespace; its socket for the plugin; the plugin's entry into the conflist.
        let agentSocket = "/tmp/rampart-sys-node-\(bed.id).sock"
        defer { unlink(agentSocket) }
        try """
        apiVersion: rampart.io/v1
        kind: NodeConfiguration
        metadata: {name: node}
        spec:
          nodeName: \(nodeName)
          kubeconfig: \(server.kubeconfig)
          clusterID: 7
          firewalls:
            - {address: 10.200.0.2, admin: "\(admin)"}
          tunnel: {name: rampart0, local: 10.200.0.1, device: nfw, mtu: 1500, ipv6: false, netns: /run/netns/\(bed.node)}
          plugin: {failMode: closed, agentTimeoutMs: 2000, logFile: \(work)/cni.log, stateDir: \(bed.stateDirectory)}
          cni: {binDir: \(bed.binDirectory.path), confDir: \(work)/net.d}
          socket: \(agentSocket)
          state: \(work)/attachments.json
          metrics: "off"
          events: \(work)/node-events.json
          healthInterval: 0.5
          resyncInterval: 1
        """.write(toFile: "\(work)/node.yaml", atomically: true, encoding: .utf8)
        let agent = try NodeAgent(configuration: NodeConfiguration.load(path: "\(work)/node.yaml"))
        try agent.start()
        defer { agent.shutdown() }

        try #require(eventually { agent.status().ready }, "agent not ready: \(agent.status().reasons)")
        try #require(eventually { bed.file("net.d/10-ptp.conflist").contains("rampart-cni") }, "the agent did not install its entry")
        // From here on the runtime's view: the conflist as the agent left it.
        let list = try JSONValue.parse(bed.file("net.d/10-ptp.conflist"))
        #expect(list["plugins"]?.arrayValue?.last?["agentSocket"]?.stringValue == agentSocket)
        // The agent's shared items (rampart0, its neighbour and FDB entry, table 6080's
        // default route, rule 6001 "iif rampart0 lookup main") exist now and stay: the
        // baseline includes them, so after DEL the node must equal it exactly.
        let baseline = try bed.snapshot()
        #expect(baseline.contains("6001:\tfrom all iif rampart0 lookup main"), "\(baseline)")
        #expect(baseline.contains("default via 169.254.77.1 dev rampart0 table 6080"), "\(baseline)")

        // 1. ADD, as the runtime does, then the kubelet writes each pod's IP.
        var web = try bed.newPod("web", kubernetesNamespace: "shop")
        var client = try bed.newPod("client", kubernetesNamespace: "shop")
        var other = try bed.newPod("other", kubernetesNamespace: "plain")
        for pod in [web, client, other] {
            // Each Pending pod's sandbox, networked by the chain the conflist names.
            var added = pod
            let r = try bed.add(&added, list: list)
            #expect(r.exitCode == 0, "ADD \(pod.name): \(r.standardOutput) \(r.standardError)")
            switch pod.name {
            case "web": web = added
            case "client": client = added
            default: other = added
            }
        }
        let webIP = try #require(web.address), clientIP = try #require(client.address), otherIP = try #require(other.address)
        for (pod, ip) in [(web, webIP), (client, clientIP), (other, otherIP)] {
            try server.control("POST", "/objects", Cluster.pod(pod.name, in: pod.kubernetesNamespace, app: pod.name, node: nodeName, ip: ip))
        }
        let rules = try bed.inNode("ip rule")
        #expect(rules.contains("to \(webIP) lookup 6080") && rules.contains("to \(clientIP) lookup 6080"), "\(rules)")
        #expect(!rules.contains("to \(otherIP) lookup"), "plain/other is not steered: \(rules)")
        #expect(eventually(5) { agent.attachments.all.count == 3 })  // attach is a notice: it lands just after ADD
        #expect(agent.attachments.all.filter(\.steered).map(\.pod).sorted() == ["client", "web"])

        // 2. The manager pushed every pod's identity to the firewall.
        for (ip, tag) in [(webIP, "pod:shop/web"), (clientIP, "pod:shop/client"), (otherIP, "pod:plain/other")] {
            #expect(eventually { Cluster.tags(admin, ip).contains(tag) }, "\(ip) lacks \(tag): \(Cluster.tags(admin, ip))")
        }
        #expect(Cluster.tags(admin, webIP).contains("label:app=web"))

        // 3. The policy, by tags: client → web:8000 allowed, other → web denied.
        try bed.background(CNITestbed.httpServer(in: web.namespace, address: webIP, directory: work), log: "http.log")
        #expect(eventually(10) { (try? TestShell.run("ip netns exec \(web.namespace) bash -c 'exec 3<>/dev/tcp/\(webIP)/8000'", in: bed.work))?.status == 0 },
                "the HTTP server did not start: \(bed.file("http.log"))")
        func request(from pod: CNITestbed.Pod, port: Int) -> String {
            let curl = "ip netns exec \(pod.namespace) curl -s -o /dev/null -w '%{http_code}' --local-port \(port) --connect-timeout 2 --max-time 4 http://\(webIP):8000/"
            return (try? TestShell.run(curl, in: bed.work))?.output ?? "error"
        }
        #expect(request(from: client, port: 41001) == "200", "client → web through the firewall")
        #expect(request(from: other, port: 41002) != "200", "other → web must be denied")

        // 4. The namespace's annotation off: the agent un-steers the running pods.
        try server.control("POST", "/objects", Cluster.namespace("shop", firewall: "disabled"))
        #expect(eventually { !((try? bed.inNode("ip rule")) ?? "lookup 6080").contains("lookup 6080") }, "not un-steered: \((try? bed.inNode("ip rule")) ?? "")")
        #expect(request(from: other, port: 41003) == "200", "other → web directly, once web is not steered")
        // And back on: steered again, the policy applies again.
        try server.control("POST", "/objects", Cluster.namespace("shop", firewall: "enabled"))
        #expect(eventually {
            let rules = (try? bed.inNode("ip rule")) ?? ""
            return rules.contains("to \(webIP) lookup 6080") && rules.contains("to \(clientIP) lookup 6080")
        }, "not steered again")
        #expect(request(from: other, port: 41004) != "200", "other → web denied again")
        #expect(request(from: client, port: 41005) == "200", "client → web through the firewall again")
        #expect(agent.attachments.all.filter(\.steered).count == 2)

        // 5. DEL everything: the node is as it was before the first ADD.
        for pod in [web, client, other] {
            let r = try bed.delete(pod, list: list)
            #expect(r.exitCode == 0, "DEL \(pod.name): \(r.standardOutput)")
        }
        let after = try bed.snapshot()
        #expect(after == baseline, "\(CNITestbed.difference(baseline, after))")
        #expect(agent.attachments.all.isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: bed.stateDirectory)) ?? [] == [])

        // The flow records (written when the firewall stops) name both ends by identity.
        agent.shutdown()
        manager.stop()
        bed.stopBackground()
        let flows = Cluster.flows(bed.file("eve.json"))
        let context = "flows: \(bed.file("eve.json").prefix(4000))"
        for port in [41001, 41005] {
            let flow = try #require(flows[port], "no flow for client port \(port); \(context)")
            #expect(flow.rule == "web-from-client" && flow.action == "allow" && flow.sourceTags.contains("pod:shop/client") && flow.destinationTags.contains("pod:shop/web"), "\(flow)")
        }
        let denied = try #require(flows[41002], "no flow for client port 41002; \(context)")
        #expect(denied.rule == "deny-rest" && denied.action == "deny", "\(denied)")
        #expect(denied.sourceTags.contains("pod:plain/other") && denied.destinationTags.contains("pod:shop/web"), "\(denied)")
        // The second unanswered denial from the same pod to the same port and rule, within
        // the summary interval, is counted in a flow_summary rather than written again.
        let summary = bed.file("eve.json").split(separator: "\n").first { $0.contains("\"event_type\":\"flow_summary\"") }
        #expect(flows[41004] == nil, "a repeated unanswered denial is summarised, not written")
        #expect(summary?.contains("\"sessions\":1,") == true && summary?.contains("\"rule\":\"deny-rest\"") == true
                && summary?.contains("\"dest_port\":8000") == true && summary?.contains("pod:plain/other") == true,
                "no flow_summary counting 41004; \(context)")
        #expect(flows[41003] == nil, "the un-steered request crossed the firewall")
    }
}

extension CNITestbed {
    /// A file of the work folder ("" when absent).
    func file(_ name: String) -> String { (try? String(contentsOfFile: "\(work.path)/\(name)", encoding: .utf8)) ?? "" }
}

/// Kubernetes objects, the firewall's admin API and its flow records.
private enum Cluster {
    static func json(_ object: [String: Any]) -> String {
        String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    static func namespace(_ name: String, firewall: String? = nil) -> String {
        json(["apiVersion": "v1", "kind": "Namespace",
              "metadata": ["name": name, "annotations": firewall.map { ["rampart.io/firewall": $0] } ?? [:]]])
    }

    /// A pod as the kubelet sees it: Pending without an IP before its sandbox exists, then
    /// Running with the IP the plugin chain gave it.
    static func pod(_ name: String, in namespace: String, app: String, node: String, ip: String? = nil) -> String {
        var status: [String: Any] = ["phase": "Pending"]
        if let ip { status = ["phase": "Running", "podIP": ip, "podIPs": [["ip": ip]]] }
        return json([
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": name, "namespace": namespace, "labels": ["app": app]],
            "spec": ["nodeName": node, "containers": [["name": "app", "image": "python:3"]]],
            "status": status,
        ])
    }

    static func get(_ url: String) -> (status: Int, body: String)? {
        guard let (status, output) = try? TestShell.run("curl -s --max-time 2 -w '\\n%{http_code}' '\(url)'", in: URL(fileURLWithPath: "/")),
              status == 0, let newline = output.lastIndex(of: "\n") else { return nil }
        return (Int(output[output.index(after: newline)...]) ?? 0, String(output[..<newline]))
    }

    /// The firewall's admin tags for an address.
    static func tags(_ admin: String, _ address: String) -> [String] {
        guard let reply = get("\(admin)/tags?address=\(address)"), reply.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
        else { return [] }
        return object["tags"] as? [String] ?? []
    }

    struct Flow: CustomStringConvertible {
        var rule: String
        var action: String
        var sourceTags: [String]
        var destinationTags: [String]
        var description: String { "rule \(rule) action \(action) src_tags \(sourceTags) dest_tags \(destinationTags)" }
    }

    /// TCP flow records by client port.
    static func flows(_ events: String) -> [Int: Flow] {
        var flows: [Int: Flow] = [:]
        for line in events.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["event_type"] as? String == "flow", let port = object["src_port"] as? Int,
                  let rampart = object["rampart"] as? [String: Any]
            else { continue }
            flows[port] = Flow(
                rule: rampart["rule"] as? String ?? "", action: rampart["action"] as? String ?? "",
                sourceTags: rampart["src_tags"] as? [String] ?? [], destinationTags: rampart["dest_tags"] as? [String] ?? [])
        }
        return flows
    }
}
