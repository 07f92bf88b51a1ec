/// Interns dense rule bitsets (service classes): equal (bits, tag, extra) get one class id, so the decision cache
/// can key on small integers. Class ids are never reused, so a cached decision stays right
/// for as long as its classes exist.
struct ClassStore: Sendable {
    let words: Int
    /// Class `c`'s bits are `bits[c * words ..< (c + 1) * words]`.
    private(set) var bits: [UInt64] = []
    private(set) var zones: [UInt16] = []
    private(set) var extras: [UInt64] = []
    private var index: [[UInt64]: UInt32] = [:]

    init(words: Int) { self.words = words }

    var count: Int { zones.count }

    mutating func intern(_ b: [UInt64], zone: UInt16 = 0, extra: UInt64 = 0) -> UInt32 {
        var key = b
        key.append(UInt64(zone))
        key.append(extra)
        if let id = index[key] { return id }
        let id = UInt32(zones.count)
        bits += b
        zones.append(zone)
        extras.append(extra)
        index[key] = id
        return id
    }

    /// Bytes held, roughly (bits, keys and dictionary slots).
    var memoryEstimate: Int { (bits.count * 8) * 2 + zones.count * (2 + 8 + 48) }
}

extension Array where Element == UInt64 {
    @inline(__always)
    mutating func setBit(_ i: Int) { self[i >> 6] |= 1 << UInt64(i & 63) }
    @inline(__always)
    func hasBit(_ i: Int) -> Bool { self[i >> 6] & (1 << UInt64(i & 63)) != 0 }
}
