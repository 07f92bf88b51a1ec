/// A small memo of decisions whose zones came from the packet's tunnel (tunnel zones), not
/// from the address classes: keyed by (source class, destination class, source zone,
/// destination zone, service class, application). Same packing as `DecisionCache` plus a
/// word for the zones; 32-byte entries, two per cache line, two ways.
struct ZonedDecisionCache {
    private static let ways = 2
    private static let decisionBits: UInt64 = (1 << 23) - 1
    private let entries: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let owner: AddressClassMap.Storage
    private var victim: UInt64 = 0x2545_F491_4F6C_DD1D

    init(capacity: Int) {
        var buckets = 1
        while buckets * ZonedDecisionCache.ways < capacity { buckets <<= 1 }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: buckets * 64, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: buckets * 64)
        entries = raw.bindMemory(to: UInt64.self, capacity: buckets * 8)
        mask = buckets - 1
        owner = AddressClassMap.Storage()
        owner.release = { raw.deallocate() }
    }

    @inline(__always)
    private func bucket(_ key: UInt64, _ zones: UInt64, _ tag: UInt64) -> UnsafeMutablePointer<UInt64> {
        var x = key &* 0x9E37_79B9_7F4A_7C15 ^ tag &* 0xC2B2_AE3D_27D4_EB4F ^ zones &* 0x1656_67B1_9E37_79F9
        x ^= x >> 29
        return entries + (Int(truncatingIfNeeded: x >> 20) & mask) &* 8
    }

    @inline(__always)
    func lookup(_ key: UInt64, _ zones: UInt64, _ tag: UInt64) -> UInt64? {
        let b = bucket(key, zones, tag)
        for j in 0..<ZonedDecisionCache.ways {
            let e = b + 4 &* j
            if e[0] == key && e[1] == zones && e[2] & ~ZonedDecisionCache.decisionBits == tag {
                return e[2] & ZonedDecisionCache.decisionBits
            }
        }
        return nil
    }

    @inline(__always)
    mutating func insert(_ key: UInt64, _ zones: UInt64, _ tag: UInt64, _ decision: UInt64) {
        let b = bucket(key, zones, tag)
        victim = victim &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var j = Int(truncatingIfNeeded: victim >> 63)
        for k in 0..<ZonedDecisionCache.ways where b[4 &* k &+ 2] == 0 { j = k; break }
        let e = b + 4 &* j
        e[0] = key
        e[1] = zones
        e[2] = tag | decision
    }

    var memoryEstimate: Int { (mask + 1) * 64 }
}
