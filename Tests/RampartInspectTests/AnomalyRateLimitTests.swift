import Testing
import RampartWire
@testable import RampartInspect

/// Issue 11: a capture of damaged records gave one anomaly record per packet (67 million
/// from 1 GiB). Each kind now gets a budget per second of packet time; the rest are
/// counted and summarised, never silently lost.
@Suite("Anomaly records are rate-limited per kind per second")
struct AnomalyRateLimitTests {
    /// `count` frames too short for Ethernet at `perSecond` frames per second from `start`.
    static func damaged(_ count: Int, perSecond: Int, start: Int64 = 1_700_000_000, into writer: inout PcapWriter) {
        for i in 0 ..< count {
            let nanos = Int64(i % perSecond) * (1_000_000_000 / Int64(perSecond))
            writer.append([0x00, 0x01, 0x02], timestamp: Timestamp(seconds: start + Int64(i / perSecond), nanoseconds: nanos))
        }
    }

    @Test func aFloodOfOneKindIsCutToTheBudgetAndSummarisedEachSecond() throws {
        var writer = PcapWriter(linkType: .ethernet)
        Self.damaged(3000, perSecond: 1000, into: &writer)   // 3 seconds of 1,000 each
        let run = try EngineRun(bytes: writer.bytes)
        #expect(run.statistics.malformedPackets == 3000)
        #expect(run.statistics.anomalies[.ethernetTooShort] == 3000)
        let plain = run.anomalies.filter { $0.suppressed == 0 }
        let summaries = run.anomalies.filter { $0.suppressed > 0 }
        #expect(plain.count == 3 * 20)
        #expect(summaries.map(\.suppressed) == [980, 980, 980])
        // Every packet is accounted for: written or counted in a summary.
        #expect(UInt64(plain.count) + summaries.reduce(0) { $0 + $1.suppressed } == 3000)
        // A summary follows the records of its own second.
        #expect(summaries.map(\.timestamp.seconds) == [1_700_000_000, 1_700_000_001, 1_700_000_002])
    }

    @Test func otherKindsKeepTheirOwnBudget() throws {
        var writer = PcapWriter(linkType: .ethernet)
        Self.damaged(500, perSecond: 500, into: &writer)
        // An IPv4 header with version 5 in the same second: its own kind, its own budget.
        var frame = [UInt8](repeating: 0, count: 60)
        frame[12] = 0x08; frame[13] = 0x00; frame[14] = 0x55
        for i in 0 ..< 5 { writer.append(frame, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 999_000_000 + Int64(i))) }
        let run = try EngineRun(bytes: writer.bytes)
        #expect(run.anomalies.filter { $0.event.name == "ipv4.wrong_ip_version" }.count == 5)
        #expect(run.anomalies.first { $0.suppressed > 0 }?.suppressed == 480)
    }

    @Test func theSummaryIsEVEWithItsCount() throws {
        var writer = PcapWriter(linkType: .ethernet)
        Self.damaged(25, perSecond: 100, into: &writer)
        let run = try EngineRun(bytes: writer.bytes)
        let summary = try #require(run.anomalies.last)
        var line = JSONLine()
        summary.writeEVE(into: &line)
        let text = String(decoding: line.bytes, as: UTF8.self)
        #expect(text.contains(#""anomaly":{"type":"decode","event":"ethernet.pkt_too_small","suppressed":5}"#), "\(text)")
    }

    @Test func zeroMeansEveryRecord() throws {
        var writer = PcapWriter(linkType: .ethernet)
        Self.damaged(300, perSecond: 1000, into: &writer)
        let run = try EngineRun(bytes: writer.bytes) { $0.anomalyRateLimit = AnomalyRateLimit(perKindPerSecond: 0) }
        #expect(run.anomalies.count == 300)
    }
}
