import Foundation
import RampartNetlink
import RampartNode
import RampartTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Spreading sessions over several firewalls: the bucket table (rendezvous hashing) and,
/// as root in a namespace, the nftables rule and the per-bucket FDB entries.
@Suite struct BucketAssignmentTests {
    let firewalls = (1...3).map { NetlinkAddress("10.201.0.1\($0)")! }

    @Test func spreadsEvenlyAndDeterministically() {
        let table = BucketAssignment(buckets: 4096, firewalls: firewalls)
        #expect(table == BucketAssignment(buckets: 4096, firewalls: firewalls.reversed()))
        for firewall in firewalls {
            let share = table.shares[firewall] ?? 0
            // Even is 1365.3; rendezvous over 4096 buckets stays within a few percent.
            let deviation: Double = abs(Double(share) - 4096.0 / 3) / (4096.0 / 3)
            #expect(deviation < 0.06, "\(firewall) owns \(share)")
        }
        #expect(table.owners.allSatisfy { $0 != nil })
    }

    @Test func removingAFirewallMovesOnlyItsBuckets() {
        let three = BucketAssignment(buckets: 4096, firewalls: firewalls)
        let two = BucketAssignment(buckets: 4096, firewalls: [firewalls[0], firewalls[2]])
        let moved = two.changes(from: three)
        #expect(moved.count == three.shares[firewalls[1]])
        #expect(moved.allSatisfy { three.owners[$0] == firewalls[1] })
    }

    @Test func addingAFirewallTakesOnlyItsShare() {
        let two = BucketAssignment(buckets: 4096, firewalls: Array(firewalls.prefix(2)))
        let three = BucketAssignment(buckets: 4096, firewalls: firewalls)
        let moved = three.changes(from: two)
        #expect(moved.allSatisfy { three.owners[$0] == firewalls[2] })
        let fraction = Double(moved.count) / 4096
        #expect(fraction > 0.30 && fraction < 0.37, "moved \(fraction)")
        // Ten firewalls, one more: about 1/11 moves.
        let ten = (1...10).map { NetlinkAddress("10.9.0.\($0)")! }
        let eleven = ten + [NetlinkAddress("10.9.0.11")!]
        let movedTen = BucketAssignment(buckets: 4096, firewalls: eleven).changes(from: BucketAssignment(buckets: 4096, firewalls: ten))
        let fractionTen: Double = Double(movedTen.count) / 4096
        #expect(fractionTen > 0.07 && fractionTen < 0.11, "moved \(fractionTen)")
    }

    @Test func noFirewallLeavesBucketsUnowned() {
        let table = BucketAssignment(buckets: 64, firewalls: [])
        #expect(table.owners.allSatisfy { $0 == nil } && table.shares.isEmpty)
    }

    @Test func bucketMACsRoundTripAndNeverHitTheGateway() {
        let spreader = SessionSpreader(settings: TunnelSettings(vni: 7), buckets: 4096)
        #expect("\(spreader.mac(of: 0x0b16))" == "02:00:00:00:0b:16")
        #expect(spreader.bucket(of: spreader.mac(of: 4095)) == 4095)
        #expect(spreader.bucket(of: MACAddress("02:00:00:00:77:01")!) == nil)
        #expect(SessionSpreader.bucketRange.upperBound < 0x7701)
    }

