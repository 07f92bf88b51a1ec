/// What detection keeps about one session while it lasts: its flowbits, the tail of each
/// direction's stream (inspected again with the next data), and each direction's HTTP
/// parser. The bytes (tails, HTTP messages) live in the detector's arena at the state's
/// index, allocated once.
@usableFromInline
struct DetectionSessionState: Sendable {
    var flowbits = FlowbitSet()
    var flowints = FlowintSet()
    var tailToServer = 0
    var tailToClient = 0
    var httpRequest = HTTPMessageParser(isResponse: false)
    var httpResponse = HTTPMessageParser(isResponse: true)
    /// The application detection applies rules for (App-ID's, or HTTP/1 when the
    /// parser recognised a request or response).
    var application = DetectApplication.none
    /// The TLS ClientHello's buffers were inspected.
    var tlsInspected = false
    /// Server stream bytes collected (in the to-client message buffer) while looking for
    /// the certificate, and whether that search is over.
    var tlsCollected = 0
    var certificateDone = false
    /// The file each direction is reading (a `FileTable` slot), -1 for none.
    var fileToServer: Int32 = -1
    var fileToClient: Int32 = -1
    /// The last request's URI path (in the to-client name area), for its response's file.
    var requestNameLength = 0
    /// HTTP transactions: requests and responses seen (Suricata's `tx_id`).
    var requests: UInt32 = 0
    /// Request heads the parser completed, for URL filtering (the first is App-ID's to judge).
    var urlRequestHeads: UInt32 = 0
    var responses: UInt32 = 0
    /// The client side of an SMTP session, read for its attachments.
    var mail = MailParser()
    /// Stream bytes seen per direction (detection stops at the stream depth).
    var streamToServer = 0
    var streamToClient = 0
    /// The AI operation (`AIOperation.rawValue`) the last request named, 0xFF: none; its
    /// answer is read by that operation's schema.
    var aiOperation: UInt8 = 0xFF
    /// Body bytes of the current AI message on the wire (past the message buffer too), and
    /// whether its answer was already reported as a runaway stream.
    var aiBodyBytes: Int64 = 0
    var aiRunawayReported = false
    /// A blocked AI stream waiting for a packet that starts between two chunks, to be
    /// replaced by the closing error event: packets waited (0: none), and the blocking
    /// detection kinds (one bit per `AIDetectionKind`).
    var aiEndWaited: UInt8 = 0
    var aiEndKinds: UInt16 = 0
    /// The answer's `AIStreamTable` slot, -1: none (not a stream, or inspected from the
    /// message buffer).
    var aiStream: Int32 = -1
    /// The session speaks HTTP/2 (prior knowledge or an h2c upgrade): its streams are read
    /// by the detector's `HTTP2StreamTable`, not the HTTP/1 parsers.
    var http2 = false
}

/// One rule that matched a packet, for the engine to write its alert and apply its action.
@usableFromInline
struct DetectionMatch: Sendable {
    var rule: Int32
    /// The match was in the reassembled stream or an application buffer (not this packet alone).
    var inStream: Bool
    /// A match that acts without an alert (`noalert`, a threshold's silent match): its
    /// drop or reject applies, nothing is written.
    var silent = false
}

/// Counters of the matcher, for the summary and /metrics.
public struct DetectionStatistics: Sendable, Equatable {
    /// Buffers scanned by the prefilter, and their bytes.
    public var scans: UInt64 = 0
    public var scannedBytes: UInt64 = 0
    /// Rules evaluated in full (prefilter hits and always-evaluated rules), and matches.
    public var evaluations: UInt64 = 0
    public var matches: UInt64 = 0
    public var alerts: UInt64 = 0
    /// Matches that a rule's threshold or detection_filter kept silent, and `noalert` ones.
    public var suppressed: UInt64 = 0
    /// HTTP messages whose headers were inspected, and bodies.
    public var httpMessages: UInt64 = 0
    public var httpBodies: UInt64 = 0
    /// Alerts over `alertsPerPacket` on one packet (counted, not written).
    public var alertsDropped: UInt64 = 0
    /// Packets whose verdict a rule changed (drop or reject), inline only.
    public var blocked: UInt64 = 0
    public init() {}
}
