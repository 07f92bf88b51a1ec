#if canImport(Glibc)
import Glibc
#endif
import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

@Suite("UDP GRO and GSO")
struct UDPSegmentationTests {
    let node = SocketAddress(parsing: "10.200.0.1:45123")!

    /// A send batch of datagrams of `lengths` bytes, each to `peers[i]` (or `node`).
    func batch(_ lengths: [Int], peers: [SocketAddress] = [], storage: UnsafeMutableRawBufferPointer) -> MessageBatch {
        let batch = MessageBatch(capacity: max(lengths.count, 1))
        var offset = 0
        for (i, length) in lengths.enumerated() {
            var name = sockaddr_storage()
            let nameLength = (i < peers.count ? peers[i] : node).write(to: &name)
            _ = withUnsafePointer(to: &name) {
                batch.append(base: storage.baseAddress! + offset, length: length, name: UnsafeRawPointer($0), nameLength: nameLength)
            }
            offset += length
        }
        return batch
    }

    func withStorage<T>(_ body: (UnsafeMutableRawBufferPointer) throws -> T) rethrows -> T {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 8)
        defer { storage.deallocate() }
        return try body(storage)
    }

    // MARK: merging runs for UDP_SEGMENT

    @Test func equalLengthsWithAShortTailMakeOneRun() {
        withStorage { storage in
            let b = batch([1400, 1400, 1400, 600, 1400], storage: storage)
            #expect(UDPSegmentation.run(in: b, from: 0) == 4)   // the short one ends the run
            #expect(UDPSegmentation.run(in: b, from: 4) == 1)
            #expect(UDPSegmentation.run(in: b, from: 5) == 0)
        }
    }

    @Test func mismatchedLengthsAreNotMerged() {
        withStorage { storage in
            let b = batch([600, 1400, 1400], storage: storage)
            #expect(UDPSegmentation.run(in: b, from: 0) == 1)   // a longer one after a shorter: no
            #expect(UDPSegmentation.run(in: b, from: 1) == 2)
        }
    }

    @Test func differentPeersAreNotMerged() {
        withStorage { storage in
            let other = SocketAddress(parsing: "10.200.0.5:45123")!
            let otherPort = SocketAddress(parsing: "10.200.0.1:6080")!
            let b = batch([100, 100, 100, 100], peers: [node, node, other, otherPort], storage: storage)
            #expect(UDPSegmentation.run(in: b, from: 0) == 2)
            #expect(UDPSegmentation.run(in: b, from: 2) == 1)
            #expect(UDPSegmentation.run(in: b, from: 3) == 1)
        }
    }

    @Test func runsStopAtTheKernelsLimits() {
        withStorage { storage in
            let many = batch([Int](repeating: 100, count: 70), storage: storage)
            #expect(UDPSegmentation.run(in: many, from: 0) == UDPSegmentation.maximumSegments)
            let big = batch([Int](repeating: 1550, count: 50), storage: storage)
            #expect(UDPSegmentation.run(in: big, from: 0) == UDPSegmentation.maximumPayload / 1550)   // 42
            let huge = batch([65_000, 65_000], storage: storage)
            #expect(UDPSegmentation.run(in: huge, from: 0) == 1)
        }
    }

    @Test func segmentBatchGathersRunsWithTheirSegmentSize() throws {
        try withStorage { storage in
            let b = batch([1400, 1400, 500, 90, 90, 90], storage: storage)
            let segmented = SegmentBatch(capacity: b.capacity)
            #expect(segmented.build(from: b) == 2)
            #expect(segmented.firsts[0] == 0 && segmented.runs[0] == 3)
            #expect(segmented.firsts[1] == 3 && segmented.runs[1] == 3)
            let h = segmented.header(0).pointee
            #expect(h.msg_iovlen == 3 && h.msg_iov == b.vectors)
            let control = try #require(h.msg_control)
            // struct cmsghdr: length, SOL_UDP, UDP_SEGMENT, then the uint16 size.
            #expect(control.load(as: UInt.self) == UInt(MemoryLayout<Int>.size + 8 + 2))
            #expect(control.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self) == 17)
            #expect(control.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self) == 103)
            #expect(control.load(fromByteOffset: MemoryLayout<Int>.size + 8, as: UInt16.self) == 1400)
            let single = batch([100, 200], storage: storage)
            #expect(segmented.build(from: single) == 2)
            #expect(segmented.header(0).pointee.msg_control == nil && segmented.header(1).pointee.msg_iovlen == 1)
        }
    }

    // MARK: reading UDP_GRO's segment size

    func control(_ messages: [(level: Int32, type: Int32, value: Int32)], length: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        for m in messages {
            var record = [UInt8](repeating: 0, count: MemoryLayout<Int>.size + 8 + 8)
            record.withUnsafeMutableBytes {
                $0.storeBytes(of: UInt(length ?? MemoryLayout<Int>.size + 8 + 4), as: UInt.self)
                $0.storeBytes(of: m.level, toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
                $0.storeBytes(of: m.type, toByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
                $0.storeBytes(of: m.value, toByteOffset: MemoryLayout<Int>.size + 8, as: Int32.self)
            }
            bytes += record
        }
        return bytes
    }

    @Test func segmentSizeIsFoundInTheControlMessages() {
        let found = control([(0, 25, 7), (17, 104, 1422)])   // another message first
        #expect(found.withUnsafeBytes { UDPSegmentation.segmentSize(inControl: $0) } == 1422)
        #expect(control([(17, 103, 1422)]).withUnsafeBytes { UDPSegmentation.segmentSize(inControl: $0) } == 0)
        #expect([UInt8]().withUnsafeBytes { UDPSegmentation.segmentSize(inControl: $0) } == 0)
        // Lengths that lie (too short, past the buffer) are not followed.
        #expect(control([(17, 104, 1422)], length: 3).withUnsafeBytes { UDPSegmentation.segmentSize(inControl: $0) } == 0)
        #expect(control([(17, 104, 1422)], length: 4096).withUnsafeBytes { UDPSegmentation.segmentSize(inControl: $0) } == 0)
        #expect(control([(17, 104, -5)]).withUnsafeBytes { UDPSegmentation.segmentSize(inControl: $0) } == 0)
    }

    // MARK: splitting a coalesced receive in the worker

    func frames() throws -> (full: [UInt8], short: [UInt8]) {
        let all = try Fixtures.frames("http.pcap")
        let syn = try #require(all.first { Fixtures.decode($0).tcpFlags == .syn })
        let short = try #require(all.first { $0.count < syn.count && Fixtures.decode($0).ipVersion == 4 })
        return (syn, short)
    }

    func worker() throws -> FirewallWorker<CollectingSink> {
        let w = FirewallWorker(engine: Engine(policy: try Fixtures.policy(action: "allow")), sink: CollectingSink(),
                               allowedVNIs: [7], batchSize: 4, slotSize: 8192)
        w.beginBatch()
        return w
    }

    /// Handles `datagrams` as one receive in slot 0, coalesced with `segmentSize`.
    func feedCoalesced(_ w: FirewallWorker<CollectingSink>, _ datagrams: [[UInt8]], segmentSize: Int) {
        let bytes = datagrams.flatMap { $0 }
        let slot = w.receiveSlot(0)
        bytes.withUnsafeBytes { slot.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        var storage = sockaddr_storage()
        let length = node.write(to: &storage)
        withUnsafePointer(to: &storage) {
            w.handle(slot: 0, length: bytes.count, segmentSize: segmentSize, name: UnsafeRawPointer($0), nameLength: length,
                     timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 0))
        }
    }

    @Test func coalescedReceiveIsSplitIntoItsDatagramsWithAShortTail() throws {
        let (full, short) = try frames()
        let datagrams = [Fixtures.vxlan(vni: 7, full), Fixtures.vxlan(vni: 7, full), Fixtures.vxlan(vni: 7, full),
                         Fixtures.vxlan(vni: 7, short)]
        let w = try worker()
        feedCoalesced(w, datagrams, segmentSize: datagrams[0].count)
        #expect(w.counters.coalescedReceives == 1 && w.counters.coalescedDatagrams == 4)
        #expect(w.counters.datagramsReceived == 4 && w.counters.framesForwarded == 4)
        #expect(w.outgoing.count == 4)
        // Each as the worker sends it alone: the outer header written in front of one
        // datagram did not spoil the one before it.
        for (i, datagram) in datagrams.enumerated() {
            let alone = try worker()
            alone.feed(datagram, from: node)
            #expect(w.sent(i).bytes == alone.sent(0).bytes)
            #expect(w.sent(i).to == SocketAddress(parsing: "10.200.0.1:6080"))
        }
        // And they go back out as one run.
        #expect(UDPSegmentation.run(in: w.outgoing, from: 0) == 4)
    }

    @Test func badSegmentsAreCountedAndTheRestPass() throws {
        let (full, _) = try frames()
        let good = Fixtures.vxlan(vni: 7, full)
        let wrongVNI = Fixtures.vxlan(vni: 9, full)
        let w = try worker()
        feedCoalesced(w, [good, wrongVNI, good], segmentSize: good.count)
        #expect(w.counters.datagramsReceived == 3 && w.outgoing.count == 2)
        #expect(w.counters.dropped(.wrongVNI) == 1)
    }

    @Test func segmentSizeNotBelowTheLengthIsOneDatagram() throws {
        let (full, _) = try frames()
        let datagram = Fixtures.vxlan(vni: 7, full)
        let w = try worker()
        feedCoalesced(w, [datagram], segmentSize: datagram.count)
        feedCoalesced(w, [datagram], segmentSize: 0)
        #expect(w.counters.coalescedReceives == 0 && w.outgoing.count == 2)
        // A nonsense size cuts garbage: every piece is rejected, nothing traps.
        let z = try worker()
        feedCoalesced(z, [datagram], segmentSize: 3)
        #expect(z.outgoing.count == 0 && z.counters.datagramsReceived == UInt64((datagram.count + 2) / 3))
    }

    // MARK: through real sockets (loopback carries GSO packets to a GRO socket whole)

    @Test func segmentedSendsReachACoalescingSocketAndComeBack() throws {
        let (full, short) = try frames()
        let firewallSocket = try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!)
        let engine = Engine(policy: try Fixtures.policy(action: "allow"))
        let w = FirewallWorker(engine: engine, sink: try EventLog(path: "/dev/null"), allowedVNIs: [7], returnPort: nil,
                               batchSize: 8, slotSize: 65_536 + 64)
        let endpoint = TunnelEndpoint(socket: firewallSocket, worker: w, board: MetricsBoard(), signals: nil)
        let on = endpoint.enableOffloads(receive: true, send: true)
        guard on.receive && on.send else { return }   // a kernel without UDP GRO/GSO: nothing to test

        // The node: sends four datagrams in one UDP_SEGMENT send.
        let nodeSocket = try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!)
        let datagrams = [Fixtures.vxlan(vni: 7, full), Fixtures.vxlan(vni: 7, full), Fixtures.vxlan(vni: 7, full),
                         Fixtures.vxlan(vni: 7, short)]
        let bytes = datagrams.flatMap { $0 }
        let outgoing = MessageBatch(capacity: 4)
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        defer { storage.deallocate() }
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        var name = sockaddr_storage()
        let nameLength = firewallSocket.local.write(to: &name)
        var offset = 0
        for d in datagrams {
            _ = withUnsafePointer(to: &name) {
                outgoing.append(base: storage.baseAddress! + offset, length: d.count, name: UnsafeRawPointer($0), nameLength: nameLength)
            }
            offset += d.count
        }
        let segmented = SegmentBatch(capacity: 4)
        #expect(segmented.build(from: outgoing) == 1)
        #expect(nodeSocket.send(segmented, from: 0) == 1)

        for _ in 0 ..< 200 where w.counters.datagramsReceived < 4 {
            if endpoint.runBatch() == 0 { usleep(5_000) }
        }
        #expect(w.counters.datagramsReceived == 4 && w.counters.framesForwarded == 4)
        #expect(w.counters.coalescedReceives == 1 && w.counters.coalescedDatagrams == 4)   // one receive
        #expect(w.counters.datagramsSent == 4)
        #expect(w.counters.segmentedSends + w.counters.segmentedSendFallbacks >= 1)

        // Back at the node (no GRO there): four datagrams, MACs swapped.
        let back = MessageBatch(capacity: 8)
        let receiveArea = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 * 2048, alignment: 8)
        defer { receiveArea.deallocate() }
        var lengths: [Int] = []
        for _ in 0 ..< 200 where lengths.count < 4 {
            for i in 0 ..< 8 { back.prepareReceive(i, base: receiveArea.baseAddress! + i * 2048, length: 2048) }
            let n = nodeSocket.receive(back, count: 8)
            for i in 0 ..< n {
                lengths.append(back.length(i))
                let frame = UnsafeRawBufferPointer(start: receiveArea.baseAddress! + i * 2048 + 8, count: 12)
                let original = lengths.count == 4 ? short : full
                #expect(Array(frame[0 ..< 6]) == Array(original[6 ..< 12]))
            }
            if lengths.count < 4 { usleep(5_000) }
        }
        #expect(lengths == datagrams.map(\.count))
    }
}

