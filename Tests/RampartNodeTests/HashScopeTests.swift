import Foundation
import RampartNetlink
import RampartNode
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hashScope: cluster` (docs/node-agent.md, "The same bucket on every node"): the setting,
/// the rules installed and replaced in a namespace, and the end-to-end script.
@Suite struct HashScopeConfigurationTests {
    @Test func readsScopeAndSeed() throws {
        let configuration = try NodeConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: NodeConfiguration
            spec: {nodeName: w, clusterID: 7, firewalls: [10.0.0.50], balancing: hash, hashScope: cluster, hashSeed: 42}
            """, source: "node.yaml", environment: [:])
        #expect(configuration.hashScope == .cluster && configuration.hashSeed == 42)
        let defaults = try NodeConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: NodeConfiguration
            spec: {nodeName: w, clusterID: 7, firewalls: [10.0.0.50], balancing: hash}
            """, source: "node.yaml", environment: [:])
        #expect(defaults.hashScope == .node && defaults.hashSeed == SessionSpreader.defaultSeed)
        #expect {
            try NodeConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: NodeConfiguration
                spec: {nodeName: w, clusterID: 7, firewalls: [10.0.0.50], hashScope: global}
                """, source: "node.yaml", environment: [:])
        } throws: { "\($0)".contains("node.yaml:3:") && "\($0)".contains("spec.hashScope must be node") }
    }
}

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct HashScopeKernelTests {
    @Test(.enabled(if: access("/usr/sbin/nft", X_OK) == 0, "nft missing: scripts/setup.sh installs nftables"))
    func clusterRulesAreInstalledOnceAndGoWithTheNodeScope() throws {
        let namespace = try ConcurrentProbeTests.Namespace()
        defer { namespace.delete() }
        let run = { (command: String) throws -> String in
            let (status, output) = try TestShell.run("ip netns exec \(namespace.name) \(command)", in: URL(fileURLWithPath: "/"))
            guard status == 0 else { throw KubeTestServerError("\(command): \(output)") }
            return output
        }
        _ = try run("ip addr add 10.200.0.1/24 dev bhpeer")
        var settings = TunnelSettings(vni: 7)
        settings.local = NetlinkAddress("10.200.0.1")
        settings.device = "bhpeer"
        settings.ipv6 = false
        let netns = try NetworkNamespace(path: namespace.path)
        let socket = try netns.openSocket()
        try TunnelDevice(settings: settings, firewalls: [NetlinkAddress("10.200.0.2")!]).ensure(using: socket, namespace: netns)

        let cluster = SessionSpreader(settings: settings, buckets: 256, scope: .cluster, seed: 7)
        #expect(try cluster.ensureRule(namespace: netns))
        #expect(try !cluster.ensureRule(namespace: netns))
        let inet = try run("nft list chain inet rampart bucket")
        #expect(inet.contains("ct direction original meta priority set jhash ip saddr . ip daddr . th sport . th dport mod 256 seed 0x7"))
        #expect(try run("nft list map netdev rampart bucket_mac").contains("7701:ff : 02:00:00:00:00:ff"))
        // The per-firewall counters follow the buckets, and the rules still read as installed.
        let two = [NetlinkAddress("10.200.0.2")!, NetlinkAddress("10.200.0.3")!]
        try cluster.programCounters(BucketAssignment(buckets: 256, firewalls: two), namespace: netns)
        let sent = try cluster.counters(namespace: netns)
        #expect(Set(sent.keys) == Set(two) && sent.values.allSatisfy { $0 == (0, 0, 0) }, "\(sent)")
        #expect(try run("nft list map netdev rampart bucket_sessions").contains("02:00:00:00:00:ff : \"fw4_10_200_0_"))
        #expect(try !cluster.ensureRule(namespace: netns))
        // Another seed is another rule set: replaced.
        #expect(try SessionSpreader(settings: settings, buckets: 256, scope: .cluster, seed: 8).ensureRule(namespace: netns))
        // 16,384 buckets: a script over the 128 KiB one argument may hold goes through nft's input.
        let large = SessionSpreader(settings: settings, buckets: 16384, scope: .cluster, seed: 8)
        #expect(try large.ensureRule(namespace: netns))
        try large.programCounters(BucketAssignment(buckets: 16384, firewalls: two), namespace: netns)
        #expect(try run("nft list map netdev rampart bucket_mac").contains("7701:3fff : 02:00:00:00:3f:ff"))
        // Back to the node scope: the inet table goes.
        let node = SessionSpreader(settings: settings, buckets: 256)
        #expect(try node.ensureRule(namespace: netns))
        #expect(try !run("nft list tables").contains("inet rampart"))
        #expect(try !node.ensureRule(namespace: netns))
        try node.removeRule(namespace: netns)
        #expect(try !run("nft list tables").contains("rampart"))
    }
}

/// Runs scripts/hashscope-e2e.sh against the built `rampart-firewall` and `rampart-node`
/// (root only; about 30 s).
@Suite("The same bucket on every node, end to end", .serialized)
struct HashScopeEndToEndTests {
    @Test func bothNodesPutEverySessionInOneBucket() throws {
        try TestShell.runEndToEnd(
            script: "scripts/hashscope-e2e.sh", executables: ["rampart-firewall", "rampart-node"],
            packageRoot: AgentKubeTests.packageRoot, test: "hash scope end-to-end", expecting: ["hashscope-e2e: all passed"])
    }
}
