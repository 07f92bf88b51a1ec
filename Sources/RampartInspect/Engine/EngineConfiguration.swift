import RampartWire

/// Limits and behaviour of one `Engine`, read once before it starts. Every memory limit
/// is here: the engine allocates its tables up front from these numbers and never grows.
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.sessions = SessionTableConfiguration(capacity: 1 << 20)
/// configuration.timeouts.tcpEstablished = 600
/// ```
public struct EngineConfiguration: Sendable {
    /// Session table size; when full, the oldest sessions nearby are evicted (and logged).
    public var sessions = SessionTableConfiguration()
    /// Per-state idle timeouts (see docs/sessions.md).
    public var timeouts = SessionTimeouts()
    /// TCP stream reassembly: depth per direction, out-of-order buffering, pool size.
    public var streams = StreamReassemblyConfiguration()
    /// App-ID: bytes read per session direction, sessions identified at once.
    public var applications = ApplicationIdentifierConfiguration()
    /// The signature matcher's limits (used when the engine is given rules).
    public var detection = DetectionConfiguration()
    /// File tracking's limits (used when the engine is given a `FileInspection`).
    public var files = FileConfiguration()
    /// IP fragment reassembly limits.
    public var fragments = FragmentReassemblyConfiguration()
    /// Verify IPv4 header and TCP/UDP/ICMP checksums and report bad ones as anomalies.
    /// Off by default: captures taken on the sending host carry unfinished checksums
    /// (offload), which are not errors.
    public var verifyChecksums = false
    /// Session-table slots examined for expiry per packet; amortises the sweep so no
    /// packet pays for a whole-table scan.
    public var expirySlotsPerPacket = 4
    /// Anomaly records written per kind per second of packet time; the rest are counted
    /// and summarised (`suppressed`), so damaged input cannot flood the event log.
    public var anomalyRateLimit = AnomalyRateLimit()
    /// How many flow records a flood can cause: summaries of unanswered denied sessions,
    /// and a per-second budget of flow records (off by default; the firewall turns it on).
    public var records = RecordBudget()
    /// Drop a new tunnelled session whose sending node is enrolled (`kind:node` tags) when
    /// neither its inner source nor its inner destination is a pod on that node
    /// (`kind:pod` with the same `node:` tag): a node sends its own pods' traffic only.
    /// Off for captures; the firewall turns it on (`spec.innerSourceCheck`).
    public var tunnelOriginCheck = false
    /// How clients and tunnel sources are counted for the per-source limits of the session
    /// table, App-ID and reassembly (buckets, hash seed).
    public var sources = SourceLimits()
    /// The DNS security stage: the tunnelling table's size, the DGA model.
    public var dnsSecurity = DNSSecurityConfiguration()
    /// The URL filtering stage's tables (the continue table, the path buffer).
    public var urlFiltering = URLFilteringConfiguration()
    /// Clients tracked at once for the AI security profiles' requests and tokens per minute
    /// (`AIRateTable`); past it an exchange is not counted (`ai_rate_table`).
    public var aiRateEntries = 65_536
    /// Streamed AI answers inspected while they flow at once (`AIStreamTable`: about 100 KB
    /// each, touched only when used); past it an answer is inspected from the message buffer
    /// at its end (`ai_streams`).
    public var aiStreams = 64

    public init() {}
}
