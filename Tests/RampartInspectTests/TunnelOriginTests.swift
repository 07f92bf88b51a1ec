import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// Issue 11: once the tags say which node each pod runs on, an enrolled node may send only
/// its own pods' traffic (to or from them); anything else it tunnels is spoofed.
@Suite("Tunnel origin")
struct TunnelOriginTests {
    typealias Harness = TableLimitTests.Harness
    static func tags(_ names: String...) -> [RampartPolicy.Tag] { DecisionIdentityTests.tags(names) }

    func harness(check: Bool = true) throws -> Harness {
        var h = try Harness { $0.tunnelOriginCheck = check }
        let policy = h.engine.policy
        policy.setTags(Self.tags("kind:node", "node:n1"), for: IPAddress("192.168.1.1")!)
        policy.setTags(Self.tags("kind:node", "node:n2"), for: IPAddress("192.168.1.2")!)
        policy.setTags(Self.tags("kind:pod", "ns:a", "node:n1"), for: IPAddress("10.0.1.1")!)
        policy.setTags(Self.tags("kind:pod", "ns:b", "node:n2"), for: IPAddress("10.0.2.1")!)
        h.time = 1_700_000_000
        return h
    }

    func syn(_ h: inout Harness, _ source: String, _ destination: String, node: String, port: UInt16 = 40000) -> Verdict {
        h.send(TableLimitTests.tunnelled(TableLimitTests.tcp(source, port, destination, 80, seq: 1, flags: TableLimitTests.syn), node: node))
    }

    @Test("a node's own pods' traffic passes, both ways; another node's pods' traffic does not")
    func ownPodsOnly() throws {
        var h = try harness()
        #expect(syn(&h, "10.0.1.1", "10.0.2.1", node: "192.168.1.1", port: 1) == .forward, "egress of a pod of n1, from n1")
        #expect(syn(&h, "10.0.2.1", "10.0.1.1", node: "192.168.1.1", port: 2) == .forward, "ingress to a pod of n1, steered by n1")
        #expect(syn(&h, "10.0.2.1", "10.9.9.9", node: "192.168.1.1", port: 3) == .drop, "n1 sending n2's pod's traffic")
        #expect(syn(&h, "10.9.9.8", "10.9.9.9", node: "192.168.1.1", port: 4) == .drop, "n1 sending traffic of no pod of its own")
        #expect(h.engine.statistics.tunnelOriginRefused == 2)
        #expect(h.anomalies("tunnel.inner_not_local") == 2)
        // A sender that is not an enrolled node (admitted by network) is not checked.
        #expect(syn(&h, "10.9.9.8", "10.9.9.9", node: "192.168.7.7", port: 5) == .forward)
        // Untunnelled traffic (a capture) has no sending node.
        #expect(h.send(TableLimitTests.tcp("10.9.9.8", 6, "10.9.9.9", 80, seq: 1, flags: TableLimitTests.syn)) == .forward)
    }

    @Test("a pod moving to another node follows its tags; the check is off by default")
    func followsTheTags() throws {
        var h = try harness()
        #expect(syn(&h, "10.0.2.1", "10.9.9.9", node: "192.168.1.1", port: 1) == .drop)
        h.engine.policy.setTags(Self.tags("kind:pod", "ns:b", "node:n1"), for: IPAddress("10.0.2.1")!)
        #expect(syn(&h, "10.0.2.1", "10.9.9.9", node: "192.168.1.1", port: 2) == .forward)
        h.engine.policy.removeTags(for: IPAddress("192.168.1.1")!)
        #expect(h.engine.policy.enrolledNode(IPAddress("192.168.1.1")!) == nil)
        var off = try harness(check: false)
        #expect(syn(&off, "10.0.2.1", "10.9.9.9", node: "192.168.1.1") == .forward)
    }
}