    @Test func configurationReadsBalancing() throws {
        let configuration = try NodeConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: NodeConfiguration
            spec:
              nodeName: worker-1
              clusterID: 7
              firewalls: [10.0.0.50, 10.0.0.51, 10.0.0.52]
              balancing: hash
              buckets: 1024
              healthTimeout: 0.5
            """, source: "node.yaml", environment: [:])
        #expect(configuration.balancing == .hash && configuration.buckets == 1024 && configuration.healthTimeout == 0.5)
        let inCluster = try NodeConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: NodeConfiguration
            spec: {nodeName: w, clusterID: 7, firewallService: {namespace: rampart, name: rampart-firewall}, healthPath: /readyz}
            """, source: "node.yaml", environment: [:])
        #expect(inCluster.firewalls.isEmpty && inCluster.firewallService?.probePort == 9681 && inCluster.healthPath == "/readyz")
        #expect(throws: NodeError.self) {
            try NodeConfiguration.parse("apiVersion: rampart.io/v1\nkind: NodeConfiguration\nspec: {nodeName: w, clusterID: 7}\n", source: "node.yaml", environment: [:])
        }
        #expect(throws: NodeError.self) {
            try NodeConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: NodeConfiguration
                spec: {nodeName: w, clusterID: 7, firewalls: [10.0.0.50], balancing: round-robin, buckets: 99999}
                """, source: "node.yaml", environment: [:])
        }
    }
}

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct SessionSpreaderKernelTests {
    @Test(.enabled(if: access("/usr/sbin/nft", X_OK) == 0, "nft missing: scripts/setup.sh installs nftables"))
    func ruleAndBucketsAreProgrammedAndOnlyChangesRewritten() throws {
        let namespace = try TunnelDeviceTests.Namespace()
        defer { namespace.delete() }
        try namespace.run("ip link add uplink type veth peer name uplinkpeer")
        try namespace.run("ip addr add 10.200.0.1/24 dev uplink")
        try namespace.run("ip link set uplink up")
        var settings = TunnelSettings(vni: 7)
        settings.local = NetlinkAddress("10.200.0.1")
        settings.device = "uplink"
        settings.ipv6 = false
        let firewalls = (2...4).map { NetlinkAddress("10.200.0.\($0)")! }
        let netns = try NetworkNamespace(path: namespace.path)
        let socket = try netns.openSocket()
        try TunnelDevice(settings: settings, firewalls: firewalls).ensure(using: socket, namespace: netns)
        let spreader = SessionSpreader(settings: settings, buckets: 256)

        #expect(try spreader.ensureRule(namespace: netns))
        #expect(try !spreader.ensureRule(namespace: netns))   // already there: nothing run but the listing
        #expect(try namespace.run("nft list table netdev rampart").contains("@ll,16,32 set symhash mod 256"))

        let three = BucketAssignment(buckets: 256, firewalls: firewalls)
        #expect(try spreader.program(three, using: socket) == 256)
        #expect(try spreader.program(three, using: socket) == 0)
        #expect(try spreader.installed(using: socket) == three.owners)
        let two = BucketAssignment(buckets: 256, firewalls: [firewalls[0], firewalls[2]])
        #expect(try spreader.program(two, using: socket) == three.shares[firewalls[1]])
        #expect(try spreader.installed(using: socket) == two.owners)
        // A deleted entry comes back on the next pass.
        try namespace.run("bridge fdb del 02:00:00:00:00:05 dev rampart0 dst \(two.owners[5]!) self")
        #expect(try spreader.program(two, using: socket) == 1)
        // No healthy firewall: the buckets stay where they were.
        #expect(try spreader.program(BucketAssignment(buckets: 256, firewalls: []), using: socket) == 0)
        #expect(try spreader.installed(using: socket) == two.owners)
        try spreader.removeRule(namespace: netns)
        #expect(try !namespace.run("nft list tables").contains("rampart"))
    }
}

/// Every change of a firewall's health is an event and a metric, whatever the balancing.
@Suite struct FirewallTransitionTests {
    @Test func eachTransitionIsAnEventAndACount() throws {
        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        let down = Mutex<Set<String>>([])
        var configuration = sandbox.configuration(firewalls: (1...3).map {
            FirewallEndpoint(address: NetlinkAddress("10.0.0.5\($0)")!, admin: "http://10.0.0.5\($0):9681")
        })
        configuration.balancing = .hash
        configuration.healthFailures = 2
        let agent = try NodeAgent(
            configuration: configuration,
            dependencies: .init(
                steering: SteeringRecorder().action,
                probe: { firewall, _ in down.withLock { $0.contains("\(firewall.address)") } ? "connection refused" : nil },
                credentials: AgentSocketTests.unreachable))
        agent.probeFirewalls()
        #expect(agent.metrics.value("rampart_node_firewall_transitions_total", ["address": "10.0.0.52", "to": "up"]) == 1)
        down.withLock { $0 = ["10.0.0.52"] }
        agent.probeFirewalls()
        #expect(!sandbox.events.contains("\"state\": \"down\""), "one failure is not enough with healthFailures 2")
        agent.probeFirewalls()
        #expect(sandbox.events.contains("\"address\": \"10.0.0.52\", \"balancing\": \"hash\", \"healthy\": \"2\""))
        #expect(agent.metrics.value("rampart_node_firewall_transitions_total", ["address": "10.0.0.52", "to": "down"]) == 1)
        down.withLock { $0 = ["10.0.0.51", "10.0.0.52", "10.0.0.53"] }
        agent.probeFirewalls()
        agent.probeFirewalls()
        #expect(sandbox.events.contains("\"fail_mode\": \"open\""), "the last one down says what failOpen does")
        #expect(!agent.health.anyHealthy)
        down.withLock { $0 = [] }
        agent.probeFirewalls()
        #expect(agent.metrics.value("rampart_node_firewall_transitions_total", ["address": "10.0.0.52", "to": "up"]) == 2)
    }
}
