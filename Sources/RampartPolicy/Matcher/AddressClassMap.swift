import RampartWire

/// Map from a tagged address to its packed (source class << 32 | destination class).
///
/// Pods are IPv4 in most clusters, and the lookup is the first memory access of every cold
/// decision, so IPv4 keys get a compact table ([`IPv4ClassTable`]: 4-byte keys, five
/// entries per 64-byte line, one line per lookup in the common case): 100,000 addresses
/// take 2 MiB instead of 6, which keeps the table in the last-level cache next to the rest
/// of the policy. Other addresses use [`WideClassTable`] (16-byte keys, linear probing).
///
/// ```swift
/// var map = AddressClassMap(minimumCapacity: 1024)
/// map.insert(IPAddress(ipv4: 0x0A00_0001), 7 << 32 | 9)
/// map.lookup(IPAddress(ipv4: 0x0A00_0001))   // 7 << 32 | 9
/// ```
struct AddressClassMap {
    private var v4: IPv4ClassTable
    private var wide: WideClassTable

    init(minimumCapacity: Int) {
        v4 = IPv4ClassTable(minimumCapacity: minimumCapacity)
        wide = WideClassTable(minimumCapacity: 16)
    }

    var count: Int { v4.count + wide.count }

    @inline(__always)
    func lookup(_ a: IPAddress) -> UInt64? {
        a.isIPv4 ? v4.lookup(a.ipv4Value) : wide.lookup(a)
    }

    /// Both addresses' values, with both table lines requested before either is searched:
    /// the two lookups are independent, so their cache misses overlap instead of queueing.
    @inline(__always)
    func lookup(_ a: IPAddress, _ b: IPAddress) -> (UInt64?, UInt64?) {
        guard a.isIPv4 && b.isIPv4 else { return (lookup(a), lookup(b)) }
        let pa = v4.bucket(a.ipv4Value), pb = v4.bucket(b.ipv4Value)
        let ua = pa[0], ub = pb[0]
        return (v4.find(a.ipv4Value, from: pa, used: ua), v4.find(b.ipv4Value, from: pb, used: ub))
    }

    mutating func insert(_ a: IPAddress, _ v: UInt64) {
        if a.isIPv4 { v4.insert(a.ipv4Value, v) } else { wide.insert(a, v) }
    }

    mutating func remove(_ a: IPAddress) {
        if a.isIPv4 { v4.remove(a.ipv4Value) } else { wide.remove(a) }
    }

    var memoryEstimate: Int { v4.memoryEstimate + wide.memoryEstimate }

    /// Frees a buffer when its owner goes away (lets the tables be structs over raw memory).
    final class Storage {
        var release: () -> Void = {}
        deinit { release() }
    }
}

/// IPv4 address → packed classes, in 64-byte buckets of five entries.
///
/// A bucket is sixteen `UInt32`s: `[0]` how many entries are used, `[1...5]` the keys,
/// `[6 + 2j]`, `[7 + 2j]` entry j's value (high, low half). An entry lives in its home
/// bucket or, when that is full, in the next bucket with room (linear probing by bucket).
/// Invariant: every bucket from an entry's home up to (excluding) the bucket holding it is
/// full, so a lookup stops at the first bucket with a free entry. Deletion restores the
/// invariant by pulling displaced entries back (backward shift), so there are no tombstones.
struct IPv4ClassTable {
    static let ways = 5
    private var buckets: UnsafeMutablePointer<UInt32>
    private var mask: Int
    private var shift: UInt64
    private(set) var count = 0
    private var owner: AddressClassMap.Storage

    init(minimumCapacity: Int) {
        var n = 4
        while n * IPv4ClassTable.ways * 65 < minimumCapacity * 100 { n <<= 1 }   // load ≤ 0.65
        (buckets, mask, shift, owner) = IPv4ClassTable.allocate(n)
    }

