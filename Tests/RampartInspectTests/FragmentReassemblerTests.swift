import Testing
import RampartWire
@testable import RampartInspect

private func at(_ seconds: Int64) -> Timestamp { Timestamp(seconds: 1_700_000_000 + seconds, nanoseconds: 0) }

/// One fragment as the decoder would describe it, with its frame bytes.
private struct Fragment {
    var packet: DecodedPacket
    var frame: [UInt8]
}

private let source4 = IPAddress("192.0.2.1")!
private let destination4 = IPAddress("192.0.2.2")!
private let source6 = IPAddress("2001:db8::1")!
private let destination6 = IPAddress("2001:db8::2")!

/// An IPv4 fragment of `payload[offset ..< offset + data.count]` in a raw frame with a
/// 4-byte prefix (so offsets are not all zero).
private func fragment4(id: UInt16 = 0x1234, offset: Int, data: [UInt8], more: Bool, ttl: UInt8 = 64) -> Fragment {
    var frame: [UInt8] = [0xEE, 0xEE, 0xEE, 0xEE]
    var header = [UInt8](repeating: 0, count: 20)
    header[0] = 0x45
    header[1] = 0x10
    let total = 20 + data.count
    header[2] = UInt8(total >> 8)
    header[3] = UInt8(total & 0xFF)
    header[4] = UInt8(id >> 8)
    header[5] = UInt8(id & 0xFF)
    let flagsOffset = (more ? 0x2000 : 0) | (offset / 8)
    header[6] = UInt8(flagsOffset >> 8)
    header[7] = UInt8(flagsOffset & 0xFF)
    header[8] = ttl
    header[9] = 17
    header[12...15] = [192, 0, 2, 1]
    header[16...19] = [192, 0, 2, 2]
    frame += header + data
    var p = DecodedPacket()
    p.ipVersion = 4
    p.source = source4
    p.destination = destination4
    p.ipProtocol = .udp
    p.hopLimit = ttl
    p.networkOffset = 4
    p.networkLength = total
    p.isFragment = true
    p.moreFragments = more
    p.fragmentOffset = offset
    p.fragmentIdentifier = UInt32(id)
    p.fragmentDataOffset = 24
    return Fragment(packet: p, frame: frame)
}

/// An IPv6 fragment: fixed header, fragment header (next header UDP), data.
private func fragment6(id: UInt32 = 0xABCD_EF01, offset: Int, data: [UInt8], more: Bool) -> Fragment {
    var frame = [UInt8](repeating: 0, count: 48)
    frame[0] = 0x60
    frame[1] = 0x0A  // traffic class / flow label bits
    frame[3] = 0x42
    let payloadLength = 8 + data.count
    frame[4] = UInt8(payloadLength >> 8)
    frame[5] = UInt8(payloadLength & 0xFF)
    frame[6] = 44
    frame[7] = 33
    frame[8] = 0x20; frame[9] = 0x01; frame[10] = 0x0D; frame[11] = 0xB8; frame[23] = 1
    frame[24] = 0x20; frame[25] = 0x01; frame[26] = 0x0D; frame[27] = 0xB8; frame[39] = 2
    frame[40] = 17
    let offsetField = (offset / 8) << 3 | (more ? 1 : 0)
    frame[42] = UInt8(offsetField >> 8)
    frame[43] = UInt8(offsetField & 0xFF)
    frame[44] = UInt8(id >> 24); frame[45] = UInt8((id >> 16) & 0xFF)
    frame[46] = UInt8((id >> 8) & 0xFF); frame[47] = UInt8(id & 0xFF)
    frame += data
    var p = DecodedPacket()
    p.ipVersion = 6
    p.source = source6
    p.destination = destination6
    p.ipProtocol = .udp
    p.hopLimit = 33
    p.networkOffset = 0
    p.networkLength = 40 + payloadLength
    p.isFragment = true
    p.moreFragments = more
    p.fragmentOffset = offset
    p.fragmentIdentifier = id
    p.fragmentDataOffset = 48
    return Fragment(packet: p, frame: frame)
}

private func payload(_ count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ seed) }
}

private func configuration() -> FragmentReassemblyConfiguration {
    var c = FragmentReassemblyConfiguration()
    c.maxDatagrams = 4
    c.maxDatagramsPerSource = 8
    c.poolBytes = 1 << 20
    return c
}

