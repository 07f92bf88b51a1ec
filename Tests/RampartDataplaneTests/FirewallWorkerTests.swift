import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

@Suite("Firewall worker")
struct FirewallWorkerTests {
    let node = SocketAddress(parsing: "10.200.0.1:45123")!

    func worker(action: String, vnis: [UInt32] = [7]) throws -> FirewallWorker<CollectingSink> {
        let engine = Engine(policy: try Fixtures.policy(action: action))
        let w = FirewallWorker(engine: engine, sink: CollectingSink(), allowedVNIs: vnis, batchSize: 4, slotSize: 4096)
        w.beginBatch()
        return w
    }

    func syn() throws -> [UInt8] {
        try #require(try Fixtures.frames("http.pcap").first { Fixtures.decode($0).tcpFlags == .syn })
    }

    @Test func allowedFrameGoesBackToTheNodesTunnelPortWithMACsSwapped() throws {
        let w = try worker(action: "allow")
        var frame = try syn()
        // As offload leaves it: the TCP checksum unfinished (the pseudo-header sum only).
        let p = Fixtures.decode(frame)
        let partial = Checksum.pseudoHeaderSum(
            source: p.source, destination: p.destination, protocol: .tcp,
            length: p.networkOffset + p.networkLength - p.transportOffset)
        frame[p.transportOffset + 16] = UInt8(partial >> 8)
        frame[p.transportOffset + 17] = UInt8(partial & 0xFF)
        w.feed(Fixtures.vxlan(vni: 7, frame, flags: 0x88), from: node)
        #expect(w.outgoing.count == 1)
        #expect(w.counters.framesForwarded == 1 && w.counters.checksumsCompleted == 1)
        let (bytes, to) = w.sent(0)
        #expect(to == SocketAddress(parsing: "10.200.0.1:6080"))
        #expect(Array(bytes[0 ..< 8]) == [0x08, 0, 0, 0, 0, 0, 7, 0])
        let inner = Array(bytes[8...])
        let original = try syn()
        #expect(Array(inner[0 ..< 6]) == Array(original[6 ..< 12]) && Array(inner[6 ..< 12]) == Array(original[0 ..< 6]))
        #expect(Array(inner[12...]) == Array(original[12...]))  // checksum completed to the original
    }

    @Test func ipv6NodesAreAnsweredAndKeptApart() throws {
        let w = try worker(action: "allow")
        let v6 = SocketAddress(parsing: "[fd00::1]:40000")!
        w.feed(Fixtures.vxlan(vni: 7, try syn()), from: v6)
        w.feed(Fixtures.vxlan(vni: 7, try syn()), from: node)
        #expect(w.outgoing.count == 2)
        #expect(w.sent(0).to == SocketAddress(parsing: "[fd00::1]:6080"))
        // The same 5-tuple from two nodes: two sessions.
        #expect(w.engine.activeSessions == 2)
    }

    @Test func sourcePortReturnWhenAsked() throws {
        let w = try worker(action: "allow")
        w.returnPort = nil
        w.feed(Fixtures.vxlan(vni: 7, try syn()), from: node)
        #expect(w.sent(0).to == node)
    }

    @Test func geneveFramesKeepTheirHeader() throws {
        let w = try worker(action: "allow")
        let option: [UInt8] = [0x01, 0x02, 0x03, 0x01, 0xDE, 0xAD, 0xBE, 0xEF]
        let datagram = Fixtures.geneve(vni: 7, try syn(), options: option)
        w.feed(datagram, from: node)
        #expect(w.outgoing.count == 1)
        #expect(Array(w.sent(0).bytes[0 ..< 16]) == Array(datagram[0 ..< 16]))
    }

    @Test func sessionsCarryTheTunnelDomain() throws {
        let w = try worker(action: "allow")
        w.feed(Fixtures.vxlan(vni: 7, try syn()), from: node)
        w.engine.finish(sink: &w.sink)
        let flow = try #require(w.sink.flows.first)
        #expect(flow.tunnelVNI == 7)
        #expect(flow.rule == "web" && flow.action == "allow")
    }

