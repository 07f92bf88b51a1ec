/// Counters of the DNS security stage (`EngineStatistics.dnsSecurity`), shown on `/metrics`
/// as `rampart_dns_security_total{verdict,reason}` and in `rampart inspect`'s summary.
///
/// ```swift
/// engine.statistics.dnsSecurity.count(verdict: .block, reason: .dga)
/// ```
public struct DNSSecurityStatistics: Sendable, Equatable {
    /// Queries by decision: index `rank * 5 + reason`.
    public var decisions = [UInt64](repeating: 0, count: 25)
    /// Messages of DNS sessions the stage could not read (`DNSMessageProblem`).
    public var malformed: UInt64 = 0
    /// Answers rewritten to the sinkhole, and answers dropped because they could not be
    /// (no sinkhole address of their family, split over TCP segments, fragmented).
    public var answersSinkholed: UInt64 = 0
    public var answersDropped: UInt64 = 0
    /// DNS-over-TCP directions whose message boundaries were lost (a gap, a split prefix).
    public var streamsLost: UInt64 = 0

    public init() {}

    @inlinable
    mutating func count(_ d: DNSSecurityDecision) {
        let i = Int(d.rank) * 5 + Int(d.reason.rawValue)
        if i < decisions.count { decisions[i] &+= 1 }
    }

    /// Queries decided `verdict` (allow, alert, sinkhole, block) for `reason`.
    public func count(verdict rank: UInt8, reason: DNSSecurityDecision.Reason) -> UInt64 {
        let i = Int(rank) * 5 + Int(reason.rawValue)
        return i < decisions.count ? decisions[i] : 0
    }

    public mutating func add(_ other: DNSSecurityStatistics) {
        for i in decisions.indices { decisions[i] &+= other.decisions[i] }
        malformed &+= other.malformed
        answersSinkholed &+= other.answersSinkholed
        answersDropped &+= other.answersDropped
        streamsLost &+= other.streamsLost
    }
}
