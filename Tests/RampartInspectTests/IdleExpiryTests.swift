import RampartInspect
import RampartWire
import Testing

/// Time passing with no packets (an idle firewall) must still end sessions and write their
/// records: otherwise a finished connection is logged only when later traffic sweeps it.
@Suite("Sessions end on time without packets")
struct IdleExpiryTests {
    typealias Harness = TableLimitTests.Harness

    /// 50 one-packet UDP sessions, one a second; returns the time of the first.
    static func fifty(_ h: inout Harness) -> Int64 {
        for port: UInt16 in 1 ... 50 { h.send(TableLimitTests.udp("10.0.1.\(port)", 40000, "10.0.0.2", 9999)) }
        return h.time - 49
    }

    @Test("advance(to:) ends the sessions past their timeout and writes their records, and only those")
    func advanceEndsIdleSessions() throws {
        var h = try Harness { $0.timeouts.udp = 30 }
        let first = Self.fifty(&h), last = h.time
        #expect(h.engine.activeSessions == 50 && h.sink.flows.isEmpty)
        // At the last packet's time the first 20 are past their 30 s already: the packets'
        // own sweep (a few slots each) had not reached them; the idle sweep does.
        #expect(h.engine.advance(to: Timestamp(seconds: last, nanoseconds: 0), maxSlots: 1 << 20, sink: &h.sink) == 20)
        #expect(h.sink.flows.count == 20 && h.engine.activeSessions == 30)
        #expect(h.sink.flows.allSatisfy { $0.start.nanosecondsSinceEpoch <= (first + 19) * 1_000_000_000 })

        // Ten seconds later, ten more; nothing else.
        #expect(h.engine.advance(to: Timestamp(seconds: last + 10, nanoseconds: 0), maxSlots: 1 << 20, sink: &h.sink) == 10)
        #expect(h.sink.flows.count == 30 && h.engine.activeSessions == 20)

        // An hour later every session has ended and been written.
        #expect(h.engine.advance(to: Timestamp(seconds: last + 3600, nanoseconds: 0), maxSlots: 1 << 20, sink: &h.sink) == 20)
        #expect(h.engine.activeSessions == 0 && h.sink.flows.count == 50 && h.engine.statistics.sessionsEnded == 50)
    }

    @Test("one call looks at no more than maxSlots slots; repeated calls reach every session")
    func boundedPerCall() throws {
        var h = try Harness { $0.timeouts.udp = 30 }
        let first = Self.fifty(&h)
        let later = Timestamp(seconds: first + 3600, nanoseconds: 0)
        #expect(h.engine.advance(to: later, maxSlots: 8, sink: &h.sink) <= 8)
        var calls = 1
        while h.engine.activeSessions > 0 && calls < 1_000_000 {
            h.engine.advance(to: later, maxSlots: 8, sink: &h.sink)
            calls += 1
        }
        #expect(h.engine.activeSessions == 0 && h.sink.flows.count == 50)
    }

    @Test("a clock that goes back does not move the engine's time back")
    func timeNeverGoesBack() throws {
        var h = try Harness { $0.timeouts.udp = 30 }
        h.send(TableLimitTests.udp("10.0.0.1", 40000, "10.0.0.2", 9999))
        #expect(h.engine.advance(to: Timestamp(seconds: 0, nanoseconds: 0), maxSlots: 1 << 20, sink: &h.sink) == 0)
        #expect(h.engine.activeSessions == 1)
    }
}
