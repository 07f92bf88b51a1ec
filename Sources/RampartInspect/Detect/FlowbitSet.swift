/// A session's flowbits: a small fixed set of interned names (`DetectionRuleSet.flowbitNames`),
/// held inline in the session's detection state. Bounded: setting one more than it holds is
/// refused and reported to the caller, who counts it.
@usableFromInline
struct FlowbitSet: Sendable {
    @usableFromInline var bits = SIMD16<UInt16>(repeating: .max)
    @usableFromInline var count: UInt8 = 0

    static let capacity = 16

    @inline(__always)
    func contains(_ id: UInt16) -> Bool {
        for i in 0..<Int(count) where bits[i] == id { return true }
        return false
    }

    /// Sets `id`; false when the set is full (`limit` bits) and `id` was not in it.
    @inline(__always)
    mutating func insert(_ id: UInt16, limit: Int) -> Bool {
        if contains(id) { return true }
        guard Int(count) < min(limit, FlowbitSet.capacity) else { return false }
        bits[Int(count)] = id
        count += 1
        return true
    }

    @inline(__always)
    mutating func remove(_ id: UInt16) {
        for i in 0..<Int(count) where bits[i] == id {
            bits[i] = bits[Int(count) - 1]
            bits[Int(count) - 1] = .max
            count -= 1
            return
        }
    }
}

/// A session's `flowint` counters: a few named integers held inline. Bounded like the
/// flowbits: a ninth name is refused and reported to the caller.
@usableFromInline
struct FlowintSet: Sendable {
    var ids = SIMD8<UInt16>(repeating: .max)
    var values = SIMD8<UInt32>(repeating: 0)
    var count: UInt8 = 0

    func value(_ id: UInt16) -> UInt32? {
        for i in 0..<Int(count) where ids[i] == id { return values[i] }
        return nil
    }

    /// Sets `id` to `value`; false when the set is full and `id` was not in it.
    mutating func set(_ id: UInt16, _ value: UInt32) -> Bool {
        for i in 0..<Int(count) where ids[i] == id {
            values[i] = value
            return true
        }
        guard count < 8 else { return false }
        ids[Int(count)] = id
        values[Int(count)] = value
        count += 1
        return true
    }
}
