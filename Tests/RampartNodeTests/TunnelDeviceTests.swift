import Foundation
import RampartCNI
import RampartNetlink
import RampartNode
import RampartTestSupport
import RampartWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Root only: the tunnel device and a running pod's steering, built inside a network
/// namespace each test creates (unique name) and deletes; the root namespace is never
/// touched.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct TunnelDeviceTests {
    static let root = URL(fileURLWithPath: "/")

    struct Namespace {
        let name = "rnode-" + String(UInt64.random(in: 0..<UInt64(1) << 40), radix: 16)
        var path: String { "/run/netns/\(name)" }
        init() throws {
            let (status, output) = try TestShell.run("ip netns add \(name)", in: TunnelDeviceTests.root)
            guard status == 0 else { throw KubeTestServerError("ip netns add: \(output)") }
        }
        @discardableResult
        func run(_ command: String) throws -> String {
            let (status, output) = try TestShell.run("ip netns exec \(name) \(command)", in: TunnelDeviceTests.root)
            guard status == 0 else { throw KubeTestServerError("\(command): \(output)") }
            return output
        }
        func delete() { _ = try? TestShell.run("ip netns del \(name)", in: TunnelDeviceTests.root) }
    }

    @Test func tunnelIsCreatedCompletedAndRemoved() throws {
        let namespace = try Namespace()
        defer { namespace.delete() }
        try namespace.run("ip link set lo up")
        try namespace.run("ip link add uplink type veth peer name uplinkpeer")
        try namespace.run("ip addr add 10.200.0.1/24 dev uplink")
        try namespace.run("ip link set uplink up")
        let socket = try NetworkNamespace(path: namespace.path).openSocket()
        var settings = TunnelSettings(vni: 7)
        settings.local = NetlinkAddress("10.200.0.1")
        settings.device = "uplink"
        let firewalls = [NetlinkAddress("10.200.0.2")!, NetlinkAddress("10.200.0.3")!]
        let tunnel = TunnelDevice(settings: settings, firewalls: firewalls)
        let netns = try NetworkNamespace(path: namespace.path)

        try tunnel.ensure(using: socket, namespace: netns)
        #expect(tunnel.exists(using: socket))
        let details = try namespace.run("ip -d link show rampart0")
        #expect(details.contains("vxlan id 7") && details.contains("dstport 6080") && details.contains("nolearning"))
        #expect(try namespace.run("ip rule show").contains("6001:\tfrom all iif rampart0 lookup main"))
        let route = try namespace.run("ip route show table 6080")
        #expect(route.contains("default via 169.254.77.1 dev rampart0") && route.contains("onlink"))
        #expect(try namespace.run("ip neigh show dev rampart0").contains("169.254.77.1 lladdr 02:00:00:00:77:01 PERMANENT"))
        #expect(try namespace.run("bridge fdb show dev rampart0").contains("02:00:00:00:77:01 dst 10.200.0.2"))
        #expect(try namespace.run("sysctl -n net.ipv4.conf.rampart0.rp_filter").hasPrefix("0"))

        // Again: nothing added twice.
        try tunnel.ensure(using: socket, namespace: netns)
        let rules = try namespace.run("ip rule show").split(separator: "\n").filter { $0.contains("iif rampart0") }
        #expect(rules.count == 1)

        // Failover: the gateway MAC now points at the second firewall only.
        try tunnel.selectFirewall(firewalls[1], using: socket)
        let fdb = try namespace.run("bridge fdb show dev rampart0")
        #expect(fdb.contains("dst 10.200.0.3") && !fdb.contains("dst 10.200.0.2"))
        #expect(try tunnel.activeFirewall(using: socket) == firewalls[1])

        try tunnel.remove(using: socket)
        #expect(!tunnel.exists(using: socket))
        #expect(!(try namespace.run("ip rule show")).contains("rampart0"))
        try tunnel.remove(using: socket)  // already gone: fine
    }

    @Test func kernelSteeringAppliesAndRemovesAPodsRules() throws {
        let namespace = try Namespace()
        defer { namespace.delete() }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-node-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        try namespace.run("ip link set lo up")
        try namespace.run("ip link add vhost1 type veth peer name vpod1")
        try namespace.run("ip link set vhost1 up")
        let socket = try NetworkNamespace(path: namespace.path).openSocket()
        var configuration = NodeConfiguration(nodeName: "n", clusterID: ClusterID(7)!, firewalls: [FirewallEndpoint(address: NetlinkAddress("10.200.0.2")!)])
        configuration.plugin.stateDir = state
        configuration.tunnel.ipv6 = false
        try TunnelDevice(settings: configuration.tunnel, firewalls: [NetlinkAddress("10.200.0.2")!])
            .ensure(using: socket, namespace: try NetworkNamespace(path: namespace.path))

        let records = RampartCNI.AttachmentStore(directory: state)
        let key = AttachmentKey(containerID: "c1", interfaceName: "eth0")
        try records.save(AttachmentRecord(key: key, namespace: "shop", pod: "web-0", steered: false, hostInterface: "vhost1",
                                          addresses: ["10.244.1.7"], rules: []))
        let steering = try KernelSteering(entry: configuration.pluginEntry, namespacePath: namespace.path)
        let attachment = PodAttachment(containerID: "c1", ifname: "eth0", netns: "/proc/1/ns/net", namespace: "shop", pod: "web-0",
                                       ips: ["10.244.1.7"], hostInterface: "vhost1", steered: false)
        try steering.apply(attachment, steer: true)
        let rules = try namespace.run("ip rule show")
        #expect(rules.contains("iif vhost1 lookup 6080"))
        #expect(rules.contains("to 10.244.1.7 lookup 6080"))
        #expect(records.load(key)?.steered == true)
        #expect(records.load(key)?.rules.isEmpty == false)

        try steering.apply(attachment, steer: false)
        let after = try namespace.run("ip rule show")
        #expect(!after.contains("lookup 6080"))
        #expect(after.contains("iif rampart0 lookup main"), "the shared return rule stays")
        #expect(records.load(key)?.steered == false)
        #expect(records.load(key)?.rules.isEmpty == true)
    }
}
