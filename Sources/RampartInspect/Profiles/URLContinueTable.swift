import RampartWire

/// The clients that continued past a URL filtering `continue` page, by client address and
/// host, until their time runs out: a fixed open-addressing table allocated once, looked
/// up without allocation. When a probe window holds no free or expired slot the insertion
/// is refused (the caller counts the `url_continues` limit and logs it).
///
/// ```swift
/// var table = URLContinueTable(capacity: 1024)
/// let key = URLContinueTable.key(client: a, host: hostBytes)
/// table.insert(key, until: now + 900 * 1_000_000_000, now: now)   // true
/// table.allows(key, now: now)                                      // true
/// ```
public struct URLContinueTable: Sendable {
    @usableFromInline var keys: [UInt64]
    @usableFromInline var expiries: [Int64]
    @usableFromInline let mask: Int
    /// Slots examined from a key's home slot.
    static let probe = 16

    public init(capacity: Int) {
        var size = 16
        while size < max(16, min(capacity, 1 << 24)) { size <<= 1 }
        keys = [UInt64](repeating: 0, count: size)
        expiries = [Int64](repeating: 0, count: size)
        mask = size - 1
    }

    public var capacity: Int { keys.count }

    /// Entries whose time has not run out at `now`.
    public func count(now: Timestamp) -> Int {
        var n = 0
        for i in 0..<keys.count where keys[i] != 0 && expiries[i] > now.nanosecondsSinceEpoch { n += 1 }
        return n
    }

    /// The key of a (client, host) pair: the host's ASCII case, a port and a trailing dot
    /// are ignored. Never 0 (0 marks a free slot).
    public static func key(client: IPAddress, host: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        func mix(_ w: UInt64) {
            h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
        }
        mix(client.high)
        mix(client.low)
        var end = IndicatorStore.hostLength(host)
        if end > 0 && host[end - 1] == 0x2E { end -= 1 }
        for i in 0..<end {
            let b = host[i]
            mix(UInt64(b >= 0x41 && b <= 0x5A ? b | 0x20 : b))
        }
        return h == 0 ? 1 : h
    }

    /// Whether the pair continued and its time has not run out.
    public func allows(_ key: UInt64, now: Timestamp) -> Bool {
        var i = Int(truncatingIfNeeded: key) & mask
        for _ in 0..<Self.probe {
            if keys[i] == key { return expiries[i] > now.nanosecondsSinceEpoch }
            if keys[i] == 0 { return false }
            i = (i + 1) & mask
        }
        return false
    }

    /// Remembers the pair until `until` (nanoseconds since the epoch); false when the
    /// table has no room near its slot (nothing expired there either).
    public mutating func insert(_ key: UInt64, until: Int64, now: Timestamp) -> Bool {
        var i = Int(truncatingIfNeeded: key) & mask
        var reusable = -1
        for _ in 0..<Self.probe {
            if keys[i] == key || keys[i] == 0 {
                keys[i] = key
                expiries[i] = until
                return true
            }
            if reusable < 0 && expiries[i] <= now.nanosecondsSinceEpoch { reusable = i }
            i = (i + 1) & mask
        }
        guard reusable >= 0 else { return false }
        keys[reusable] = key
        expiries[reusable] = until
        return true
    }
}
