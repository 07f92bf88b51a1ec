import RampartWire

/// The growable form of `AddressPrefixTable`.
struct AddressPrefixTableBuilder {
    let seed: UInt64
    private(set) var records: [AddressPrefixRecord] = []
    private var slots = [UInt64](repeating: 0, count: 16)

    init(seed: UInt64) { self.seed = seed }

    var count: Int { records.count }
    var memoryBytes: Int { records.count * MemoryLayout<AddressPrefixRecord>.stride + slots.count * 8 }

    private func hash(_ r: AddressPrefixRecord) -> UInt64 {
        IndicatorHash.prefix(high: r.high, low: r.low, length: Int(r.length), seed: seed)
    }

    /// The index of this exact prefix, if listed.
    func find(_ network: IPNetwork) -> Int? {
        let r = Self.record(network, attributes: 0)
        let h = hash(r)
        var i = Int(truncatingIfNeeded: h) & (slots.count - 1)
        while slots[i] != 0 {
            if slots[i] >> 32 == h >> 32 {
                let index = Int(slots[i] & 0xFFFF_FFFF) - 1
                let other = records[index]
                if other.high == r.high && other.low == r.low && other.length == r.length && other.isIPv4 == r.isIPv4 {
                    return index
                }
            }
            i = (i + 1) & (slots.count - 1)
        }
        return nil
    }

    static func record(_ network: IPNetwork, attributes: UInt32) -> AddressPrefixRecord {
        AddressPrefixRecord(
            high: network.address.high, low: network.address.low, attributes: attributes,
            length: UInt8(network.prefixLength128), isIPv4: network.address.isIPv4)
    }

    func attributes(at index: Int) -> UInt32 { records[index].attributes }
    mutating func setAttributes(_ value: UInt32, at index: Int) { records[index].attributes = value }

    /// Adds a prefix the caller found absent.
    mutating func insert(_ network: IPNetwork, attributes: UInt32) {
        records.append(Self.record(network, attributes: attributes))
        place(records.count - 1)
        if records.count * 4 > slots.count * 3 {
            slots = [UInt64](repeating: 0, count: slots.count * 2)
            for index in records.indices { place(index) }
        }
    }

    private mutating func place(_ index: Int) {
        let h = hash(records[index])
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = (h >> 32) << 32 | UInt64(index + 1)
    }

    func freeze() -> AddressPrefixTable {
        let recordMemory = UnsafeMutablePointer<AddressPrefixRecord>.allocate(capacity: max(1, records.count))
        records.withUnsafeBufferPointer { if let b = $0.baseAddress { recordMemory.initialize(from: b, count: $0.count) } }
        let slotMemory = UnsafeMutablePointer<UInt64>.allocate(capacity: slots.count)
        slots.withUnsafeBufferPointer { slotMemory.initialize(from: $0.baseAddress!, count: $0.count) }
        let v4 = Set(records.lazy.filter(\.isIPv4).map(\.length)).sorted(by: >)
        let v6 = Set(records.lazy.filter { !$0.isIPv4 }.map(\.length)).sorted(by: >)
        let lengthMemory = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, v4.count + v6.count))
        (v4 + v6).withUnsafeBufferPointer { if let b = $0.baseAddress { lengthMemory.initialize(from: b, count: $0.count) } }
        let filterCount = v4.isEmpty ? 1 : 65_536
        let filter = UnsafeMutablePointer<UInt64>.allocate(capacity: filterCount)
        filter.initialize(repeating: 0, count: filterCount)
        for record in records where record.isIPv4 {
            let length = Int(record.length) - 96
            let top = Int(truncatingIfNeeded: record.low >> 16) & 0xFFFF
            // A prefix of length L < 16 covers 2^(16 - L) of the /16s.
            let covered = length >= 16 ? 1 : 1 << (16 - length)
            for k in 0..<covered { filter[top + k] |= 1 << UInt64(length) }
        }
        return AddressPrefixTable(
            records: recordMemory, slots: slotMemory, mask: slots.count - 1, lengths: lengthMemory,
            ipv4LengthCount: v4.count, ipv6LengthCount: v6.count, seed: seed, ipv4Filter: filter, count: records.count)
    }
}
