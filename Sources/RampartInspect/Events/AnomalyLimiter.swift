import RampartWire

/// How many anomaly records of one kind are written per second of traffic time.
///
/// Damaged input can name an anomaly on every packet: a 1 GiB capture of damaged records
/// once gave 67 million records (10 GB of output), and a flood through the tunnel would
/// rotate away every earlier record. Each kind (`ipv4.pkt_too_small`, ...) gets
/// `perKindPerSecond` records in each second of packet time; the rest are counted, never
/// lost, and written as one record of the same kind carrying `suppressed: N` when that
/// second is over (or when the capture or the firewall ends). The engine's counters and
/// `/metrics` still count every one.
public struct AnomalyRateLimit: Sendable, Equatable {
    /// Records written per anomaly kind per second; 0: no limit.
    public var perKindPerSecond: Int

    public init(perKindPerSecond: Int = 20) {
        self.perKindPerSecond = perKindPerSecond
    }
}

/// The per-kind budget of ``AnomalyRateLimit``: fixed storage, one slot per ``DecodeEvent``,
/// nothing allocated after start.
@usableFromInline
struct AnomalyLimiter {
    @usableFromInline let limit: Int
    /// Second of packet time the counts below belong to.
    @usableFromInline var second: Int64 = .min
    @usableFromInline var written: [Int32]
    @usableFromInline var suppressed: [UInt64]
    /// Kinds with something suppressed in `second` (so a flush need not scan every kind).
    @usableFromInline var dirty: [DecodeEvent] = []
    /// The last suppressed record of each kind, whose addresses the summary carries.
    @usableFromInline var lastSuppressed: [AnomalyRecord?]

    init(_ configuration: AnomalyRateLimit) {
        limit = configuration.perKindPerSecond
        let kinds = Int(DecodeEvent.allCases.map(\.rawValue).max() ?? 0) + 1
        written = [Int32](repeating: 0, count: kinds)
        suppressed = [UInt64](repeating: 0, count: kinds)
        lastSuppressed = [AnomalyRecord?](repeating: nil, count: kinds)
        dirty.reserveCapacity(kinds)
    }

    /// Writes `record` or counts it; first writes the summaries of an earlier second.
    @inlinable
    mutating func admit<Sink: EventSink>(_ record: AnomalyRecord, sink: inout Sink) {
        guard limit > 0 else { sink.anomaly(record); return }
        if record.timestamp.seconds != second {
            flush(sink: &sink)
            second = record.timestamp.seconds
        }
        let kind = Int(record.event.rawValue)
        if written[kind] < Int32(clamping: limit) {
            written[kind] &+= 1
            sink.anomaly(record)
            return
        }
        if suppressed[kind] == 0 { dirty.append(record.event) }
        suppressed[kind] &+= 1
        lastSuppressed[kind] = record
    }

    /// Writes one summary per kind that had records suppressed, and starts a new second.
    @usableFromInline
    mutating func flush<Sink: EventSink>(sink: inout Sink) {
        for event in dirty {
            let kind = Int(event.rawValue)
            if var summary = lastSuppressed[kind] {
                summary.suppressed = suppressed[kind]
                sink.anomaly(summary)
            }
            suppressed[kind] = 0
            lastSuppressed[kind] = nil
        }
        dirty.removeAll(keepingCapacity: true)
        for i in written.indices where written[i] != 0 { written[i] = 0 }
    }
}
