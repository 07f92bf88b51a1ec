import Testing
import RampartWire
@testable import RampartInspect
import RampartTestSupport

private struct Collector: StreamConsumer {
    var toServer: [UInt8] = []
    var toClient: [UInt8] = []
    var calls = 0
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {
        calls += 1
        if direction == .toServer { toServer.append(contentsOf: bytes) } else { toClient.append(contentsOf: bytes) }
    }
}

private func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
}

private func configuration(depth: Int = 0, perDirection: Int = 65_536, pool: Int = 1 << 20, chunk: Int = 64) -> StreamReassemblyConfiguration {
    var c = StreamReassemblyConfiguration()
    c.maxStreams = 4
    c.depth = depth
    c.maxBufferedPerDirection = perDirection
    c.poolBytes = pool
    c.chunkSize = chunk
    return c
}

private func permutations(_ items: [Int]) -> [[Int]] {
    if items.count <= 1 { return [items] }
    var result: [[Int]] = []
    for (i, item) in items.enumerated() {
        var rest = items
        rest.remove(at: i)
        for tail in permutations(rest) { result.append([item] + tail) }
    }
    return result
}

/// Feeds `segments` (sequence, bytes) in order to one direction; returns the events.
private func feed(
    _ reassembler: inout StreamReassembler, _ handle: StreamHandle, _ segments: [(UInt32, [UInt8])],
    direction: StreamDirection = .toServer, into collector: inout Collector
) -> [DecodeEvent] {
    var events: [DecodeEvent] = []
    for (seq, bytes) in segments {
        let event = bytes.withUnsafeBytes {
            reassembler.process(handle, direction: direction, sequence: seq, flags: [.ack], payload: $0, into: &collector)
        }
        if let event { events.append(event) }
    }
    return events
}

@Suite("TCP stream reassembly")
struct StreamReassemblerTests {
    @Test func inOrderAfterSynDelivers() {
        var r = StreamReassembler(configuration: configuration())
        let h = r.open()!
        var c = Collector()
        let empty: [UInt8] = []
        _ = empty.withUnsafeBytes { r.process(h, direction: .toServer, sequence: 999, flags: .syn, payload: $0, into: &c) }
        let data = pattern(300)
        #expect(feed(&r, h, [(1000, Array(data[0..<100])), (1100, Array(data[100..<300]))], into: &c).isEmpty)
        #expect(c.toServer == data)
        #expect(r.delivered(h, direction: .toServer) == 300)
        #expect(r.bufferedBytes == 0)
    }

    @Test func everyOrderOfFourSegmentsDeliversTheSameBytes() {
        let data = pattern(400, seed: 3)
        let isn: UInt32 = 0xFFFF_FF00  // the stream crosses the 2^32 wrap
        var segments: [(UInt32, [UInt8])] = []
        for i in 0..<4 {
            let sequence: UInt32 = isn &+ 1 &+ UInt32(i * 100)
            let bytes = Array(data[(i * 100)..<(i * 100 + 100)])
            segments.append((sequence, bytes))
        }
        for order in permutations([0, 1, 2, 3]) {
            var r = StreamReassembler(configuration: configuration())
            let h = r.open()!
            var c = Collector()
            let empty: [UInt8] = []
            _ = empty.withUnsafeBytes { r.process(h, direction: .toServer, sequence: isn, flags: .syn, payload: $0, into: &c) }
            let events = feed(&r, h, order.map { segments[$0] }, into: &c)
            #expect(events.isEmpty)
            #expect(c.toServer == data, "order \(order)")
            #expect(r.bufferedBytes == 0)
        }
    }

    @Test func directionsAreIndependent() {
        var r = StreamReassembler(configuration: configuration())
        let h = r.open()!
        var c = Collector()
        _ = feed(&r, h, [(10, [1, 2]), (12, [3])], direction: .toServer, into: &c)
        _ = feed(&r, h, [(500, [9]), (502, [7]), (501, [8])], direction: .toClient, into: &c)
        #expect(c.toServer == [1, 2, 3])
        #expect(c.toClient == [9, 8, 7])
    }

    @Test func exactRetransmissionsAreSilent() {
        var r = StreamReassembler(configuration: configuration())
        let h = r.open()!
        var c = Collector()
        let events = feed(&r, h, [(0, [1, 2, 3]), (0, [1, 2, 3]), (6, [7, 8]), (6, [7, 8]), (3, [4, 5, 6]), (3, [4, 5, 6])], into: &c)
        #expect(events.isEmpty)
        #expect(c.toServer == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func overlapWithSameDataIsSilentAndFirstCopyWins() {
        var r = StreamReassembler(configuration: configuration())
        let h = r.open()!
        var c = Collector()
        // Establish at 0, then buffer 4..<8, then a segment 2..<10 overlapping it with equal bytes.
        let events = feed(&r, h, [(0, [0, 1]), (4, [4, 5, 6, 7]), (2, [2, 3, 4, 5, 6, 7, 8, 9])], into: &c)
        #expect(events.isEmpty)
        #expect(c.toServer == Array(0..<10))
    }

