import RampartWire

/// Open-addressing map from a tagged address to its packed (source, destination) classes.
/// Linear probing with backward-shift deletion, so there are no tombstones to clean. Each
/// slot holds key and value together (one cache line per probe); bit 63 of the stored value
/// marks a used slot (class ids stay below 2^31).
struct AddressClassMap {
    struct Slot {
        var high: UInt64
        var low: UInt64
        var value: UInt64
    }
    private static let used: UInt64 = 1 << 63
    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    private(set) var count = 0
    private let owner: Storage

    /// Frees the buffer when the map goes away.
    final class Storage {
        var release: () -> Void = {}
        deinit { release() }
    }

    init(minimumCapacity: Int) {
        var cap = 16
        while cap < minimumCapacity * 2 { cap <<= 1 }
        mask = cap - 1
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: Slot(high: 0, low: 0, value: 0), count: cap)
        owner = Storage()
        bindRelease()
    }

    private mutating func bindRelease() {
        let p = slots
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
            if s.value & AddressClassMap.used == 0 { return nil }
            if s.high == a.high && s.low == a.low { return s.value & ~AddressClassMap.used }
            i = (i &+ 1) & mask
        }
    }

    mutating func insert(_ a: IPAddress, _ v: UInt64) {
        if (count + 1) * 2 > mask + 1 { grow() }
        var i = home(a.high, a.low)
        while slots[i].value & AddressClassMap.used != 0 {
            if slots[i].high == a.high && slots[i].low == a.low { slots[i].value = v | AddressClassMap.used; return }
            i = (i &+ 1) & mask
        }
        slots[i] = Slot(high: a.high, low: a.low, value: v | AddressClassMap.used)
        count += 1
    }

    mutating func remove(_ a: IPAddress) {
        guard count > 0 else { return }
        var i = home(a.high, a.low)
        while slots[i].value & AddressClassMap.used != 0 {
            if slots[i].high == a.high && slots[i].low == a.low { break }
            i = (i &+ 1) & mask
        }
        guard slots[i].value & AddressClassMap.used != 0 else { return }
        // Backward shift: pull later entries of the cluster into the hole when allowed.
        var hole = i
        var j = (i &+ 1) & mask
        while slots[j].value & AddressClassMap.used != 0 {
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
        let cap = oldCap * 2
        mask = cap - 1
        slots = .allocate(capacity: cap)
        slots.initialize(repeating: Slot(high: 0, low: 0, value: 0), count: cap)
        count = 0
        for k in 0..<oldCap where old[k].value & AddressClassMap.used != 0 {
            insert(IPAddress(high: old[k].high, low: old[k].low), old[k].value & ~AddressClassMap.used)
        }
        old.deallocate()
        bindRelease()
    }

    var memoryEstimate: Int { (mask + 1) * 24 }
}
