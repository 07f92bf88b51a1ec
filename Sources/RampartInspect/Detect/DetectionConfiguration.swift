/// Limits of the signature matcher, allocated once per worker: per-session state (flowbits,
/// the stream window, the HTTP message being parsed) for `maxSessions` sessions at once,
/// and the threshold table.
///
/// ```swift
/// var configuration = EngineConfiguration()
/// configuration.detection.maxSessions = 16_384
/// ```
public struct DetectionConfiguration: Sendable, Equatable {
    /// Sessions with detection state at once. A session that finds none is inspected
    /// packet by packet (no stream window, no HTTP buffers, no flowbits) and counted
    /// (`detect_states` limit, anomaly `detect.state_full`).
    public var maxSessions = 16_384
    /// Bytes of the previous stream data kept per direction and inspected again with the
    /// next data, so a pattern split between two segments is found.
    public var streamWindowBytes = 2_048
    /// Bytes of one HTTP message kept per direction: the header block, then the body
    /// (de-chunked) up to what is left; a larger body is inspected up to here.
    public var messageBytes = 16_384
    /// HTTP/2 streams inspected at once per worker (each holds a request and a response of
    /// `messageBytes`), and per connection. A stream past either is not inspected and
    /// counted (`http2_streams`, anomaly `http2.stream_table_full`).
    public var http2Streams = 1_024
    public var http2StreamsPerSession = 32
    /// Flowbits one session holds; setting more is refused and counted (`detect_flowbits`).
    public var flowbitsPerSession = 16
    /// Entries of the threshold / detection_filter table; when full, a new entry is refused
    /// (counted, `detect_thresholds`) and the match alerts, as if over its threshold: a
    /// full table must not hide attacks.
    public var thresholdEntries = 65_536
    /// `xbits` (host and pair bits) a worker keeps; when full a new one is refused and
    /// counted (`detect_xbits`).
    public var xbitEntries = 65_536
    /// Stream bytes delivered per direction before detection stops reading it (Suricata's
    /// `stream.reassembly.depth`, 1 MB by default). Raises the reassembly depth when rules
    /// are loaded.
    public var streamDepth = 1 << 20
    /// Alerts kept per packet; more are counted, not written.
    public var alertsPerPacket = 32
    /// Inline: drop and reject rules block the session (the firewall). Off: every alert is
    /// `allowed` and verdicts are the policy's alone (`rampart inspect`, like Suricata IDS).
    public var blocking = false

    public init() {}
}
