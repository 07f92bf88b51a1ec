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
/// so the first hit is the answer. For IPv4 a filter of 65,536 words (one per /16, 512 KiB)
/// says which lengths have a prefix covering that /16, so an address in an unlisted /16
/// costs no probe at all and one in a listed /16 only the lengths listed there; IPv6 probes
/// every length its prefixes use (129 at most). A family's prefixes match only that
/// family's addresses (as `IPNetwork.contains`).
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
    /// Per IPv4 /16 (the address's top 16 bits): bit L set when a listed IPv4 prefix of
    /// length L (0...32) covers it. Empty (`ipv4LengthCount == 0`): not allocated.
    @usableFromInline let ipv4Filter: UnsafePointer<UInt64>
    let count: Int

    init(
        records: UnsafePointer<AddressPrefixRecord>, slots: UnsafePointer<UInt64>, mask: Int,
        lengths: UnsafePointer<UInt8>, ipv4LengthCount: Int, ipv6LengthCount: Int, seed: UInt64,
        ipv4Filter: UnsafePointer<UInt64>, count: Int
    ) {
        self.ipv4Filter = ipv4Filter
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
            + (ipv4LengthCount > 0 ? 65_536 * 8 : 0)
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
        if address.isIPv4 {
            guard ipv4LengthCount > 0 else { return nil }
            var lengths = ipv4Filter[Int(truncatingIfNeeded: address.low >> 16) & 0xFFFF]
            while lengths != 0 {
                let length = 63 &- lengths.leadingZeroBitCount
                lengths &= ~(1 &<< UInt64(length))
                if let index = probe(address, length: 96 &+ length, isIPv4: true) { return index }
            }
            return nil
        }
        var k = ipv4LengthCount
        let end = ipv4LengthCount &+ ipv6LengthCount
        while k < end {
            if let index = probe(address, length: Int(lengths[k]), isIPv4: false) { return index }
            k &+= 1
        }
        return nil
    }

    /// The index of the prefix of `address` of `length` bits (over 128), if listed.
    @inlinable @inline(__always)
    func probe(_ address: IPAddress, length: Int, isIPv4: Bool) -> Int? {
        let m = Self.mask(length: length)
        let high = address.high & m.high
        let low = address.low & m.low
        let hash = IndicatorHash.prefix(high: high, low: low, length: length, seed: seed)
        let fingerprint = hash >> 32
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { return nil }
            if slot >> 32 == fingerprint {
                let index = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                let record = records[index]
                if record.high == high && record.low == low && Int(record.length) == length && record.isIPv4 == isIPv4 {
                    return index
                }
            }
            i = (i &+ 1) & mask
        }
    }

    func deallocate() {
        UnsafeMutablePointer(mutating: records).deallocate()
        UnsafeMutablePointer(mutating: slots).deallocate()
        UnsafeMutablePointer(mutating: lengths).deallocate()
        UnsafeMutablePointer(mutating: ipv4Filter).deallocate()
    }
}
