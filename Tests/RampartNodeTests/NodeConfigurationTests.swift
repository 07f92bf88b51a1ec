import RampartKube
import RampartNetlink
import RampartNode
import Testing

/// The configuration file: defaults, every section, and errors that name the key.
@Suite struct NodeConfigurationTests {
    @Test func readsEverySection() throws {
        let configuration = try NodeConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: NodeConfiguration
            spec:
              nodeName: worker-1
              kubeconfig: kube/config
              clusterID: 12
              firewalls: [10.0.0.50, {address: 10.0.0.51, admin: "http://10.0.0.51:9680"}]
              tunnel: {name: rmp0, port: 4789, local: 10.0.0.2, table: 700, ipv6: false}
              plugin: {failMode: closed, trustCIDRs: [10.0.0.0/24], rulePriority: 5000}
              cni: {confDir: /etc/cni/net.d, pluginBinary: bin/rampart-cni}
              metrics: "off"
              healthInterval: 2.5
              firewallPods: {namespace: rampart, selector: app.kubernetes.io/component=firewall}
            """, source: "/etc/rampart/node.yaml", environment: [:])
        #expect(configuration.nodeName == "worker-1")
        #expect(configuration.credentials == .kubeconfig(path: "/etc/rampart/kube/config", context: nil))
        #expect(configuration.tunnel.vni == 12 && configuration.tunnel.port == 4789 && configuration.tunnel.table == 700)
        #expect(configuration.tunnel.returnRulePriority == 5001)
        #expect(configuration.firewalls.map(\.admin) == [nil, "http://10.0.0.51:9680"])
        #expect(configuration.cni.pluginBinary == "/etc/rampart/bin/rampart-cni")
        #expect(configuration.metricsListen == nil)
        #expect(configuration.healthInterval == 2.5)
        #expect(configuration.firewallPods == FirewallGuard.Selection(namespace: "rampart", labelSelector: "app.kubernetes.io/component=firewall"))
        let entry = configuration.pluginEntry.json
        #expect(entry.hasPrefix("{\"type\": \"rampart-cni\", \"firewallEndpoints\": [\"10.0.0.50\", \"10.0.0.51\"], \"vni\": 12"))
        #expect(entry.contains("\"failMode\": \"closed\"") && entry.contains("\"trustCIDRs\": [\"10.0.0.0/24\"]"))
        // The entry is what the plugin itself accepts.
        let steering = try KernelSteering(entry: configuration.pluginEntry)
        #expect(steering.configuration.table == 700 && steering.configuration.rulePriority == 5000)
    }

    @Test func errorsNameTheKeyAndWhereItIs() {
        func message(_ spec: String) -> String {
            let yaml = "apiVersion: rampart.io/v1\nkind: NodeConfiguration\nspec: " + spec + "\n"
            do { _ = try NodeConfiguration.parse(yaml, source: "node.yaml", environment: [:]) } catch { return "\(error)" }
            return ""
        }
        #expect(message("{firewalls: [10.0.0.1]}").contains("node.yaml:3:7: spec is missing the required field 'clusterID'"))
        #expect(message("{clusterID: 4000, firewalls: [10.0.0.1]}").contains("node.yaml:3:19: spec.clusterID (the cluster id, the tunnel's VNI) must be within 1...2048, found 4000"))
        #expect(message("{clusterID: 7}").contains("missing the required field 'firewalls'"))
        #expect(message("{clusterID: 7, firewalls: []}").contains("spec.firewalls is empty"))
        #expect(message("{clusterID: 7, firewalls: [nope]}").contains("node.yaml:3:34: spec.firewalls[0] must be the firewall's IP address"))
        #expect(message("{clusterID: 7, firewalls: [10.0.0.1], tunnel: {port: 70000}}").contains("spec.tunnel.port must be within 1...65535"))
        #expect(message("{clusterID: 7, firewalls: [10.0.0.1], tunnel: {table: 254}}").contains("reserved"))
        #expect(message("{clusterID: 7, firewalls: [10.0.0.1], healthInterval: soon}").contains("spec.healthInterval (seconds) must be a number, found 'soon'"))
        let guardBase = "{clusterID: 7, firewalls: [10.0.0.1], firewallPods: "
        #expect(message(guardBase + "rampart}").contains("spec.firewallPods must be a mapping"))
        #expect(message(guardBase + "{selector: app=fw}}").contains("spec.firewallPods is missing the required field 'namespace'"))
        #expect(message(guardBase + "{namespace: rampart}}").contains("spec.firewallPods is missing the required field 'selector'"))
        #expect(message(guardBase + "{namespace: rampart, selector: a=b, labels: x}}").contains("unknown field 'labels' in spec.firewallPods"))
        // A misspelt key is refused with its position and the key it probably meant, not ignored.
        #expect(message("{clusterID: 7, firewalls: [10.0.0.1], failopen: true}").contains("node.yaml:3:45: unknown field 'failopen' in spec; did you mean 'failOpen'?"))
        #expect(message("{clusterID: 7, firewalls: [10.0.0.1], tunnel: {mtu: 1450, tabel: 7}}").contains("node.yaml:3:65: unknown field 'tabel' in spec.tunnel (expected one of: name, port,"))
        // Every problem at once, in file order.
        let both = message("{clusterID: 0, firewalls: [nope]}")
        #expect(both.split(separator: "\n").count == 2)
        #expect(message("{clusterID: 7, firewalls: [10.0.0.1], clusterID: 8}").contains("duplicate field 'clusterID' in spec"))

        func document(_ yaml: String) -> String {
            do { _ = try NodeConfiguration.parse(yaml, source: "node.yaml", environment: [:]) } catch { return "\(error)" }
            return ""
        }
        #expect(document("kind: Pod\nspec: {clusterID: 7, firewalls: [10.0.0.1]}").contains("node.yaml:1:7: kind is Pod, expected NodeConfiguration"))
        #expect(document("spec: {clusterID: 7, firewalls: [10.0.0.1]}").contains("missing the required field 'kind'"))
        #expect(document("kind: NodeConfiguration\nspec: [\n").contains("node.yaml:"))
        #expect(document("").contains("node.yaml:1:1: the file is empty"))
    }
}