    private static func allocate(_ n: Int) -> (UnsafeMutablePointer<UInt32>, Int, UInt64, AddressClassMap.Storage) {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: n * 64, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: n * 64)
        let p = raw.bindMemory(to: UInt32.self, capacity: n * 16)
        let owner = AddressClassMap.Storage()
        owner.release = { raw.deallocate() }
        return (p, n - 1, UInt64(64 - (n - 1).nonzeroBitCount), owner)
    }

    /// Fibonacci hashing: pod addresses are dense and sequential, so take the product's high bits.
    @inline(__always)
    private func home(_ key: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(key) &* 0x9E37_79B9_7F4A_7C15) >> shift) & mask
    }

    @inline(__always)
    func lookup(_ key: UInt32) -> UInt64? {
        let p = bucket(key)
        return find(key, from: p, used: p[0])
    }

    /// The key's home bucket.
    @inline(__always)
    func bucket(_ key: UInt32) -> UnsafeMutablePointer<UInt32> { buckets + home(key) &* 16 }

    /// Searches from the home bucket `p`, whose used count `used` the caller already read.
    /// All five keys are compared every time (a fixed, unrolled loop the compiler turns
    /// into conditional moves), so a lookup has no branch per key to mispredict, only
    /// "found" and "bucket full".
    @inline(__always)
    func find(_ key: UInt32, from p: UnsafeMutablePointer<UInt32>, used: UInt32) -> UInt64? {
        var p = p, used = Int(used)
        while true {
            var j = 0
            for k in 0..<IPv4ClassTable.ways {
                j = p[1 &+ k] == key && k < used ? k &+ 1 : j
            }
            if j != 0 { return UInt64(p[4 &+ 2 &* j]) << 32 | UInt64(p[5 &+ 2 &* j]) }
            if used < IPv4ClassTable.ways { return nil }
            let b = ((p - buckets) / 16 &+ 1) & mask
            p = buckets + b &* 16
            used = Int(p[0])
        }
    }

    mutating func insert(_ key: UInt32, _ v: UInt64) {
        var b = home(key)
        while true {
            let p = buckets + b * 16
            let used = Int(p[0])
            for j in 0..<used where p[1 + j] == key {
                set(p, j, key, v)
                return
            }
            if used < IPv4ClassTable.ways { break }
            b = (b + 1) & mask
        }
        if (count + 1) * 10 > (mask + 1) * IPv4ClassTable.ways * 8 {   // keep load ≤ 0.8
            grow()
            insert(key, v)
            return
        }
        let p = buckets + b * 16
        set(p, Int(p[0]), key, v)
        p[0] += 1
        count += 1
    }

    private func set(_ p: UnsafeMutablePointer<UInt32>, _ j: Int, _ key: UInt32, _ v: UInt64) {
        p[1 + j] = key
        p[6 + 2 * j] = UInt32(truncatingIfNeeded: v >> 32)
        p[7 + 2 * j] = UInt32(truncatingIfNeeded: v)
    }

    /// Moves entry `j` of bucket `from` to the end of bucket `to`, closing the gap in `from`.
    private func move(_ from: UnsafeMutablePointer<UInt32>, _ j: Int, to: UnsafeMutablePointer<UInt32>) {
        let v = UInt64(from[6 + 2 * j]) << 32 | UInt64(from[7 + 2 * j])
        set(to, Int(to[0]), from[1 + j], v)
        to[0] += 1
        let last = Int(from[0]) - 1
        if j != last { set(from, j, from[1 + last], UInt64(from[6 + 2 * last]) << 32 | UInt64(from[7 + 2 * last])) }
        from[0] = UInt32(last)
    }

    mutating func remove(_ key: UInt32) {
        var b = home(key)
        var found = -1
        while true {
            let p = buckets + b * 16
            let used = Int(p[0])
            for j in 0..<used where p[1 + j] == key { found = j }
            if found >= 0 || used < IPv4ClassTable.ways { break }
            b = (b + 1) & mask
        }
        guard found >= 0 else { return }
        let scratch = buckets + b * 16
        let wasFull = Int(scratch[0]) == IPv4ClassTable.ways
        // Drop the entry: move the bucket's last entry into its place.
        let last = Int(scratch[0]) - 1
        if found != last { set(scratch, found, scratch[1 + last], UInt64(scratch[6 + 2 * last]) << 32 | UInt64(scratch[7 + 2 * last])) }
        scratch[0] = UInt32(last)
        count -= 1
        guard wasFull else { return }   // nothing beyond a bucket with room was displaced past it
        // Backward shift: the hole at bucket `hole` may strand entries displaced beyond it.
        var hole = b
        var j = (b + 1) & mask
        while true {
            let p = buckets + j * 16
            let used = Int(p[0])
            var moved = false
            for k in 0..<used {
                let h = home(p[1 + k])
                // The entry may move to `hole` when its home is not in (hole, j].
                if (j - h) & mask >= (j - hole) & mask {
                    move(p, k, to: buckets + hole * 16)
                    moved = true
                    break
                }
            }
            if used < IPv4ClassTable.ways { return }   // nothing displaced beyond j
            if moved { hole = j }
            j = (j + 1) & mask
            if j == b { return }
        }
    }

    private mutating func grow() {
        let oldBuckets = buckets, oldCount = mask + 1
        let keepAlive = owner
        (buckets, mask, shift, owner) = IPv4ClassTable.allocate(oldCount * 2)
        count = 0
        for b in 0..<oldCount {
            let p = oldBuckets + b * 16
            for j in 0..<Int(p[0]) { insert(p[1 + j], UInt64(p[6 + 2 * j]) << 32 | UInt64(p[7 + 2 * j])) }
        }
        withExtendedLifetime(keepAlive) {}
    }

    var memoryEstimate: Int { (mask + 1) * 64 }
}

