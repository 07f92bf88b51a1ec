/// A fixed-size memo of decisions keyed by (source class, destination class, service class,
/// application). It is a cache: a full neighbourhood overwrites its first slot.
struct DecisionCache {
    private let k1: UnsafeMutablePointer<UInt64>
    private let k2: UnsafeMutablePointer<UInt64>
    private let v: UnsafeMutablePointer<UInt64>
    private let mask: Int
    private let owner: AddressClassMap.Storage

    init(capacity: Int) {
        k1 = .allocate(capacity: capacity)
        k2 = .allocate(capacity: capacity)
        v = .allocate(capacity: capacity)
        k1.initialize(repeating: 0, count: capacity)
        k2.initialize(repeating: 0, count: capacity)   // bit 63 clear: empty
        v.initialize(repeating: 0, count: capacity)
        mask = capacity - 1
        owner = AddressClassMap.Storage()
        let a = k1, b = k2, c = v
        owner.release = { a.deallocate(); b.deallocate(); c.deallocate() }
    }

    @inline(__always)
    private func home(_ a: UInt64, _ b: UInt64) -> Int {
        var x = a &* 0x9E37_79B9_7F4A_7C15 ^ b &* 0xC2B2_AE3D_27D4_EB4F
        x ^= x >> 31
        return Int(truncatingIfNeeded: x) & mask
    }

    @inline(__always)
    func lookup(_ a: UInt64, _ b: UInt64) -> UInt64? {
        var i = home(a, b)
        for _ in 0..<4 {
            if k1[i] == a && k2[i] == b { return v[i] }
            if k2[i] == 0 { return nil }
            i = (i &+ 1) & mask
        }
        return nil
    }

    func insert(_ a: UInt64, _ b: UInt64, _ value: UInt64) {
        let start = home(a, b)
        var i = start
        for _ in 0..<4 {
            if k2[i] == 0 || (k1[i] == a && k2[i] == b) { break }
            i = (i &+ 1) & mask
        }
        if k2[i] != 0 && !(k1[i] == a && k2[i] == b) { i = start }
        k1[i] = a
        k2[i] = b
        v[i] = value
    }

    var memoryEstimate: Int { (mask + 1) * 24 }
}
