import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

/// Zones by VNI and by node, end to end through the worker and the engine: the tunnel a
/// frame arrives in decides the zone, and the flow record names it.
@Suite("Tunnel zones in the firewall")
struct TunnelZoneWorkerTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: clusters}
        spec:
          zones:
            - {name: cluster-a, vni: [7]}
            - {name: node-9, nodes: [10.200.0.9]}
            - {name: cluster-b, vni: [8]}
          rules:
            - {name: no-cluster-a, from: [cluster-a], action: drop}
            - {name: node-9-reset, from: [node-9], action: reset-both}
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """

    func worker() throws -> FirewallWorker<CollectingSink> {
        let matcher = try PolicyMatcher(try PolicyLoader.load(yaml: Self.policy, file: "clusters.yaml"), tags: [])
        let w = FirewallWorker(engine: Engine(policy: matcher), sink: CollectingSink(), allowedVNIs: [7, 8], batchSize: 4, slotSize: 4096)
        w.beginBatch()
        return w
    }

    func syn() throws -> [UInt8] {
        try #require(try Fixtures.frames("http.pcap").first { Fixtures.decode($0).tcpFlags == .syn })
    }

    @Test func theVNIAndTheSendingNodePickTheZone() throws {
        let w = try worker()
        w.feed(Fixtures.vxlan(vni: 7, try syn()), from: SocketAddress(parsing: "10.200.0.1:40000")!)
        #expect(w.outgoing.count == 0 && w.counters.dropped(.policy) == 1)
        w.feed(Fixtures.vxlan(vni: 8, try syn()), from: SocketAddress(parsing: "10.200.0.1:40000")!)
        #expect(w.outgoing.count == 1 && w.counters.framesForwarded == 1)
        w.feed(Fixtures.vxlan(vni: 8, try syn()), from: SocketAddress(parsing: "10.200.0.9:40000")!)
        #expect(w.counters.resetsSent == 2)
        w.engine.finish(sink: &w.sink)
        let flows = w.sink.flows.sorted { $0.tunnelVNI < $1.tunnelVNI || ($0.tunnelVNI == $1.tunnelVNI && $0.rule < $1.rule) }
        #expect(flows.map(\.rule) == ["no-cluster-a", "intrazone-default", "node-9-reset"])
        #expect(flows.map(\.sourceZone) == ["cluster-a", "cluster-b", "node-9"])
        #expect(flows.map(\.destinationZone) == ["cluster-a", "cluster-b", "node-9"])
        // The reset verdict's record says where the resets went.
        #expect(flows.map(\.resetTo) == [nil, nil, "both"])
        var line = JSONLine()
        flows[2].writeEVE(into: &line)
        #expect(String(decoding: line.bytes, as: UTF8.self).contains("\"action\":\"reset-both\",\"reset_to\":\"both\""))
    }
}
