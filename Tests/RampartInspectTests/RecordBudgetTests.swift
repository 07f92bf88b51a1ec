import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// Issue 19: a flood must not erase history. 300,000 junk SYNs through the tunnel became
/// 300,000 flow records; with summaries, unanswered denied sessions become one full record
/// and one summary per (source, port, rule) per interval, and flows past the per-second
/// budget are summarised too. Every session is still accounted for.
@Suite("Record budgets and flow summaries")
struct RecordBudgetTests {
    typealias Harness = TableLimitTests.Harness
    static let syn = TableLimitTests.syn

    /// Sessions ended, as the records account for them: written whole plus counted.
    static func accounted(_ h: Harness) -> UInt64 {
        UInt64(h.sink.flows.count) + h.sink.summaries.reduce(0) { $0 + $1.sessions }
    }

    @Test("3,000 lone denied SYNs from one source: one full record and one summary, every session counted")
    func loneSynFlood() throws {
        var h = try Harness(policy: DecisionIdentityTests.policy) { $0.records = RecordBudget(summaryIntervalSeconds: 60) }
        h.time = 1_700_000_000 - 1   // the flood starts on an interval boundary
        for i in 0 ..< 3000 {
            if i % 100 == 0 { h.time = 1_700_000_000 - 1 + Int64(i / 100) } else { h.time -= 1 }
            h.send(TableLimitTests.tcp("10.0.0.66", UInt16(10000 + i), "10.0.0.2", 5432, seq: 1, flags: Self.syn))
        }
        h.finish()
        #expect(h.engine.statistics.sessionsEnded == 3000)
        #expect(h.sink.flows.count == 1)
        #expect(h.sink.flows.first?.rule == "interzone-default")
        let summary = try #require(h.sink.summaries.first)
        #expect(h.sink.summaries.count == 1)
        #expect(summary.sessions == 2999)
        #expect(summary.clientAddress == IPAddress("10.0.0.66"))
        #expect(summary.serverPort == 5432 && summary.rule == "interzone-default" && summary.action == "deny")
        #expect(summary.reason == .deniedUnanswered)
        #expect(summary.destinations == [IPAddress("10.0.0.2")!])
        #expect(summary.packetsToServer == 2999)
        #expect(Self.accounted(h) == 3000)
        #expect(h.engine.statistics.flowsSummarised == 2999)
        var line = JSONLine()
        summary.writeEVE(into: &line)
        let text = String(decoding: line.bytes, as: UTF8.self)
        #expect(text.contains(#""event_type":"flow_summary""#) && text.contains(#""sessions":2999"#))
        #expect(text.contains(#""reason":"denied-unanswered""#) && text.contains(#""src_ip":"10.0.0.66""#))
    }

    @Test("each interval gets its own summary, written when packet time passes its end")
    func summariesPerInterval() throws {
        var h = try Harness(policy: DecisionIdentityTests.policy) {
            $0.records = RecordBudget(summaryIntervalSeconds: 10)
            // A small table, so the amortised expiry sweep (a few slots per packet) ends
            // each SYN's session about 5 s after its timeout.
            $0.sessions = SessionTableConfiguration(capacity: 16)
            $0.timeouts.tcpSyn = 5
        }
        // One SYN a second for 100 s: ten intervals, each one full record and a summary of the rest.
        for i in 0 ..< 100 { h.send(TableLimitTests.tcp("10.0.0.66", UInt16(10000 + i), "10.0.0.2", 5432, seq: 1, flags: Self.syn)) }
        let beforeEnd = h.sink.summaries.count
        #expect(beforeEnd >= 8, "summaries are written as intervals end, not only at the end")
        h.finish()
        #expect(h.sink.flows.count <= 11)
        #expect(h.sink.summaries.count <= 11)
        #expect(Self.accounted(h) == 100)
    }

    @Test("answered and allowed sessions are written whole; different sources and ports are kept apart")
    func allowedAndKeysApart() throws {
        var h = try Harness(policy: DecisionIdentityTests.policy) { $0.records = RecordBudget(summaryIntervalSeconds: 60) }
        h.engine.policy.setTags(DecisionIdentityTests.tags("ns:shop", "pod:web-1"), for: DecisionIdentityTests.client)
        for i in 0 ..< 5 { h.open("10.0.0.1", UInt16(30000 + i), data: TableLimitTests.request) }
        for source in ["10.0.0.66", "10.0.0.67"] {
            for port: UInt16 in [22, 5432] {
                for i in 0 ..< 10 { h.send(TableLimitTests.tcp(source, UInt16(20000 + i) + port, "10.0.0.2", port, seq: 1, flags: Self.syn)) }
            }
        }
        h.finish()
        #expect(h.sink.flows.filter { $0.rule == "web-to-servers" }.count == 5)
        #expect(h.sink.flows.filter { $0.rule == "interzone-default" }.count == 4)
        #expect(h.sink.summaries.count == 4)
        #expect(h.sink.summaries.allSatisfy { $0.sessions == 9 })
        #expect(Self.accounted(h) == 45)
    }

    @Test("past the per-second budget flows are summarised, not written; the budget comes back the next second")
    func flowBudget() throws {
        var h = try Harness(policy: TableLimitTests.Harness.allowAll) { $0.records = RecordBudget(flowsPerSecond: 10) }
        h.time = 1_700_000_000
        // 100 one-packet UDP sessions within one second, then the sessions end together.
        for i in 0 ..< 100 {
            h.time -= 1
            h.send(TableLimitTests.udp("10.0.0.5", UInt16(40000 + i), "10.0.0.9", 53))
        }
        h.finish()
        #expect(h.sink.flows.count == 10)
        #expect(h.sink.summaries.allSatisfy { $0.reason == .overBudget })
        #expect(Self.accounted(h) == 100)
    }

    @Test("a full summary table counts the rest per rule without a source, counted and logged")
    func summaryTableFull() throws {
        var h = try Harness(policy: DecisionIdentityTests.policy) {
            $0.records = RecordBudget(summaryIntervalSeconds: 60, maxSummaries: 8)
        }
        h.time = 1_700_000_000 - 1
        for source in 1 ... 20 {
            for i in 0 ..< 3 {
                h.time = 1_700_000_000 - 1
                h.send(TableLimitTests.tcp("10.0.1.\(source)", UInt16(10000 + i), "10.0.0.2", 5432, seq: 1, flags: Self.syn))
            }
        }
        h.finish()
        let overflow = h.sink.summaries.filter { $0.clientAddress == nil }
        #expect(overflow.count == 1)
        #expect(overflow.first?.rule == "interzone-default")
        #expect(h.sink.summaries.count == 9)
        #expect(Self.accounted(h) == 60)
        #expect(h.engine.statistics.limits[.flowSummaries] >= 1)
        #expect(h.anomalies("flow.summary_table_full") >= 1)
        // The held tag sets of the summaries are let go once they are written.
        #expect(h.engine.policy.heldTagSetCount == 0)
    }

    @Test("off by default: every session its own record")
    func offByDefault() throws {
        var h = try Harness(policy: DecisionIdentityTests.policy) { _ in }
        for i in 0 ..< 50 { h.send(TableLimitTests.tcp("10.0.0.66", UInt16(10000 + i), "10.0.0.2", 5432, seq: 1, flags: Self.syn)) }
        h.finish()
        #expect(h.sink.flows.count == 50 && h.sink.summaries.isEmpty)
    }
}