/// The frames a reassembler released (held before the completing fragment), in order.
private func releasedFrames(_ r: FragmentReassembler) -> [[UInt8]] {
    var out: [[UInt8]] = []
    var cursor = r.released
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 70_000, alignment: 8)
    defer { buffer.deallocate() }
    while let n = r.nextReleased(&cursor, into: buffer) { out.append(Array(buffer[0..<n])) }
    return out
}

/// Feeds fragments; returns the last complete datagram (copied) and all events.
private func feed(_ r: inout FragmentReassembler, _ fragments: [Fragment], now: Timestamp = at(0)) -> (datagram: [UInt8]?, events: [DecodeEvent]) {
    var datagram: [UInt8]? = nil
    var events: [DecodeEvent] = []
    for f in fragments {
        let outcome = f.frame.withUnsafeBytes { r.process(f.packet, frame: $0, now: now) }
        if let e = outcome.event { events.append(e) }
        if let d = outcome.datagram { datagram = Array(d) }
    }
    return (datagram, events)
}

private func checksumIsValid(_ header: ArraySlice<UInt8>) -> Bool {
    var sum: UInt32 = 0
    var i = header.startIndex
    while i < header.endIndex {
        sum += UInt32(header[i]) << 8 | UInt32(header[i + 1])
        i += 2
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return sum == 0xFFFF
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

@Suite("IP fragment reassembly")
struct FragmentReassemblerTests {
    @Test func ipv4InEveryOrder() {
        let data = payload(100)
        let pieces = [
            fragment4(offset: 0, data: Array(data[0..<32]), more: true),
            fragment4(offset: 32, data: Array(data[32..<64]), more: true),
            fragment4(offset: 64, data: Array(data[64..<96]), more: true),
            fragment4(offset: 96, data: Array(data[96..<100]), more: false),
        ]
        for order in permutations([0, 1, 2, 3]) {
            var r = FragmentReassembler(configuration: configuration())
            let (datagram, events) = feed(&r, order.map { pieces[$0] })
            #expect(events.isEmpty)
            guard let d = datagram else {
                Issue.record("no datagram for order \(order)")
                continue
            }
            #expect(d.count == 120)
            #expect(d[0] == 0x45)
            #expect(d[1] == 0x10)
            #expect(Int(d[2]) << 8 | Int(d[3]) == 120)
            #expect(d[4] == 0x12 && d[5] == 0x34)
            #expect(d[6] == 0 && d[7] == 0)
            #expect(d[8] == 64)
            #expect(d[9] == 17)
            #expect(Array(d[12..<20]) == [192, 0, 2, 1, 192, 0, 2, 2])
            #expect(checksumIsValid(d[0..<20]))
            #expect(Array(d[20...]) == data)
            #expect(r.pending == 0)
        }
    }

    @Test func ipv6FragmentsReassemble() {
        let data = payload(70, seed: 5)
        var r = FragmentReassembler(configuration: configuration())
        let (datagram, events) = feed(&r, [
            fragment6(offset: 64, data: Array(data[64...]), more: false),
            fragment6(offset: 0, data: Array(data[0..<64]), more: true),
        ])
        #expect(events.isEmpty)
        let d = datagram ?? []
        #expect(d.count == 40 + 70)
        #expect(Array(d[0..<4]) == [0x60, 0x0A, 0x00, 0x42])
        #expect(Int(d[4]) << 8 | Int(d[5]) == 70)
        #expect(d[6] == 17)
        #expect(d[7] == 33)
        #expect(d[8] == 0x20 && d[23] == 1 && d[39] == 2)
        #expect(Array(d[40...]) == data)
    }

    /// A partial overlap with the same bytes is kept (it carries new bytes) and named; an
    /// exact duplicate adds nothing and is dropped, not held twice.
    @Test func overlapWithSameDataIsNamedAndDuplicatesAreNotHeld() {
        let data = payload(48)
        var r = FragmentReassembler(configuration: configuration())
        let pieces = [
            fragment4(offset: 0, data: Array(data[0..<24]), more: true),
            fragment4(offset: 16, data: Array(data[16..<40]), more: true),
            fragment4(offset: 0, data: Array(data[0..<24]), more: true),
            fragment4(offset: 40, data: Array(data[40...]), more: false),
        ]
        var held: [Bool] = []
        var events: [DecodeEvent?] = []
        var datagram: [UInt8]? = nil
        for f in pieces {
            let outcome = f.frame.withUnsafeBytes { r.process(f.packet, frame: $0, now: at(0)) }
            held.append(outcome.held)
            events.append(outcome.event)
            if let d = outcome.datagram { datagram = Array(d) }
        }
        #expect(held == [true, true, false, false])
        #expect(events == [nil, .fragmentOverlap, .fragmentOverlap, nil])
        #expect(datagram.map { Array($0[20...]) } == data)
        #expect(releasedFrames(r) == [pieces[0].frame, pieces[1].frame])
    }

    /// Receivers disagree on which copy of differing bytes wins: the whole datagram is
    /// dropped with what it held, and a later last piece cannot complete it.
    @Test func overlapWithDifferentDataDropsTheDatagram() {
        let data = payload(48)
        var evil = Array(data[16..<40])
        evil[0] ^= 0xFF
        var r = FragmentReassembler(configuration: configuration())
        let first = fragment4(offset: 0, data: Array(data[0..<24]), more: true)
        _ = feed(&r, [first])
        let outcome = fragment4(offset: 16, data: evil, more: true).frame.withUnsafeBytes {
            r.process(fragment4(offset: 16, data: evil, more: true).packet, frame: $0, now: at(0))
        }
        #expect(outcome.event == .fragmentOverlapDifferent)
        #expect(!outcome.held && outcome.datagram == nil && outcome.framesDropped == 1)
        #expect(r.pending == 0 && r.heldFrames == 0)
        let (datagram, _) = feed(&r, [fragment4(offset: 40, data: Array(data[40...]), more: false)])
        #expect(datagram == nil)
    }

    /// Fragments are held whole until the datagram is complete; the ones before the last
    /// come back exactly as received, in the order received, and are freed at the next call.
    @Test func heldFramesAreReleasedInOrderReceived() {
        let data = payload(100, seed: 3)
        let pieces = [
            fragment4(offset: 64, data: Array(data[64...]), more: false),
            fragment4(offset: 0, data: Array(data[0..<32]), more: true),
            fragment4(offset: 32, data: Array(data[32..<64]), more: true),
        ]
        var r = FragmentReassembler(configuration: configuration())
        var held: [Bool] = []
        for f in pieces {
            held.append(f.frame.withUnsafeBytes { r.process(f.packet, frame: $0, now: at(0)) }.held)
        }
        #expect(held == [true, true, false])
        #expect(r.releasedCount == 2 && r.heldFrames == 2)
        #expect(releasedFrames(r) == [pieces[0].frame, pieces[1].frame])
        // A buffer too small skips a frame (0) rather than cutting it.
        var cursor = r.released
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 8)
        defer { small.deallocate() }
        #expect(r.nextReleased(&cursor, into: small) == 0)
        _ = feed(&r, [fragment6(offset: 0, data: payload(8), more: true)])
        #expect(r.releasedCount == 0 && r.heldFrames == 1)
        #expect(r.discardReleased() == 0)
    }

    /// One client cannot fill the table for everyone: beyond its share its new datagrams
    /// are refused (named and counted), while another client's still fit.
    @Test func perSourceShareOfTheTable() {
        var c = configuration()
        c.maxDatagrams = 16
        c.maxDatagramsPerSource = 3
        var r = FragmentReassembler(configuration: c)
        var outcomes: [FragmentOutcome] = []
        for id in 0..<4 {
            let f = fragment4(id: UInt16(id), offset: 0, data: payload(8), more: true)
            outcomes.append(f.frame.withUnsafeBytes { r.process(f.packet, frame: $0, now: at(0)) })
        }
        #expect(outcomes.map(\.held) == [true, true, true, false])
        #expect(outcomes[3].event == .fragmentSourceLimit && outcomes[3].limit == .fragmentsPerSource)
        // IPv6 from another source address.
        let other = fragment6(offset: 0, data: payload(8), more: true)
        #expect(other.frame.withUnsafeBytes { r.process(other.packet, frame: $0, now: at(0)) }.held)
        #expect(r.pending == 4)
    }

    /// The held-frame pool has its own limit: a datagram whose next frame does not fit is
    /// dropped whole (the receiver could not reassemble it without that piece).
    @Test func heldPoolFull() {
        var c = configuration()
        c.heldBytes = 256
        c.heldChunkSize = 64
        c.maxHeldBytesPerSource = 1024   // above the pool: the pool is what fills
        var r = FragmentReassembler(configuration: c)
        let f1 = fragment4(offset: 0, data: payload(96), more: true)     // 120-byte frame: 2 chunks
        let f2 = fragment4(offset: 96, data: payload(96), more: true)    // 2 more: the pool is full
        let f3 = fragment4(offset: 192, data: payload(96), more: true)
        let outcomes = [f1, f2, f3].map { f in f.frame.withUnsafeBytes { r.process(f.packet, frame: $0, now: at(0)) } }
        #expect(outcomes.map(\.held) == [true, true, false])
        #expect(outcomes[2].limit == .fragmentPool && outcomes[2].event == .fragmentTableFull)
        #expect(outcomes[2].framesDropped == 2)
        #expect(r.pending == 0 && r.heldFrames == 0 && r.heldBytesInUse == 0)
    }

    /// A copy of the last piece whose bytes arrived already does not end the datagram.
    @Test func duplicateLastPieceDoesNotComplete() {
        var r = FragmentReassembler(configuration: configuration())
        let (datagram, events) = feed(&r, [
            fragment4(offset: 0, data: payload(16), more: true),
            fragment4(offset: 8, data: Array(payload(16)[8...]), more: false),
        ])
        #expect(datagram == nil)
        #expect(events == [.fragmentOverlap])
        #expect(r.pending == 1)
    }

    @Test func interleavedDatagramsStaySeparate() {
        let a = payload(24, seed: 1)
        let b = payload(24, seed: 2)
        var r = FragmentReassembler(configuration: configuration())
        var results: [[UInt8]] = []
        for f in [
            fragment4(id: 1, offset: 0, data: Array(a[0..<16]), more: true),
            fragment4(id: 2, offset: 16, data: Array(b[16...]), more: false),
            fragment4(id: 2, offset: 0, data: Array(b[0..<16]), more: true),
            fragment4(id: 1, offset: 16, data: Array(a[16...]), more: false),
        ] {
            let (d, events) = feed(&r, [f])
            #expect(events.isEmpty)
            if let d { results.append(Array(d[20...])) }
        }
        #expect(results == [b, a])
    }

    @Test func tooManyFragments() {
        var c = configuration()
        c.maxFragmentsPerDatagram = 3
        var r = FragmentReassembler(configuration: c)
        let data = payload(8)
        let (_, events) = feed(&r, (0..<4).map { i in fragment4(offset: i * 8, data: data, more: true) })
        #expect(events == [.fragmentTooLarge])
        #expect(r.pending == 0)
    }

    @Test func oversizedDatagram() {
        var r = FragmentReassembler(configuration: configuration())
        let (_, events) = feed(&r, [fragment4(offset: 65_528, data: payload(16), more: false)])
        #expect(events == [.fragmentTooLarge])
    }

    @Test func tableFull() {
        var r = FragmentReassembler(configuration: configuration())  // 4 datagrams
        let (_, events) = feed(&r, (0..<5).map { i in fragment4(id: UInt16(i), offset: 0, data: payload(8), more: true) })
        #expect(events == [.fragmentTableFull])
        #expect(r.pending == 4)
        #expect(r.heldFrames == 4)
    }

    @Test func poolFull() {
        var c = configuration()
        c.poolBytes = 128
        c.chunkSize = 64
        var r = FragmentReassembler(configuration: c)
        let (_, events) = feed(&r, [fragment4(offset: 0, data: payload(200), more: true)])
        #expect(events == [.fragmentTableFull])
        #expect(r.pending == 0)
    }

    @Test func timeout() {
        var r = FragmentReassembler(configuration: configuration())
        let data = payload(16)
        _ = feed(&r, [fragment4(offset: 0, data: Array(data[0..<8]), more: true)], now: at(0))
        var counters = DecodeCounters()
        #expect(r.expire(now: at(29), counters: &counters).datagrams == 0)
        let expired = r.expire(now: at(30), counters: &counters)
        #expect(expired.datagrams == 1 && expired.frames == 1)
        #expect(r.heldFrames == 0 && r.heldBytesInUse == 0)
        #expect(counters[.fragmentTimeout] == 1)
        #expect(r.pending == 0)
        // A late piece of a timed-out datagram found on lookup is reported too.
        _ = feed(&r, [fragment4(offset: 0, data: Array(data[0..<8]), more: true)], now: at(100))
        let (datagram, events) = feed(&r, [fragment4(offset: 8, data: Array(data[8...]), more: false)], now: at(140))
        #expect(events == [.fragmentTimeout])
        #expect(datagram == nil)
    }

    @Test func randomFragmentationsWithDuplicates() {
        var generator = FragmentRandom(state: 0xF4A6)
        for round in 0..<200 {
            let length = Int(generator.next() % 4000) + 1
            let data = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let ipv6 = round % 2 == 1
            var pieces: [Fragment] = []
            var offset = 0
            while offset < length {
                var size = (Int(generator.next() % 64) + 1) * 8
                size = min(size, length - offset)
                let more = offset + size < length
                let chunk = Array(data[offset..<(offset + size)])
                pieces.append(ipv6 ? fragment6(offset: offset, data: chunk, more: more)
                                   : fragment4(offset: offset, data: chunk, more: more))
                offset += size
            }
            // The last piece stays last so the datagram completes exactly once.
            let last = pieces.removeLast()
            for i in stride(from: pieces.count - 1, to: 0, by: -1) {
                pieces.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
            if !pieces.isEmpty { pieces.append(pieces[Int(generator.next() % UInt64(pieces.count))]) }
            pieces.append(last)
            var c = configuration()
            c.maxFragmentsPerDatagram = 1000
            var r = FragmentReassembler(configuration: c)
            let (datagram, events) = feed(&r, pieces)
            // The one duplicate is named (and dropped, not held twice).
            #expect(events == (pieces.count > 1 ? [.fragmentOverlap] : []), "round \(round)")
            #expect(datagram.map { Array($0[(ipv6 ? 40 : 20)...]) } == data, "round \(round)")
            #expect(r.pending == 0)
        }
    }

    @Test func nonsenseFieldsNeverTrap() {
        var generator = FragmentRandom(state: 0xBAD)
        var r = FragmentReassembler(configuration: configuration())
        let frame = (0..<120).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let values = [Int.min, -1, 0, 1, 7, 8, 19, 20, 40, 47, 48, 100, 119, 120, 121, 65_535, 65_536, Int.max]
        for _ in 0..<5000 {
            var p = DecodedPacket()
            p.isFragment = true
            p.ipVersion = [4, 6, 5][Int(generator.next() % 3)]
            p.moreFragments = generator.next() % 2 == 0
            p.networkOffset = values[Int(generator.next() % UInt64(values.count))]
            p.networkLength = values[Int(generator.next() % UInt64(values.count))]
            p.fragmentDataOffset = values[Int(generator.next() % UInt64(values.count))]
            p.fragmentOffset = values[Int(generator.next() % UInt64(values.count))]
            p.fragmentIdentifier = UInt32(generator.next() % 4)
            _ = frame.withUnsafeBytes { r.process(p, frame: $0, now: at(0)) }
        }
        #expect(r.pending <= 4)
    }

    @Test func invalidFragments() {
        var r = FragmentReassembler(configuration: configuration())
        // A middle fragment whose length is not a multiple of 8.
        var (_, events) = feed(&r, [fragment4(offset: 0, data: payload(10), more: true)])
        #expect(events == [.fragmentInvalid])
        // Offsets beyond the frame.
        var bad = fragment4(offset: 0, data: payload(8), more: true)
        bad.packet.networkLength = 500
        (_, events) = feed(&r, [bad])
        #expect(events == [.fragmentInvalid])
        // Two different ends.
        (_, events) = feed(&r, [
            fragment4(offset: 8, data: payload(8), more: false),
            fragment4(offset: 16, data: payload(8), more: false),
        ])
        #expect(events == [.fragmentInvalid])
        #expect(r.pending == 0)
    }
}

/// A small deterministic generator (SplitMix64) so randomized tests are reproducible.
private struct FragmentRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
