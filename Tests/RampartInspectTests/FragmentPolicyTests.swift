import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// Issue 19: fragments must not bypass policy. Every fragment is held until its datagram is
/// complete and decided; only an allow lets the held ones out. Each case here passed the
/// denied datagram's pieces (verdict `.forward`) before.
@Suite("Fragments and policy")
struct FragmentPolicyTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: fragments}
        spec:
          zones:
            - {name: pods, networks: [10.244.1.0/24, "fd00:244::/64"]}
          rules:
            - {name: deny-9999, from: [pods], to: [pods], services: [udp/9999], action: deny}
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """

    static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// The UDP datagram (header and payload) `pieces` cut: each piece `[start, end)` of it.
    static func udp(port: Int, payload count: Int) -> [UInt8] {
        be16(40000) + be16(port) + be16(8 + count) + [0, 0] + (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    }

    /// Raw IPv4 fragments of `datagram` (the UDP bytes), from `source`, cut at `cuts`.
    static func fragments4(_ datagram: [UInt8], id: Int, source: UInt8 = 10, cuts: [Int]) -> [[UInt8]] {
        let bounds = [0] + cuts + [datagram.count]
        return (0..<(bounds.count - 1)).map { i in
            let piece = Array(datagram[bounds[i]..<bounds[i + 1]])
            let more = i + 1 < bounds.count - 1
            let flags = (more ? 0x2000 : 0) | bounds[i] / 8
            return [0x45, 0] + be16(20 + piece.count) + be16(id) + be16(flags) + [64, 17, 0, 0]
                + [10, 244, 1, source, 10, 244, 1, 20] + piece
        }
    }

    /// Raw IPv6 fragments (fragment header after the fixed header).
    static func fragments6(_ datagram: [UInt8], id: UInt32, cuts: [Int]) -> [[UInt8]] {
        let bounds = [0] + cuts + [datagram.count]
        let source: [UInt8] = [0xFD, 0, 0x02, 0x44] + [UInt8](repeating: 0, count: 11) + [0x10]
        let destination: [UInt8] = [0xFD, 0, 0x02, 0x44] + [UInt8](repeating: 0, count: 11) + [0x20]
        return (0..<(bounds.count - 1)).map { i in
            let piece = Array(datagram[bounds[i]..<bounds[i + 1]])
            let more = i + 1 < bounds.count - 1
            let field = (bounds[i] / 8) << 3 | (more ? 1 : 0)
            let idBytes = [UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
            return [0x60, 0, 0, 0] + be16(8 + piece.count) + [44, 64] + source + destination
                + [17, 0] + be16(field) + idBytes + piece
        }
    }

    /// The test support's sink: flow, start and anomaly records as the engine hands them out.
    typealias Collector = EngineRun.Collector

    struct Harness {
        var engine: Engine
        var sink = Collector()
        var time: Int64 = 1_700_000_000

        init(configure: (inout EngineConfiguration) -> Void = { _ in }) throws {
            var configuration = EngineConfiguration()
            configure(&configuration)
            engine = Engine(
                configuration: configuration,
                policy: try PolicyMatcher(PolicyLoader.load(yaml: FragmentPolicyTests.policy, file: "f.yaml"), tags: []))
        }

        mutating func send(_ frame: [UInt8], after seconds: Int64 = 0) -> Verdict {
            time += seconds
            let t = Timestamp(seconds: time, nanoseconds: 0)
            return frame.withUnsafeBytes {
                engine.process(frame: $0, linkType: .raw, timestamp: t, packetNumber: 0, sink: &sink)
            }
        }

        /// The frames the last verdict released, as bytes.
        func released() -> [[UInt8]] {
            var out: [[UInt8]] = []
            var cursor = engine.releasedFragments
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 8)
            defer { buffer.deallocate() }
            while let n = engine.nextReleasedFragment(&cursor, into: buffer) { out.append(Array(buffer[0..<n])) }
            return out
        }
    }

    @Test("a denied datagram sent as fragments 0,1,1 or 1,0,0 never has a piece forwarded", arguments: [[0, 1, 1], [1, 0, 0]])
    func deniedFragmentsInAnyOrder(_ order: [Int]) throws {
        var h = try Harness()
        let pieces = Self.fragments4(Self.udp(port: 9999, payload: 40), id: 77, cuts: [24])
        let verdicts = order.map { h.send(pieces[$0]) }
        #expect(verdicts == [.hold, .drop, .hold])
        #expect(!verdicts.contains(.forward))
        #expect(h.engine.releasedFragmentCount == 0)
        #expect(h.engine.statistics.fragmentsDropped == 1)   // the first piece, with the deny
        // The late copy never completes anything: it times out, counted, and is dropped.
        _ = h.send(Self.fragments4(Self.udp(port: 53, payload: 8), id: 1, cuts: [8])[0], after: 31)
        #expect(h.engine.statistics.anomalies[.fragmentTimeout] == 1)
        #expect(h.engine.statistics.fragmentsDropped == 2)
    }

    @Test("an allowed datagram: its pieces are held, then all go out in the order received")
    func allowedFragmentsAreReleased() throws {
        var h = try Harness()
        let pieces = Self.fragments4(Self.udp(port: 7000, payload: 100), id: 78, cuts: [32, 64])
        #expect(h.send(pieces[2]) == .hold)
        #expect(h.send(pieces[0]) == .hold)
        #expect(h.send(pieces[1]) == .forward)
        #expect(h.released() == [pieces[2], pieces[0]])
        #expect(h.engine.statistics.fragmentsForwarded == 2 && h.engine.statistics.fragmentsHeld == 2)
        // Released frames are freed by the next packet.
        _ = h.send(Self.fragments4(Self.udp(port: 53, payload: 8), id: 2, cuts: [8])[0])
        #expect(h.engine.releasedFragmentCount == 0)
        h.engine.finish(sink: &h.sink)
        // The reassembled datagram has its session and record.
        #expect(h.sink.flows.contains { $0.serverPort == 7000 && $0.packetsToServer == 1 && $0.action == "allow" })
    }

    @Test("IPv6: denied pieces are never forwarded, allowed ones are released")
    func ipv6() throws {
        var h = try Harness()
        let denied = Self.fragments6(Self.udp(port: 9999, payload: 40), id: 0xABCD, cuts: [24])
        #expect([0, 1, 1].map { h.send(denied[$0]) } == [.hold, .drop, .hold])
        let allowed = Self.fragments6(Self.udp(port: 7000, payload: 40), id: 0xABCE, cuts: [24])
        #expect(h.send(allowed[1]) == .hold)
        #expect(h.send(allowed[0]) == .forward)
        #expect(h.released() == [allowed[1]])
    }

    @Test("a piece overlapping with different bytes drops the datagram, logged as evasion")
    func overlapDifferentIsEvasion() throws {
        var h = try Harness()
        let good = Self.fragments4(Self.udp(port: 7000, payload: 40), id: 79, cuts: [24])
        var evil = Self.fragments4(Self.udp(port: 7000, payload: 40), id: 79, cuts: [16])
        evil[1][20 + 4] ^= 0xFF   // payload byte 20, which the first piece also holds
        #expect(h.send(good[0]) == .hold)
        #expect(h.send(evil[1]) == .drop)
        #expect(h.engine.statistics.anomalies[.fragmentOverlapDifferent] == 1)
        #expect(h.sink.anomalies.contains { $0.event == .fragmentOverlapDifferent })
        #expect(h.engine.statistics.fragmentsDropped == 1)
        // The rest cannot complete a datagram whose first piece was thrown away.
        #expect(h.send(good[1]) == .hold)
    }

    @Test("1,100 incomplete datagrams from one pod: its share fills, its next pair is dropped, others go on")
    func floodedTableStaysClosed() throws {
        var h = try Harness()
        for id in 0..<1100 {
            let first = Self.fragments4(Self.udp(port: 7000, payload: 40), id: id, cuts: [24])[0]
            let verdict = h.send(first)
            #expect(verdict == (id < 128 ? .hold : .drop), "datagram \(id)")
            if verdict != (id < 128 ? .hold : .drop) { break }
        }
        let pair = Self.fragments4(Self.udp(port: 9999, payload: 40), id: 5000, cuts: [24])
        #expect(pair.map { h.send($0) } == [.drop, .drop])
        let allowedPair = Self.fragments4(Self.udp(port: 7000, payload: 40), id: 5001, cuts: [24])
        #expect(allowedPair.map { h.send($0) } == [.drop, .drop])
        #expect(h.engine.statistics.limitCount(.fragmentsPerSource) == 1100 - 128 + 4)
        #expect(h.sink.anomalies.contains { $0.event == .fragmentSourceLimit })
        // Another pod on the same node still gets its fragmented datagrams through.
        let other = Self.fragments4(Self.udp(port: 7000, payload: 40), id: 9, source: 30, cuts: [24])
        #expect(other.map { h.send($0) } == [.hold, .forward])
        // After the timeout the flood is gone and counted.
        _ = h.send(other[0], after: 31)
        #expect(h.engine.statistics.anomalies[.fragmentTimeout] == 128)
        #expect(h.engine.statistics.fragmentDatagramsPending == 1)
        // At the end, what is still held is dropped and counted, not lost silently.
        let dropped = h.engine.statistics.fragmentsDropped
        h.engine.finish(sink: &h.sink)
        #expect(h.engine.statistics.fragmentsDropped == dropped + 1)
        #expect(h.engine.statistics.fragmentDatagramsPending == 0 && h.engine.statistics.fragmentBytesHeld == 0)
        let s = h.engine.statistics
        #expect(s.fragmentsHeld == s.fragmentsForwarded + s.fragmentsDropped)
    }

    @Test("a full table drops new fragments instead of passing them")
    func fullTableDrops() throws {
        var h = try Harness { $0.fragments.maxDatagrams = 4; $0.fragments.maxDatagramsPerSource = 8 }
        for id in 0..<4 {
            #expect(h.send(Self.fragments4(Self.udp(port: 7000, payload: 40), id: id, cuts: [24])[0]) == .hold)
        }
        let pair = Self.fragments4(Self.udp(port: 9999, payload: 40), id: 50, cuts: [24])
        #expect(pair.map { h.send($0) } == [.drop, .drop])
        #expect(h.engine.statistics.limitCount(.fragmentTable) == 2)
    }
}
