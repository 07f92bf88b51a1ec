import RampartWire

/// One listed address prefix: the masked 128-bit address (IPv4 held IPv4-mapped, as
/// `IPAddress` does), its length over 128 bits, and its attributes. 24 bytes.
@usableFromInline
struct AddressPrefixRecord {
    @usableFromInline var high: UInt64
    @usableFromInline var low: UInt64
    @usableFromInline var attributes: UInt32
    @usableFromInline var length: UInt8
    @usableFromInline var isIPv4: Bool
}

/// The listed IPv4 and IPv6 prefixes, looked up by longest prefix: one hash table keyed by
/// (masked address, length), probed once per prefix length the lists use — longest first,
/// so the first hit is the answer. Lists of single addresses and a few range sizes cost a
/// few probes; the worst case is one probe per length present (33 for IPv4, 129 for IPv6).
/// A family's prefixes match only that family's addresses (as `IPNetwork.contains`).
@usableFromInline
struct AddressPrefixTable: @unchecked Sendable {
    @usableFromInline let records: UnsafePointer<AddressPrefixRecord>
    /// Slot: 0 empty, else `fingerprint << 32 | (index + 1)`.
    @usableFromInline let slots: UnsafePointer<UInt64>
    @usableFromInline let mask: Int
    /// Prefix lengths present, over 128 bits, longest first: IPv4's then IPv6's.
    @usableFromInline let lengths: UnsafePointer<UInt8>
    @usableFromInline let ipv4LengthCount: Int
    @usableFromInline let ipv6LengthCount: Int
    @usableFromInline let seed: UInt64
    let count: Int

    init(
        records: UnsafePointer<AddressPrefixRecord>, slots: UnsafePointer<UInt64>, mask: Int,
        lengths: UnsafePointer<UInt8>, ipv4LengthCount: Int, ipv6LengthCount: Int, seed: UInt64, count: Int
    ) {
        self.records = records
        self.slots = slots
        self.mask = mask
        self.lengths = lengths
        self.ipv4LengthCount = ipv4LengthCount
        self.ipv6LengthCount = ipv6LengthCount
        self.seed = seed
        self.count = count
    }

    var memoryBytes: Int {
        count * MemoryLayout<AddressPrefixRecord>.stride + (mask + 1) * 8 + ipv4LengthCount + ipv6LengthCount
    }

    @inlinable @inline(__always)
    static func mask(length: Int) -> (high: UInt64, low: UInt64) {
        let high: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~0 << UInt64(64 - length))
        let low: UInt64 = length >= 128 ? ~0 : (length <= 64 ? 0 : ~0 << UInt64(128 - length))
        return (high, low)
    }

    /// The index of the longest listed prefix holding `address`, or nil.
    @inlinable
    func longestMatch(_ address: IPAddress) -> Int? {
        let isIPv4 = address.isIPv4
        let first = isIPv4 ? 0 : ipv4LengthCount
        let end = isIPv4 ? ipv4LengthCount : ipv4LengthCount + ipv6LengthCount
        var k = first
        while k < end {
            let length = Int(lengths[k])
            let m = Self.mask(length: length)
            let high = address.high & m.high
            let low = address.low & m.low
            let hash = IndicatorHash.prefix(high: high, low: low, length: length, seed: seed)
            let fingerprint = hash >> 32
            var i = Int(truncatingIfNeeded: hash) & mask
            while true {
                let slot = slots[i]
                if slot == 0 { break }
                if slot >> 32 == fingerprint {
                    let index = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                    let record = records[index]
                    if record.high == high && record.low == low && Int(record.length) == length
                        && record.isIPv4 == isIPv4
                    {
                        return index
                    }
                }
                i = (i &+ 1) & mask
            }
            k &+= 1
        }
        return nil
    }

    func deallocate() {
        UnsafeMutablePointer(mutating: records).deallocate()
        UnsafeMutablePointer(mutating: slots).deallocate()
        UnsafeMutablePointer(mutating: lengths).deallocate()
    }
}
