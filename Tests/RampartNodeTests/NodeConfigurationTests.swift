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

    @Test func errorsNameTheKey() {
        func message(_ yaml: String) -> String {
            do { _ = try NodeConfiguration.parse(yaml, source: "node.yaml", environment: [:]) } catch { return "\(error)" }
            return ""
        }
        #expect(message("spec: {firewalls: [10.0.0.1]}").contains("spec.clusterID is missing"))
        #expect(message("spec: {clusterID: 4000, firewalls: [10.0.0.1]}").contains("spec.clusterID: expected an integer 1..2048"))
        #expect(message("spec: {clusterID: 7}").contains("spec.firewalls is missing"))
        #expect(message("spec: {clusterID: 7, firewalls: [nope]}").contains("spec.firewalls[0]"))
        #expect(message("spec: {clusterID: 7, firewalls: [10.0.0.1], tunnel: {port: 70000}}").contains("spec.tunnel.port"))
        #expect(message("spec: {clusterID: 7, firewalls: [10.0.0.1], tunnel: {table: 254}}").contains("reserved"))
        #expect(message("kind: Pod").contains("expected NodeConfiguration"))
        let guardBase = "spec: {clusterID: 7, firewalls: [10.0.0.1], firewallPods: "
        #expect(message(guardBase + "rampart}").contains("spec.firewallPods: expected a mapping"))
        #expect(message(guardBase + "{selector: app=fw}}").contains("spec.firewallPods.namespace: expected"))
        #expect(message(guardBase + "{namespace: rampart}}").contains("spec.firewallPods.selector: expected a label selector"))
        #expect(message(guardBase + "{namespace: rampart, selector: a=b, labels: x}}").contains("spec.firewallPods.labels: unknown key"))
    }
}
