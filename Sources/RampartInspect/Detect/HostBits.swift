import RampartRules
import RampartWire

/// The `xbits` a worker keeps: bits on a host (`track ip_src` / `ip_dst`) or a pair of hosts
/// (`ip_pair`), each until its expiry in packet time, in a fixed open-addressing table so
/// memory does not grow with the hosts seen. A worker's own: with several workers, a host's
/// sessions on another worker do not see its bits.
///
/// When the table is full a new bit is refused: the caller counts it (`detect_xbits` limit,
/// anomaly `detect.xbits_full`), and a later `isset` of it is false.
struct HostBits: Sendable {
    struct Entry: Sendable {
        var id: UInt16 = .max
        var a: IPAddress = .zero
        var b: IPAddress = .zero
        var expires: Int64 = 0
    }

    var entries: [Entry] = []
    let mask: Int
    let limit: Int
    var used = 0

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        mask = size - 1
        limit = max(1, capacity)
    }

    static func key(_ track: XbitOperation.Track, source: IPAddress, destination: IPAddress) -> (IPAddress, IPAddress) {
        switch track {
        case .source: (source, .zero)
        case .destination: (destination, .zero)
        // A pair is the same both ways.
        case .pair: source < destination ? (source, destination) : (destination, source)
        }
    }

    @inline(__always)
    func slot(_ id: UInt16, _ a: IPAddress, _ b: IPAddress) -> Int {
        var h = UInt64(id) &* 0x9E37_79B9_7F4A_7C15 ^ a.high ^ a.low &* 0xBF58_476D_1CE4_E5B9
        h = (h ^ (h >> 31)) &* 0x94D0_49BB_1331_11EB ^ b.high ^ b.low
        return Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
    }

    /// Whether the bit is set (and not expired) at `now`.
    func isSet(_ id: UInt16, _ a: IPAddress, _ b: IPAddress, now: Int64) -> Bool {
        guard !entries.isEmpty else { return false }
        var i = slot(id, a, b)
        for _ in 0..<64 {
            let e = entries[i]
            if e.id == .max { return false }
            if e.id == id && e.a == a && e.b == b { return e.expires > now }
            i = (i + 1) & mask
        }
        return false
    }

    /// Sets the bit until `now + expire`; false when the table has no room.
    mutating func set(_ id: UInt16, _ a: IPAddress, _ b: IPAddress, now: Int64, expire: Int64) -> Bool {
        if entries.isEmpty { entries = [Entry](repeating: Entry(), count: mask + 1) }
        var i = slot(id, a, b)
        var reusable: Int?
        for _ in 0..<64 {
            let e = entries[i]
            if e.id == id && e.a == a && e.b == b {
                entries[i].expires = now + expire
                return true
            }
            if e.id != .max && e.expires <= now && reusable == nil { reusable = i }
            if e.id == .max {
                let target = reusable ?? i
                if reusable == nil {
                    guard used < limit else { return false }
                    used += 1
                }
                entries[target] = Entry(id: id, a: a, b: b, expires: now + expire)
                return true
            }
            i = (i + 1) & mask
        }
        if let reusable {
            entries[reusable] = Entry(id: id, a: a, b: b, expires: now + expire)
            return true
        }
        return false
    }

    /// Clears the bit (it expires now).
    mutating func unset(_ id: UInt16, _ a: IPAddress, _ b: IPAddress) {
        guard !entries.isEmpty else { return }
        var i = slot(id, a, b)
        for _ in 0..<64 {
            let e = entries[i]
            if e.id == .max { return }
            if e.id == id && e.a == a && e.b == b {
                entries[i].expires = 0
                return
            }
            i = (i + 1) & mask
        }
    }
}
