import RampartWire

/// Sessions counted together instead of written one by one: the EVE `flow_summary` event.
///
/// A flood of denied connection attempts (300,000 lone SYNs) would otherwise be 300,000
/// flow records and rotate every earlier record away. Per interval, the first session of
/// each (source, destination port, rule) is written in full and the rest are counted in one
/// summary; flows past the per-second budget are counted the same way (see `RecordBudget`).
///
/// ```swift
/// var line = JSONLine()
/// summary.writeEVE(into: &line)   // {"timestamp":...,"event_type":"flow_summary",...}
/// ```
public struct FlowSummary: Sendable, Equatable {
    /// Why these sessions were counted instead of written.
    public enum Reason: String, Sendable {
        /// Denied, and nothing came back (a lone SYN, an unanswered datagram).
        case deniedUnanswered = "denied-unanswered"
        /// Over `RecordBudget.flowsPerSecond`.
        case overBudget = "over-budget"
    }

    /// When the interval ended (the record's timestamp).
    public var timestamp: Timestamp
    /// The first counted session's start and the last one's end.
    public var start: Timestamp
    public var end: Timestamp
    /// nil for an overflow summary: the summary table was full, so every source of this
    /// rule is counted together.
    public var clientAddress: IPAddress?
    public var serverPort: UInt16
    public var ipProtocol: IPProtocol
    public var tunnelVNI: UInt32
    public var reason: Reason
    public var sessions: UInt64
    public var packetsToServer: UInt64
    public var bytesToServer: UInt64
    /// Up to `FlowSummary.sampledDestinations` distinct destinations, in the order first seen.
    public var destinations: [IPAddress]
    public var rule: String
    public var action: String
    /// The first counted session's source identity as it was decided on.
    public var sourceZone: String
    public var destinationZone: String
    public var sourceTags: [String]

    public static let sampledDestinations = 4

    public func writeEVE(into line: inout JSONLine) {
        line.begin()
        line.field("timestamp", timestamp.eveText)
        line.field("event_type", "flow_summary")
        if let clientAddress { line.field("src_ip", clientAddress.description) }
        if ipProtocol != .icmp && ipProtocol != .icmpv6 { line.field("dest_port", serverPort) }
        line.field("proto", ipProtocol.description)
        line.beginObject("flow_summary")
        line.field("reason", reason.rawValue)
        line.field("sessions", sessions)
        line.field("pkts_toserver", packetsToServer)
        line.field("bytes_toserver", bytesToServer)
        line.field("start", start.eveText)
        line.field("end", end.eveText)
        line.field("dest_ips", strings: destinations.map(\.description))
        if clientAddress == nil { line.field("overflow", true) }
        line.endObject()
        line.beginObject("rampart")
        line.field("rule", rule)
        line.field("action", action)
        line.field("src_zone", sourceZone)
        line.field("dest_zone", destinationZone)
        line.field("src_tags", strings: sourceTags)
        if tunnelVNI != 0 { line.field("vni", tunnelVNI) }
        line.endObject()
        line.end()
    }
}

/// How many flow records a flood can cause: unanswered denied sessions are summarised per
/// interval, and flow records past a per-second budget are summarised too.
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.records = RecordBudget(summaryIntervalSeconds: 60, flowsPerSecond: 10_000)
/// ```
public struct RecordBudget: Sendable, Equatable {
    /// Seconds of packet time per summary interval. Above 0, denied sessions that got no
    /// answer are summarised per (source, destination port, rule): the first of each
    /// interval in full, the rest counted. 0: each its own record.
    public var summaryIntervalSeconds: Int
    /// Flow records written per second of packet time; the rest are summarised (over
    /// `summaryIntervalSeconds`, or 60 s when that is 0). 0: no limit.
    public var flowsPerSecond: Int
    /// Keys summarised at once; beyond, each rule's further sessions go into one overflow
    /// summary without a source.
    public var maxSummaries: Int

    public init(summaryIntervalSeconds: Int = 0, flowsPerSecond: Int = 0, maxSummaries: Int = 4096) {
        self.summaryIntervalSeconds = summaryIntervalSeconds
        self.flowsPerSecond = flowsPerSecond
        self.maxSummaries = maxSummaries
    }

    /// Whether anything is summarised.
    public var isOn: Bool { summaryIntervalSeconds > 0 || flowsPerSecond > 0 }
    /// The summary interval in force.
    public var intervalSeconds: Int { summaryIntervalSeconds > 0 ? summaryIntervalSeconds : 60 }
}
