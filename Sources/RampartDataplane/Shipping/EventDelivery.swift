import RampartJSON
import RampartLog
import RampartPOSIX
import Synchronization

/// The delivery of one event log's files to a TCP syslog collector, as the firewall's
/// parts share it: the shipper counts what the collector acknowledged, every worker's
/// `EventLog` asks it what rotation may delete and counts what it could not write, and the
/// metrics board reads the counters. Atomics only: it is touched at flush and rotation
/// time and by the shipper's thread, never per packet.
///
/// ```swift
/// let delivery = EventDelivery(events: "/var/log/rampart/eve.json", keep: 5, holdMaxBytes: 1 << 30)
/// let log = try EventLog(path: delivery.events, maxBytes: 100 << 20, keep: 5, delivery: delivery)
/// board.attach(delivery)
/// ```
public final class EventDelivery: Sendable {
    /// The live event file (eve.json).
    public let events: String
    /// Where the shipper keeps its cursor (eve.json.shipped).
    public let cursorPath: String
    /// Rotated files kept whatever their delivery (`eventsKeep`).
    public let keep: Int
    /// Bytes of unsent files rotation may keep beyond `keep` (`eventsHoldMaxBytes`).
    public let holdMaxBytes: Int
    /// Where log lines go (one JSON object per call; standard error by default).
    let log: @Sendable (String) -> Void

    let shippedBytes = Atomic<UInt64>(0)
    let shippedRecords = Atomic<UInt64>(0)
    let backlogBytes = Atomic<UInt64>(0)
    let heldFiles = Atomic<UInt64>(0)
    let heldBytes = Atomic<UInt64>(0)
    let unwrittenRecords = Atomic<UInt64>(0)
    let unwrittenBytes = Atomic<UInt64>(0)
    let messages = Atomic<UInt64>(0)
    let truncated = Atomic<UInt64>(0)
    let connects = Atomic<UInt64>(0)
    /// True from the first refused rotation until one succeeds again; the records and
    /// bytes unwritten when it began, so the line that ends it can say how many were lost.
    let holdFull = Atomic<Bool>(false)
    let unwrittenAtHoldStart = Mutex<(records: UInt64, bytes: UInt64)>((0, 0))

    public init(events: String, keep: Int, holdMaxBytes: Int,
                log: @escaping @Sendable (String) -> Void = { LogWriter.writeLine($0, to: 2) }) {
        self.events = events
        cursorPath = events + ".shipped"
        self.keep = max(keep, 0)
        self.holdMaxBytes = max(holdMaxBytes, 0)
        self.log = log
    }

    public var counters: EventDeliveryCounters {
        var c = EventDeliveryCounters()
        c.shippedBytes = shippedBytes.load(ordering: .relaxed)
        c.shippedRecords = shippedRecords.load(ordering: .relaxed)
        c.backlogBytes = backlogBytes.load(ordering: .relaxed)
        c.heldFiles = heldFiles.load(ordering: .relaxed)
        c.heldBytes = heldBytes.load(ordering: .relaxed)
        c.unwrittenRecords = unwrittenRecords.load(ordering: .relaxed)
        c.unwrittenBytes = unwrittenBytes.load(ordering: .relaxed)
        c.messages = messages.load(ordering: .relaxed)
        c.truncated = truncated.load(ordering: .relaxed)
        c.connects = connects.load(ordering: .relaxed)
        return c
    }

    /// The saved cursor, as rotation must trust it: one it cannot read means nothing is
    /// known delivered (the shipper reports the reason).
    func savedCursor() -> ShipCursor? {
        (try? ShipCursor.load(from: cursorPath)) ?? nil
    }

    func setHeld(files: Int, bytes: Int) {
        heldFiles.store(UInt64(max(files, 0)), ordering: .relaxed)
        heldBytes.store(UInt64(max(bytes, 0)), ordering: .relaxed)
    }

    /// A rotation happened as planned; ends a refusal episode with its count.
    func rotated(_ plan: EventHold.Plan) {
        setHeld(files: plan.heldFiles, bytes: plan.heldBytes)
        guard holdFull.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let start = unwrittenAtHoldStart.withLock { $0 }
        let records = unwrittenRecords.load(ordering: .relaxed) &- start.records
        let bytes = unwrittenBytes.load(ordering: .relaxed) &- start.bytes
        report("warning", "events-hold-released",
               "\(events): the syslog collector caught up and rotation goes on; \(records) records (\(bytes) bytes) were not written while the hold was full",
               [("unwritten_records", .integer(records)), ("unwritten_bytes", .integer(bytes))])
    }

    /// A rotation was refused: `records` lines (`bytes`) are not written. The first refusal
    /// of an episode is logged; the rest are counted.
    func refused(_ plan: EventHold.Plan, records: Int, bytes: Int) {
        let before = (records: unwrittenRecords.add(UInt64(records), ordering: .relaxed).oldValue,
                      bytes: unwrittenBytes.add(UInt64(bytes), ordering: .relaxed).oldValue)
        guard !holdFull.exchange(true, ordering: .acquiringAndReleasing) else { return }
        unwrittenAtHoldStart.withLock { $0 = before }
        report("error", "events-hold-full",
               "\(events): rotating would delete event files the syslog collector has not received (\(plan.heldBytes) bytes in \(plan.heldFiles) files past eventsKeep \(keep), over eventsHoldMaxBytes \(holdMaxBytes)); history is kept and new records are NOT written until the collector catches up (counted in rampart_events_unwritten_records_total)",
               [("held_files", .integer(plan.heldFiles)), ("held_bytes", .integer(plan.heldBytes)), ("hold_max_bytes", .integer(holdMaxBytes))])
    }

    /// One log line: `{"time":…,"level":…,"event":…,"message":…,"events":…, extra fields}`.
    func report(_ level: String, _ event: String, _ message: String, _ fields: [(String, JSONValue)] = []) {
        log(LogLine.render(LogLevel(rawValue: level) ?? .info, event: event, message: message, component: "rampart-firewall",
                           fields: [("events", .string(events))] + fields))
    }
}

/// The shipping and hold counters as `/metrics` shows them (`rampart_events_*`; the
/// shipper's messages, truncations and connects are added to `rampart_syslog_*`).
public struct EventDeliveryCounters: Sendable, Equatable {
    /// Event-file bytes and records the collector acknowledged.
    public var shippedBytes: UInt64 = 0
    public var shippedRecords: UInt64 = 0
    /// Event-file bytes not yet acknowledged.
    public var backlogBytes: UInt64 = 0
    /// Rotated files kept past `eventsKeep` because unsent, and their bytes.
    public var heldFiles: UInt64 = 0
    public var heldBytes: UInt64 = 0
    /// Records (and bytes) not written because rotation was refused (hold full).
    public var unwrittenRecords: UInt64 = 0
    public var unwrittenBytes: UInt64 = 0
    /// Syslog frames handed to the kernel whole, cut to 2048 bytes, connection attempts.
    public var messages: UInt64 = 0
    public var truncated: UInt64 = 0
    public var connects: UInt64 = 0

    public init() {}
}