/// Any address → packed classes: open addressing with linear probing and backward-shift
/// deletion, so there are no tombstones to clean. Bit 63 of the stored value marks a used
/// slot (class ids stay below 2^31).
struct WideClassTable {
    struct Slot {
        var high: UInt64
        var low: UInt64
        var value: UInt64
    }
    private static let used: UInt64 = 1 << 63
    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private(set) var count = 0
    private var owner: AddressClassMap.Storage

    init(minimumCapacity: Int) {
        var cap = 16
        while cap < minimumCapacity * 2 { cap <<= 1 }
        mask = cap - 1
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: Slot(high: 0, low: 0, value: 0), count: cap)
        owner = AddressClassMap.Storage()
        bindRelease()
    }

    private mutating func bindRelease() {
        let p = slots
        owner = AddressClassMap.Storage()
        owner.release = { p.deallocate() }
    }

    @inline(__always)
    private func home(_ high: UInt64, _ low: UInt64) -> Int {
        var x = high &* 0x9E37_79B9_7F4A_7C15 ^ low &* 0xC2B2_AE3D_27D4_EB4F
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 32
        return Int(truncatingIfNeeded: x) & mask
    }

    @inline(__always)
    func lookup(_ a: IPAddress) -> UInt64? {
        if count == 0 { return nil }
        var i = home(a.high, a.low)
        while true {
            let s = slots[i]
            if s.value & WideClassTable.used == 0 { return nil }
            if s.high == a.high && s.low == a.low { return s.value & ~WideClassTable.used }
            i = (i &+ 1) & mask
        }
    }

    mutating func insert(_ a: IPAddress, _ v: UInt64) {
        if (count + 1) * 2 > mask + 1 { grow() }
        var i = home(a.high, a.low)
        while slots[i].value & WideClassTable.used != 0 {
            if slots[i].high == a.high && slots[i].low == a.low { slots[i].value = v | WideClassTable.used; return }
            i = (i &+ 1) & mask
        }
        slots[i] = Slot(high: a.high, low: a.low, value: v | WideClassTable.used)
        count += 1
    }

    mutating func remove(_ a: IPAddress) {
        guard count > 0 else { return }
        var i = home(a.high, a.low)
        while slots[i].value & WideClassTable.used != 0 {
            if slots[i].high == a.high && slots[i].low == a.low { break }
            i = (i &+ 1) & mask
        }
        guard slots[i].value & WideClassTable.used != 0 else { return }
        // Backward shift: pull later entries of the cluster into the hole when allowed.
        var hole = i
        var j = (i &+ 1) & mask
        while slots[j].value & WideClassTable.used != 0 {
            let h = home(slots[j].high, slots[j].low)
            if (j &- h) & mask >= (j &- hole) & mask {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j &+ 1) & mask
        }
        slots[hole].value = 0
        count -= 1
    }

    private mutating func grow() {
        let oldCap = mask + 1
        let old = slots
        let keepAlive = owner
        let cap = oldCap * 2
        mask = cap - 1
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: Slot(high: 0, low: 0, value: 0), count: cap)
        count = 0
        bindRelease()
        for k in 0..<oldCap where old[k].value & WideClassTable.used != 0 {
            insert(IPAddress(high: old[k].high, low: old[k].low), old[k].value & ~WideClassTable.used)
        }
        withExtendedLifetime(keepAlive) {}
    }

    var memoryEstimate: Int { (mask + 1) * 24 }
}
