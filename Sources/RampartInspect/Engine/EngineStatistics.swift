import RampartWire

/// Counters the engine keeps as it runs; read them for the summary table and, in the
/// firewall, for Prometheus.
public struct EngineStatistics: Sendable {
    public var packets: UInt64 = 0
    public var bytes: UInt64 = 0
    /// Frames that carried no IP packet (ARP, LLDP, ...): forwarded, not inspected.
    public var nonIPPackets: UInt64 = 0
    /// Packets rejected by the decoder, by reason in `anomalies`.
    public var malformedPackets: UInt64 = 0
    /// IP fragments kept until their datagram is decided (verdict `.hold`).
    public var fragmentsHeld: UInt64 = 0
    /// Held fragments released under an allow verdict, and held fragments dropped (their
    /// datagram denied, refused by a limit, overlapping with different bytes, or timed out).
    public var fragmentsForwarded: UInt64 = 0
    public var fragmentsDropped: UInt64 = 0
    /// Now: datagrams being reassembled, and bytes of the held-fragment pool in use.
    public var fragmentDatagramsPending: UInt64 = 0
    public var fragmentBytesHeld: UInt64 = 0
    public var datagramsReassembled: UInt64 = 0
    public var sessionsCreated: UInt64 = 0
    public var sessionsEnded: UInt64 = 0
    public var sessionsEvicted: UInt64 = 0
    /// Sessions counted in a flow summary instead of written one by one (`RecordBudget`).
    public var flowsSummarised: UInt64 = 0
    /// Flow-summary records written.
    public var flowSummaries: UInt64 = 0
    /// New tunnelled sessions dropped because their inner addresses were foreign to the
    /// sending node (`tunnel.inner_not_local`).
    public var tunnelOriginRefused: UInt64 = 0
    public var packetsForwarded: UInt64 = 0
    public var packetsDropped: UInt64 = 0
    public var packetsReset: UInt64 = 0
    /// Every named anomaly, decode and stream alike.
    public var anomalies = DecodeCounters()
    /// Sessions decided by each rule (index as in `PolicyMatcher.rules`), counted when the
    /// final decision is made, as a firewall's per-rule hit count.
    public var ruleHits: [UInt64] = []
    /// Sessions ended, by the application they ended with (index: `ApplicationID.rawValue`).
    public var sessionsByApplication: [UInt64] = []
    /// What each fixed table refused, by limit (see `EngineLimit`).
    public var limits = LimitCounters()
    /// TCP sessions App-ID identified packet by packet, for want of a stream buffer.
    public var appIDUnbuffered: UInt64 = 0
    /// URL filtering decisions, by category and action (once per session with a URL
    /// filtering profile; PAN-OS's URL log counts).
    public var urlFiltering: [URLFilteringCountKey: UInt64] = [:]
    /// Block and continue pages the engine asked for (`.respond` verdicts).
    public var urlPages: UInt64 = 0
    /// Requests after a session's first that URL filtering judged (kept-alive HTTP/1).
    public var urlLaterRequests: UInt64 = 0
    /// `override` password answers that were wrong (refused).
    public var urlOverridesRefused: UInt64 = 0
    /// The signature matcher's counters (zero without rules).
    public var detection = DetectionStatistics()
    /// The DNS security stage: queries by verdict and reason, sinkholed answers.
    public var dnsSecurity = DNSSecurityStatistics()

    /// How often `limit` refused something.
    ///
    /// ```swift
    /// statistics.limitCount(.appIDBuffers)   // sessions that found the buffer pool empty
    /// ```
    public func limitCount(_ limit: EngineLimit) -> UInt64 {
        limits[limit]
    }

    public init() {}
}
