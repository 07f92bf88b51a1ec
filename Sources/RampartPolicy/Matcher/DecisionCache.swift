/// A fixed-size memo of decisions, one for each kind of key the matcher decides by: plain
/// (source class, destination class, service class, application) and zoned (the same plus
/// the zones a packet's tunnel gave). It is a cache: a full bucket forgets an entry picked
/// by hash.
///
/// Buckets are 64 bytes, so a lookup reads one cache line whether it hits or misses (the
/// table is larger than the caches closest to the core, so lines, not instructions, are
/// what a lookup costs). An entry is `Key.entryWords` words:
///
///     word 0: source class << 32 | destination class
///     word 1: 1 << 63 | service class << 40 | (application + 1, or 0 for none) << 23 | decision
///     words 2...: the key's own (zones), if any
///
/// where the decision is packed in 23 bits (`CompactDecision`). Decisions or keys that do
/// not fit (rule index ≥ 2^17, service class ≥ 2^20) are simply not cached.
///
/// ```swift
/// var cache = DecisionCache<ClassPairKey>(capacity: 1 << 16)
/// let key = ClassPairKey(classes: source << 32 | destination)
/// if let tag = CompactDecision.tag(serviceClass: svc, application: app), let hit = cache.lookup(key, tag) { ... }
/// ```
struct DecisionCache<Key: DecisionCacheKey> {
    private static var ways: Int { 8 / Key.entryWords }
    private let entries: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let owner: AddressClassMap.Storage
    /// Picks the way to evict (a 64-bit LCG; its top bits are well mixed).
    private var victim: UInt64 = 0x853C_49E6_748F_EA9B

    /// `capacity` entries (rounded up to a power of two, at least one bucket).
    init(capacity: Int) {
        var buckets = 1
        while buckets * Self.ways < capacity { buckets <<= 1 }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: buckets * 64, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: buckets * 64)   // bit 63 clear: empty
        entries = raw.bindMemory(to: UInt64.self, capacity: buckets * 8)
        mask = buckets - 1
        owner = AddressClassMap.Storage()
        owner.release = { raw.deallocate() }
    }

    @inline(__always)
    private func bucket(_ key: Key, _ tag: UInt64) -> UnsafeMutablePointer<UInt64> {
        var x = key.classes &* 0x9E37_79B9_7F4A_7C15 ^ tag &* 0xC2B2_AE3D_27D4_EB4F ^ key.hashMix
        x ^= x >> 29
        return entries + (Int(truncatingIfNeeded: x >> 20) & mask) &* 8
    }

    /// The cached compact decision for (key, tag), if any.
    @inline(__always)
    func lookup(_ key: Key, _ tag: UInt64) -> UInt64? {
        let b = bucket(key, tag)
        for j in 0..<Self.ways {
            let e = b + j &* Key.entryWords
            if e[0] == key.classes && e[1] & ~CompactDecision.bits == tag && key.matchesRest(e) { return e[1] & CompactDecision.bits }
        }
        return nil
    }

    /// Remembers a compact decision in a free way of its bucket, else in a pseudo-random
    /// way. Random replacement, not oldest-first: when more keys than ways keep
    /// coming back in turn (a scan over many sessions), oldest-first evicts each key just
    /// before it is asked again and never hits, while random replacement keeps some.
    @inline(__always)
    mutating func insert(_ key: Key, _ tag: UInt64, _ decision: UInt64) {
        let b = bucket(key, tag)
        victim = victim &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var j = Int(truncatingIfNeeded: victim >> 58) & (Self.ways - 1)
        for k in 0..<Self.ways where b[k &* Key.entryWords &+ 1] == 0 { j = k; break }
        let e = b + j &* Key.entryWords
        e[0] = key.classes
        e[1] = tag | decision
        key.storeRest(e)
    }

    var memoryEstimate: Int { (mask + 1) * 64 }
}

/// What a `DecisionCache` is keyed by beyond the classes and the tag word.
protocol DecisionCacheKey {
    /// Words per entry: 2, or 4 for a key with words of its own (a power of two, so
    /// entries never straddle a bucket).
    static var entryWords: Int { get }
    /// Source class << 32 | destination class.
    var classes: UInt64 { get }
    /// Mixed into the bucket hash (0 when the key has nothing more).
    var hashMix: UInt64 { get }
    /// Whether the entry's own words (from word 2) are this key's.
    func matchesRest(_ entry: UnsafeMutablePointer<UInt64>) -> Bool
    func storeRest(_ entry: UnsafeMutablePointer<UInt64>)
}

/// The plain key: 16-byte entries, four per bucket.
struct ClassPairKey: DecisionCacheKey {
    static var entryWords: Int { 2 }
    var classes: UInt64
    var hashMix: UInt64 { 0 }
    @inline(__always) func matchesRest(_ entry: UnsafeMutablePointer<UInt64>) -> Bool { true }
    @inline(__always) func storeRest(_ entry: UnsafeMutablePointer<UInt64>) {}
}

/// Decisions whose zones came from the packet's tunnel, not from the address classes:
/// the zones are part of the key. 32-byte entries, two per bucket.
struct ZonedClassPairKey: DecisionCacheKey {
    static var entryWords: Int { 4 }
    var classes: UInt64
    var zones: UInt64
    var hashMix: UInt64 { zones &* 0x1656_67B1_9E37_79F9 }
    @inline(__always) func matchesRest(_ entry: UnsafeMutablePointer<UInt64>) -> Bool { entry[2] == zones }
    @inline(__always) func storeRest(_ entry: UnsafeMutablePointer<UInt64>) { entry[2] = zones }
}

/// A decision in 23 bits, and the tag word's key half.
enum CompactDecision {
    static let bits: UInt64 = (1 << 23) - 1

    /// The key's second word without the decision, or nil when the key does not fit.
    @inline(__always)
    static func tag(serviceClass svc: UInt32, application: ApplicationID?) -> UInt64? {
        guard svc < 1 << 20 else { return nil }
        let app = application.map { UInt64($0.rawValue) &+ 1 } ?? 0
        return 1 << 63 | UInt64(svc) << 40 | app << 23
    }

    /// Rule index (17 bits), action (3), final, log at start, log at end.
    @inline(__always)
    static func compact(_ d: PolicyDecision) -> UInt64? {
        guard d.ruleIndex >= 0 && d.ruleIndex < 1 << 17 else { return nil }
        return UInt64(d.ruleIndex) | UInt64(d.action.rawValue & 7) << 17
            | (d.isFinal ? 1 << 20 : 0) | (d.logAtStart ? 1 << 21 : 0) | (d.logAtEnd ? 1 << 22 : 0)
    }

    @inline(__always)
    static func expand(_ c: UInt64) -> PolicyDecision {
        PolicyDecision(ruleIndex: Int32(truncatingIfNeeded: c & 0x1_FFFF),
                       action: RuleAction(rawValue: UInt8(truncatingIfNeeded: (c >> 17) & 7)) ?? .deny,
                       isFinal: c & (1 << 20) != 0, logAtStart: c & (1 << 21) != 0, logAtEnd: c & (1 << 22) != 0)
    }
}