@Suite("UDP offload settings")
struct UDPOffloadSettingsTests {
    static func file(_ spec: String) -> String {
        """
        apiVersion: rampart.io/v1
        kind: FirewallConfiguration
        metadata: {name: fw}
        spec:
          listen: 0.0.0.0:6080
        \(spec)
        ---
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: p}
        spec:
          rules:
            - {name: web, services: [tcp/80], action: allow}
        """
    }

    @Test func segmentedSendIsOnAndCoalescedReceiveOffByDefault() throws {
        let file = try ConfigurationFile.parse(Self.file(""), file: "fw.yaml")
        #expect(file.firewall.udpGSO && !file.firewall.udpGRO)
    }

    @Test func bothCanBeSwitched() throws {
        let file = try ConfigurationFile.parse(Self.file("  udpGRO: true\n  udpGSO: false"), file: "fw.yaml")
        #expect(file.firewall.udpGRO && !file.firewall.udpGSO)
    }

    @Test func otherValuesAreRejectedByName() {
        #expect(throws: PolicyErrors.self) { try ConfigurationFile.parse(Self.file("  udpGRO: maybe"), file: "fw.yaml") }
        do {
            _ = try ConfigurationFile.parse(Self.file("  udpGSO: 3"), file: "fw.yaml")
            Issue.record("accepted udpGSO: 3")
        } catch {
            #expect("\(error)".contains("spec.udpGSO must be true or false"))
        }
    }
}
