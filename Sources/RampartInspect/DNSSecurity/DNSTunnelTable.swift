import Glibc
import RampartPolicy

/// Per parent domain (registrable domain), what its queries looked like in the current
/// minute of packet time, to tell DNS tunnelling (iodine, dns2tcp, DNScat: data encoded in
/// long, high-entropy labels, many unique names, TXT/NULL records) from ordinary lookups.
///
/// One table per worker, preallocated, open addressing (8 probes). A parent idle for two
/// minutes is reused; when the probed slots all hold active parents the query is not
/// tracked (`insert` says `.full`: the engine counts `dns_tunnel_parents` and logs
/// `dns.tunnel_table_full`). Recording a query allocates nothing.
///
/// A parent is flagged, for the rest of the minute and the next one, when in one minute:
/// - its queries exceed `queriesPerMinute`, or
/// - its distinct names exceed `uniqueSubdomainsPerMinute` (counted in a 512-bit linear
///   counter: estimates to about 2,000), or
/// - at least `minimumEvidence` of its queries are suspicious and they are at least half of
///   them (suspicious: a subdomain part of 16 bytes or more whose longest label exceeds
///   `maxLabelLength` or whose entropy reaches `minEntropy`), or
/// - at least `minimumEvidence` queries, TXT/NULL at least `txtShare` of them, and one
///   suspicious.
///
/// ```swift
/// var table = DNSTunnelTable(capacity: 4096)
/// let outcome = table.record(parent: h, name: n, minute: t / 60, isTXTOrNULL: true,
///                            suspicious: true, setting: profile.tunnelling!)
/// if outcome == .tunnelling { ... }
/// ```
public struct DNSTunnelTable: Sendable {
    /// Queries (and suspicious queries) a share-based rule needs before it can flag.
    public static let minimumEvidence: UInt32 = 5
    static let probes = 8
    static let counterWords = 8

    struct Entry: Sendable {
        var parent: UInt64 = 0
        var minute: Int64 = 0
        var flaggedThrough: Int64 = -1
        var queries: UInt32 = 0
        var txtOrNull: UInt32 = 0
        var suspicious: UInt32 = 0
        var zeroBits: UInt32 = 512
    }

    var entries: [Entry]
    /// The distinct-name bitmaps, `counterWords` per entry.
    var bits: [UInt64]
    let mask: Int
    public private(set) var count = 0

    public enum Outcome: Equatable, Sendable {
        case ordinary
        case tunnelling
        /// Not tracked: the probed slots hold active parents.
        case full
    }

    /// - Parameter capacity: parents tracked at once (rounded up to a power of two, ≥ 16).
    public init(capacity: Int) {
        var size = 16
        while size < capacity && size < 1 << 22 { size <<= 1 }
        entries = [Entry](repeating: Entry(), count: size)
        bits = [UInt64](repeating: 0, count: size * DNSTunnelTable.counterWords)
        mask = size - 1
    }

    public var capacity: Int { entries.count }

    /// Records one query for `parent` (a hash of the registrable domain, nonzero), whose
    /// full name hashes to `name`, at `minute` of packet time, and says whether the parent
    /// now looks like a tunnel.
    public mutating func record(
        parent: UInt64, name: UInt64, minute: Int64, isTXTOrNULL: Bool, suspicious: Bool,
        setting: DNSTunnellingSetting
    ) -> Outcome {
        let key = parent == 0 ? 1 : parent
        guard let slot = find(key, minute: minute) else { return .full }
        if entries[slot].parent != key || entries[slot].minute != minute {
            let previous = entries[slot]
            var fresh = Entry()
            fresh.parent = key
            fresh.minute = minute
            // A flag survives into the next minute of the same parent.
            if previous.parent == key && previous.flaggedThrough >= minute { fresh.flaggedThrough = previous.flaggedThrough }
            if previous.parent != key { count += previous.parent == 0 ? 1 : 0 }
            entries[slot] = fresh
            for w in 0..<DNSTunnelTable.counterWords { bits[slot * DNSTunnelTable.counterWords + w] = 0 }
        }
        var e = entries[slot]
        e.queries &+= 1
        if isTXTOrNULL { e.txtOrNull &+= 1 }
        if suspicious { e.suspicious &+= 1 }
        let bit = Int(truncatingIfNeeded: (name ^ name >> 29) & 511)
        let word = slot * DNSTunnelTable.counterWords + bit >> 6
        let m: UInt64 = 1 << UInt64(bit & 63)
        if bits[word] & m == 0 {
            bits[word] |= m
            e.zeroBits -= 1
        }
        if DNSTunnelTable.crosses(e, setting) { e.flaggedThrough = minute + 1 }
        entries[slot] = e
        return e.flaggedThrough >= minute ? .tunnelling : .ordinary
    }

    /// Whether `parent` is flagged at `minute`, without recording anything (answers).
    public func isFlagged(parent: UInt64, minute: Int64) -> Bool {
        let key = parent == 0 ? 1 : parent
        var slot = Int(truncatingIfNeeded: key) & mask
        for _ in 0..<DNSTunnelTable.probes {
            if entries[slot].parent == key { return entries[slot].flaggedThrough >= minute }
            slot = (slot + 1) & mask
        }
        return false
    }

    /// The distinct names of a minute, by linear counting over its 512 bits.
    static func distinct(_ e: Entry) -> Double {
        if e.zeroBits == 0 { return 2048 }
        return -512 * log(Double(e.zeroBits) / 512)
    }

    static func crosses(_ e: Entry, _ s: DNSTunnellingSetting) -> Bool {
        if Int(e.queries) > s.queriesPerMinute { return true }
        if distinct(e) > Double(s.uniqueSubdomainsPerMinute) { return true }
        if e.suspicious >= minimumEvidence && e.suspicious * 2 >= e.queries { return true }
        if e.queries >= minimumEvidence && e.suspicious >= 1 && Double(e.txtOrNull) >= s.txtShare * Double(e.queries) {
            return true
        }
        return false
    }

    /// The slot of `key`, or an empty one, or one whose parent was idle two minutes.
    func find(_ key: UInt64, minute: Int64) -> Int? {
        var slot = Int(truncatingIfNeeded: key) & mask
        var reusable: Int?
        for _ in 0..<DNSTunnelTable.probes {
            let e = entries[slot]
            if e.parent == key { return slot }
            if e.parent == 0 { return reusable ?? slot }
            if reusable == nil && e.minute + 2 <= minute && e.flaggedThrough < minute { reusable = slot }
            slot = (slot + 1) & mask
        }
        return reusable
    }

    /// Whether a query's subdomain part (the name left of its registrable domain) looks
    /// like encoded data: 16 bytes or more, and a label longer than `maxLabelLength` or an
    /// entropy of at least `minEntropy` bits per byte.
    public static func isSuspicious(subdomain: UnsafeRawBufferPointer, longestLabel: Int, setting: DNSTunnellingSetting) -> Bool {
        guard subdomain.count >= 16 else { return false }
        if longestLabel > setting.maxLabelLength { return true }
        return ByteEntropy.of(subdomain, count: subdomain.count) >= setting.minEntropy
    }
}