    @Test func deniedFramesAreDropped() throws {
        let w = try worker(action: "deny")
        w.feed(Fixtures.vxlan(vni: 7, try syn()), from: node)
        #expect(w.outgoing.count == 0)
        #expect(w.counters.dropped(.policy) == 1)
    }

    @Test func resetBothSendsTwoResets() throws {
        let w = try worker(action: "reset-both")
        let original = try syn()
        w.feed(Fixtures.vxlan(vni: 7, original), from: node)
        #expect(w.outgoing.count == 2 && w.counters.resetsSent == 2)
        let toClient = Fixtures.decode(Array(w.sent(0).bytes[8...]))
        let toServer = Fixtures.decode(Array(w.sent(1).bytes[8...]))
        let p = Fixtures.decode(original)
        #expect(toClient.destination == p.source && toClient.tcpFlags == [.rst, .ack] && toClient.tcpAcknowledgment == p.tcpSequence &+ 1)
        #expect(toServer.destination == p.destination && toServer.tcpFlags == .rst && toServer.tcpSequence == p.tcpSequence)
        #expect(w.sent(0).bytes[0 ..< 8] == [0x08, 0, 0, 0, 0, 0, 7, 0])
    }

    @Test func garbageWrongVNIsAndNonIPAreCountedByReason() throws {
        let w = try worker(action: "allow")
        w.feed([], from: node)
        w.feed([1, 2, 3], from: node)
        w.feed([0, 0, 0, 0, 0, 0, 7, 0] + (try syn()), from: node)  // no I flag, not Geneve
        w.feed(Fixtures.vxlan(vni: 8, try syn()), from: node)
        w.feed(Fixtures.geneve(vni: 7, try syn(), control: true), from: node)
        let arp: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4, 5, 6, 0x08, 0x06] + [UInt8](repeating: 0, count: 28)
        w.feed(Fixtures.vxlan(vni: 7, arp), from: node)
        #expect(w.counters.dropped(.truncatedTunnel) == 2)
        #expect(w.counters.dropped(.badTunnelHeader) == 1)
        #expect(w.counters.dropped(.wrongVNI) == 1)
        #expect(w.counters.dropped(.tunnelControl) == 1)
        #expect(w.counters.dropped(.nonIP) == 1)
        #expect(w.counters.datagramsReceived == 6)
        #expect(w.outgoing.count == 0)
    }

    @Test func randomDatagramsNeverTrap() throws {
        let w = try worker(action: "allow", vnis: [])
        var generator = SystemRandomNumberGenerator()
        let base = Fixtures.vxlan(vni: 7, try syn())
        for round in 0 ..< 2000 {
            var bytes = round % 2 == 0 ? base : (0 ..< Int.random(in: 0 ..< 120, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            if round % 2 == 0 {
                for _ in 0 ..< 4 { bytes[Int.random(in: 0 ..< bytes.count, using: &generator)] = UInt8.random(in: 0 ... 255, using: &generator) }
                bytes = Array(bytes[0 ..< Int.random(in: 0 ... bytes.count, using: &generator)])
            }
            w.beginBatch()
            w.feed(bytes, from: node)
        }
        #expect(w.counters.datagramsReceived == 2000)
    }

    @Test func aFullSendQueueIsCountedNotBlocked() throws {
        let w = try worker(action: "allow")
        let datagram = Fixtures.vxlan(vni: 7, try syn())
        for _ in 0 ..< w.outgoing.capacity + 5 { w.feed(datagram, from: node) }
        #expect(w.outgoing.count == w.outgoing.capacity)
        #expect(w.counters.dropped(.sendQueueFull) == 5)
    }

    // MARK: Issue 19: fragments and checksums

    static let fragmentPolicy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: test}
        spec:
          zones:
            - {name: client, networks: [10.77.0.1/32]}
            - {name: server, networks: [10.77.0.2/32]}
          rules:
            - {name: no-9999, from: [client], to: [server], services: [udp/9999], action: deny}
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """

    func fragmentWorker() throws -> FirewallWorker<CollectingSink> {
        let matcher = try PolicyMatcher(try PolicyLoader.load(yaml: Self.fragmentPolicy, file: "f.yaml"), tags: [])
        let w = FirewallWorker(engine: Engine(policy: matcher), sink: CollectingSink(), allowedVNIs: [7], batchSize: 4, slotSize: 4096)
        w.beginBatch()
        return w
    }

    /// Ethernet + IPv4 fragments of a UDP datagram to `port` from 10.77.0.1 to 10.77.0.2.
    static func fragmentFrames(port: Int, id: Int, cut: Int = 24) -> [[UInt8]] {
        func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let datagram = be16(40000) + be16(port) + be16(48) + [0, 0] + (0 ..< 40).map { UInt8($0) }
        let pieces = [Array(datagram[0 ..< cut]), Array(datagram[cut...])]
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
        return pieces.enumerated().map { i, piece in
            let flags = i == 0 ? 0x2000 : cut / 8
            return ethernet + [0x45, 0] + be16(20 + piece.count) + be16(id) + be16(flags) + [64, 17, 0, 0]
                + [10, 77, 0, 1, 10, 77, 0, 2] + piece
        }
    }

    /// Before: each held fragment was forwarded at once and only the completing one was
    /// decided, so 0,1,1 and 1,0,0 delivered a denied datagram.
    @Test(arguments: [[0, 1, 1], [1, 0, 0]])
    func deniedFragmentsNeverLeave(_ order: [Int]) throws {
        let w = try fragmentWorker()
        let frames = Self.fragmentFrames(port: 9999, id: 11)
        for i in order { w.feed(Fixtures.vxlan(vni: 7, frames[i]), from: node) }
        #expect(w.outgoing.count == 0)
        #expect(w.counters.framesForwarded == 0)
        #expect(w.engine.statistics.fragmentsHeld == 2 && w.engine.statistics.fragmentsDropped == 1)
    }

    @Test func allowedFragmentsLeaveTogetherInTheOrderReceived() throws {
        let w = try fragmentWorker()
        let frames = Self.fragmentFrames(port: 7000, id: 12)
        w.feed(Fixtures.vxlan(vni: 7, frames[1]), from: node)
        #expect(w.outgoing.count == 0)
        w.feed(Fixtures.vxlan(vni: 7, frames[0], flags: 0x88), from: node)
        #expect(w.outgoing.count == 2 && w.counters.framesForwarded == 2)
        for (k, original) in [frames[1], frames[0]].enumerated() {
            let (bytes, to) = w.sent(k)
            #expect(to == SocketAddress(parsing: "10.200.0.1:6080"))
            #expect(Array(bytes[0 ..< 8]) == [0x08, 0, 0, 0, 0, 0, 7, 0])   // VXLAN header rebuilt
            let inner = Array(bytes[8...])
            #expect(Array(inner[0 ..< 6]) == Array(original[6 ..< 12]) && Array(inner[6 ..< 12]) == Array(original[0 ..< 6]))
            #expect(Array(inner[12...]) == Array(original[12...]))   // the fragment as it came
        }
    }

    /// Before: every allowed TCP/UDP checksum that did not verify was recomputed, so a
    /// corrupted datagram reached the pod as a valid one.
    @Test(arguments: ["udp", "tcp"])
    func wrongChecksumsAreDroppedNotRepaired(_ kind: String) throws {
        let w = try worker(action: "allow")
        var frame: [UInt8]
        if kind == "tcp" {
            frame = try syn()
        } else {
            frame = try #require(try Fixtures.frames("udp.pcap").first { let p = Fixtures.decode($0); return p.ipProtocol == .udp && p.ipVersion == 4 })
        }
        let p = Fixtures.decode(frame)
        frame[p.transportOffset + (kind == "tcp" ? 16 : 6)] ^= 0x21
        w.feed(Fixtures.vxlan(vni: 7, frame), from: node)
        #expect(w.outgoing.count == 0)
        #expect(w.counters.dropped(.badChecksum) == 1)
        #expect(w.counters.checksumsCompleted == 0)
    }
}
