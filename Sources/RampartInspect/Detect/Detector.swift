import RampartRules
import RampartWire

/// One worker's signature matcher: the shared compiled rule set, its own scratch, the
/// per-session detection states, the threshold table and counters.
///
/// The engine calls it for each allowed packet after reassembly and App-ID; it returns the
/// rules that matched in `matches` (the engine writes their alerts and applies their
/// actions). Allocation-free per packet: every table is sized when the rule set is adopted.
public struct Detector {
    public let set: DetectionRuleSet
    public let configuration: DetectionConfiguration
    let scratch: DetectionScratch
    var states: [DetectionSessionState]
    var freeStates: [Int32]
    let stateCapacity: Int
    /// Per state: each direction's stream tail, then its HTTP message buffer.
    let storage: DetectionArena
    var arena: UnsafeMutableRawPointer { storage.bytes }
    let sideBytes: Int
    var thresholds: ThresholdTable
    var hostBits: HostBits
    /// The rules that matched the last packet.
    var matches: [DetectionMatch] = []
    public internal(set) var statistics = DetectionStatistics()
    /// Limits reached during the last call (`DetectionLimitHits`), for the engine to count and log.
    var limitsHit: UInt8 = 0

    static let stateLimit: UInt8 = 1
    static let flowbitLimit: UInt8 = 2
    static let thresholdLimit: UInt8 = 4
    static let xbitLimit: UInt8 = 8
    static let fileLimit: UInt8 = 16
    static let inflaterLimit: UInt8 = 32
    static let http2StreamLimit: UInt8 = 64

    /// The files in flight, when files are tracked.
    let files: FileTable?
    /// Files that ended during the last packet, for the engine to write.
    var endedFiles: [EndedFile] = []
    /// HTTP/2 connections and their streams.
    let http2: HTTP2StreamTable

    public init(set: DetectionRuleSet, configuration: DetectionConfiguration, maxDelivery: Int,
                files: FileInspection? = nil, fileConfiguration: FileConfiguration = FileConfiguration()) {
        self.files = files.map { FileTable(configuration: fileConfiguration, inspection: $0) }
        endedFiles.reserveCapacity(8)
        self.set = set
        self.configuration = configuration
        let tail = max(0, configuration.streamWindowBytes)
        scratch = DetectionScratch(set: set, windowCapacity: tail + max(maxDelivery, 1 << 16) + 2048)
        stateCapacity = max(1, configuration.maxSessions)
        states = []
        states.reserveCapacity(stateCapacity)
        freeStates = []
        freeStates.reserveCapacity(stateCapacity)
        // Each side: the stream tail, the message buffer, then a name (the last request's
        // URI path, named by the response's file). An SMTP session's client side uses its
        // message buffer as the mail parser's workspace.
        sideBytes = tail + max(MailParser.workspaceBytes, configuration.messageBytes) + FileTable.nameBytes
        storage = DetectionArena(byteCount: stateCapacity * 2 * sideBytes)
        thresholds = ThresholdTable(capacity: configuration.thresholdEntries)
        hostBits = HostBits(capacity: configuration.xbitEntries)
        matches.reserveCapacity(max(1, configuration.alertsPerPacket))
        http2 = HTTP2StreamTable(capacity: configuration.http2Streams, perSession: configuration.http2StreamsPerSession,
                                 sideBytes: max(MailParser.workspaceBytes, configuration.messageBytes))
    }

    /// The rules evaluated most often, with their counts: what makes a rule set slow on
    /// this traffic (Suricata's rule profiling, in small).
    public func mostEvaluated(_ count: Int) -> [(sid: UInt32, message: String, evaluations: UInt32)] {
        (0..<set.rules.count).map { ($0, scratch.evaluations[$0]) }.filter { $0.1 > 0 }
            .sorted { $0.1 > $1.1 }.prefix(count)
            .map { (set.rules[$0.0].rule.sid, set.rules[$0.0].rule.message, $0.1) }
    }

    /// A state for a new session; -1 when every state is taken (the session is then
    /// inspected packet by packet).
    mutating func openState() -> Int32 {
        if let free = freeStates.popLast() {
            states[Int(free)] = DetectionSessionState()
            return free
        }
        guard states.count < stateCapacity else {
            limitsHit |= Detector.stateLimit
            return -1
        }
        states.append(DetectionSessionState())
        return Int32(states.count - 1)
    }

    mutating func closeState(_ index: Int32) {
        guard index >= 0, Int(index) < states.count else { return }
        freeStates.append(index)
    }

    @inline(__always)
    func tail(_ state: Int32, toServer: Bool) -> UnsafeMutableRawPointer {
        arena + (Int(state) * 2 + (toServer ? 0 : 1)) * sideBytes
    }

    @inline(__always)
    func message(_ state: Int32, toServer: Bool) -> UnsafeMutableRawPointer {
        tail(state, toServer: toServer) + configuration.streamWindowBytes
    }

    var messageCapacity: Int { sideBytes - configuration.streamWindowBytes - FileTable.nameBytes }

    /// The side's name area (after its message buffer).
    @inline(__always)
    func fileName(_ state: Int32, toServer: Bool) -> UnsafeMutableRawPointer {
        tail(state, toServer: toServer) + (sideBytes - FileTable.nameBytes)
    }
}

/// The detector's per-session bytes, freed with it. Large enough that malloc maps it: pages
/// are touched (resident) only when a session's state uses them.
final class DetectionArena: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    init(byteCount: Int) { bytes = .allocate(byteCount: max(1, byteCount), alignment: 64) }
    deinit { bytes.deallocate() }
}