    @Test func overlapWithDifferentDataIsReportedAndFirstCopyWins() {
        var r = StreamReassembler(configuration: configuration())
        let h = r.open()!
        var c = Collector()
        let events = feed(&r, h, [(0, [0, 1]), (4, [4, 5, 6, 7]), (2, [2, 3, 44, 55, 6, 7, 8, 9])], into: &c)
        #expect(events == [.streamOverlapDifferent])
        #expect(c.toServer == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test func depthStopsDelivery() {
        var r = StreamReassembler(configuration: configuration(depth: 10))
        let h = r.open()!
        var c = Collector()
        _ = feed(&r, h, [(0, pattern(6)), (12, pattern(4)), (6, pattern(6, seed: 1))], into: &c)
        #expect(c.toServer.count == 10)
        #expect(r.isDone(h, direction: .toServer))
        #expect(r.bufferedBytes == 0)
        _ = feed(&r, h, [(16, pattern(4))], into: &c)
        #expect(c.toServer.count == 10)
        #expect(!r.isDone(h, direction: .toClient))
    }

    @Test func perDirectionLimitAbandonsTheDirection() {
        var r = StreamReassembler(configuration: configuration(perDirection: 100))
        let h = r.open()!
        var c = Collector()
        let events = feed(&r, h, [(0, [1]), (10, pattern(60)), (100, pattern(60)), (1, pattern(9))], into: &c)
        #expect(events == [.streamOutOfOrderLimit])
        #expect(r.isDone(h, direction: .toServer))
        #expect(c.toServer == [1])
        #expect(r.bufferedBytes == 0)
        // The other direction still works.
        _ = feed(&r, h, [(0, [5, 6])], direction: .toClient, into: &c)
        #expect(c.toClient == [5, 6])
    }

    @Test func poolLimitAbandonsTheDirection() {
        var r = StreamReassembler(configuration: configuration(perDirection: 1 << 20, pool: 256, chunk: 64))
        let h = r.open()!
        var c = Collector()
        let events = feed(&r, h, [(0, [1]), (10, pattern(300))], into: &c)
        #expect(events == [.streamOutOfOrderLimit])
        #expect(r.bufferedBytes == 0)
    }

    @Test func closeReleasesBuffersAndHandles() {
        var r = StreamReassembler(configuration: configuration())
        var handles: [StreamHandle] = []
        while let h = r.open() { handles.append(h) }
        #expect(handles.count == 4)
        var c = Collector()
        _ = feed(&r, handles[0], [(0, [1]), (10, pattern(100))], into: &c)
        #expect(r.bufferedBytes > 0)
        r.close(handles[0])
        r.close(handles[0])  // twice is harmless
        r.close(.none)
        #expect(r.bufferedBytes == 0)
        #expect(r.openStreams == 3)
        let again = r.open()!
        #expect(r.delivered(again, direction: .toServer) == 0)
    }

    @Test func randomOrdersAndDuplicatesRebuildTheStream() {
        var generator = SeededRandom(seed: 0x5EED)
        for round in 0..<200 {
            let length = Int(generator.next() % 3000) + 1
            let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let isn = UInt32(truncatingIfNeeded: generator.next())
            // Cut into random segments, then add duplicates and random overlapping copies.
            var segments: [(UInt32, [UInt8])] = []
            var offset = 0
            while offset < length {
                let size = min(length - offset, Int(generator.next() % 200) + 1)
                segments.append((isn &+ 1 &+ UInt32(offset), Array(data[offset..<(offset + size)])))
                offset += size
            }
            for _ in 0..<(segments.count / 3) {
                let a = Int(generator.next() % UInt64(length))
                let b = min(length, a + Int(generator.next() % 300) + 1)
                segments.append((isn &+ 1 &+ UInt32(a), Array(data[a..<b])))
            }
            for i in stride(from: segments.count - 1, to: 0, by: -1) {
                segments.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
            var r = StreamReassembler(configuration: configuration(perDirection: 1 << 20, chunk: 128))
            let h = r.open()!
            var c = Collector()
            let empty: [UInt8] = []
            _ = empty.withUnsafeBytes { r.process(h, direction: .toServer, sequence: isn, flags: .syn, payload: $0, into: &c) }
            let events = feed(&r, h, segments, into: &c)
            #expect(events.isEmpty, "round \(round)")
            #expect(c.toServer == data, "round \(round)")
            #expect(r.bufferedBytes == 0)
        }
    }

    @Test func payloadIsCutFromTheFrame() {
        var r = StreamReassembler(configuration: configuration())
        let h = r.open()!
        var c = Collector()
        var p = DecodedPacket()
        p.tcpSequence = 1
        p.tcpFlags = .ack
        p.payloadOffset = 4
        p.payloadLength = 3
        let frame: [UInt8] = [0, 0, 0, 0, 7, 8, 9]
        let event = frame.withUnsafeBytes { r.process(h, direction: .toClient, packet: p, frame: $0, into: &c) }
        #expect(event == nil)
        #expect(c.toClient == [7, 8, 9])
        p.payloadLength = 100  // beyond the frame: ignored, never read
        _ = frame.withUnsafeBytes { r.process(h, direction: .toClient, packet: p, frame: $0, into: &c) }
        #expect(c.toClient == [7, 8, 9])
    }
}

