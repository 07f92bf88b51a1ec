import RampartRules
import RampartWire

/// Counters of `threshold` and `detection_filter` (Suricata's `detect-engine-threshold.c`),
/// in a fixed open-addressing table keyed by rule and tracked address(es), so memory does
/// not grow with the hosts seen. Time is packet time.
///
/// When the table is full a new key is refused: the caller counts it (`detect_thresholds`
/// limit, anomaly `detect.threshold_table_full`) and the match alerts as if over its
/// threshold: a full table must not silence a rule.
@usableFromInline
struct ThresholdTable: Sendable {
    struct Entry: Sendable {
        var rule: Int32 = -1
        var address: IPAddress = .zero
        var other: IPAddress = .zero
        var windowStart: Int64 = 0
        var count: UInt32 = 0
    }

    var entries: [Entry]
    let mask: Int
    var used = 0
    let limit: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        entries = [Entry](repeating: Entry(), count: 0)
        entries.reserveCapacity(size)
        mask = size - 1
        limit = max(1, capacity)
    }

    /// `silent`: a match that writes no alert but still acts (Suricata's "silent match":
    /// `limit` past its count, `both` past its count), so a drop or reject rule keeps
    /// blocking what it no longer logs. `belowCount`: not yet a match (`threshold` and
    /// `detection_filter` before their count), so the rule neither alerts nor acts.
    enum Outcome { case alert, silent, belowCount, tableFull }

    /// Counts one match of `rule` for the tracked addresses at `second` and says whether
    /// it alerts. `threshold` and `filter` come from the rule.
    mutating func count(rule: Int32, track: ThresholdTrack, source: IPAddress, destination: IPAddress,
                        second: Int64, threshold: Threshold?, filter: DetectionFilter?) -> Outcome {
        if entries.isEmpty { entries = [Entry](repeating: Entry(), count: mask + 1) }
        let (a, b): (IPAddress, IPAddress)
        switch track {
        case .bySource: (a, b) = (source, .zero)
        case .byDestination: (a, b) = (destination, .zero)
        case .byBoth: (a, b) = (source, destination)
        case .byRule: (a, b) = (.zero, .zero)
        }
        var h = UInt64(UInt32(bitPattern: rule)) &* 0x9E37_79B9_7F4A_7C15
        h ^= a.high &* 0xBF58_476D_1CE4_E5B9 ^ a.low
        h = (h ^ (h >> 31)) &* 0x94D0_49BB_1331_11EB ^ b.low ^ b.high
        var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
        var probes = 0
        while entries[i].rule >= 0 && !(entries[i].rule == rule && entries[i].address == a && entries[i].other == b) {
            // An entry older than its window is free again.
            if second - entries[i].windowStart > 86_400 { break }
            i = (i + 1) & mask
            probes += 1
            if probes > 64 { return .tableFull }
        }
        if entries[i].rule != rule || entries[i].address != a || entries[i].other != b {
            if entries[i].rule < 0 {
                guard used < limit else { return .tableFull }
                used += 1
            }
            entries[i] = Entry(rule: rule, address: a, other: b, windowStart: second, count: 0)
        }
        var e = entries[i]
        defer { entries[i] = e }
        let seconds = Int64(threshold?.seconds ?? filter?.seconds ?? 0)
        if second - e.windowStart >= seconds {
            e.windowStart = second
            e.count = 0
        }
        e.count &+= 1
        if let filter {
            // detection_filter: alert on every match after the first `count` in the window.
            return e.count > filter.count ? .alert : .belowCount
        }
        guard let threshold else { return .alert }
        switch threshold.kind {
        case .limit:
            return e.count <= threshold.count ? .alert : .silent
        case .threshold:
            if e.count >= threshold.count {
                e.count = 0
                return .alert
            }
            return .belowCount
        case .both:
            if e.count < threshold.count { return .belowCount }
            return e.count == threshold.count ? .alert : .silent
        }
    }
}
