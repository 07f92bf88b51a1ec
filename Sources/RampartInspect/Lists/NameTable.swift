#if canImport(Glibc)
import Glibc
#endif

/// The listed domain names, frozen for lookup: one array of 32-byte slots holding the
/// names themselves, so a probe is one cache line — a hit costs one memory access, not a
/// slot and then a record elsewhere. Open addressing with linear probing in Robin Hood
/// order (a slot records how far it sits from its home), so a search for an absent name
/// stops as soon as it meets a slot closer to home than it has come: misses, the common
/// case of traffic, read one or two slots.
///
/// Slot (32 bytes, two per cache line):
/// - byte 0: the name's length (0: empty slot);
/// - byte 1: distance from the home slot;
/// - bytes 2..<5: the attribute id (24 bits, little endian);
/// - bytes 5..<32: the name (lower case), when it has at most 27 bytes (97 % of the UT1
///   names); a longer name keeps its first 23 bytes at 9..<32 and the rest in a side arena
///   at the 32-bit offset in bytes 5..<9.
///
/// The slot count is the name count / 0.75, not a power of two (the home slot is the hash's
/// top 32 bits scaled to the count), so memory is about 43 bytes per name at any size.
/// Large arrays are 2 MiB aligned and offered to the kernel for huge pages (one TLB entry
/// per 2 MiB instead of per 4 KiB, which at 10 M names is most of a miss's cost).
@usableFromInline
struct NameTable: @unchecked Sendable {
    @usableFromInline let slots: UnsafeRawPointer
    @usableFromInline let slotCount: Int
    /// The bytes of long names past their first 23.
    @usableFromInline let arena: UnsafeRawPointer
    let arenaBytes: Int
    let count: Int

    @usableFromInline static let slotSize = 32
    @usableFromInline static let inlineLength = 27
    @usableFromInline static let prefixLength = 23
    static let loadFactor = 0.75

    var memoryBytes: Int { slotCount * Self.slotSize + arenaBytes }

    @inlinable @inline(__always)
    func home(_ hash: UInt64) -> Int {
        Int(truncatingIfNeeded: ((hash >> 32) &* UInt64(truncatingIfNeeded: slotCount)) >> 32)
    }

    /// Where a name with this hash starts its probe: the line a lookup reads first.
    @inlinable @inline(__always)
    func homeAddress(_ hash: UInt64) -> UnsafeRawPointer {
        slots + home(hash) &* Self.slotSize
    }

    /// The slot holding `query[0..<count]` (ASCII case folded in the query), or nil.
    @inlinable @inline(__always)
    func find(hash: UInt64, _ query: UnsafeRawPointer, count: Int) -> Int? {
        var i = home(hash)
        var distance = 0
        while true {
            let slot = slots + i &* Self.slotSize
            let head = slot.load(as: UInt16.self)
            let length = Int(head & 0xFF)
            if length == 0 || Int(head >> 8) < distance { return nil }
            if length == count {
                if count <= Self.inlineLength {
                    if PackedKeyTable.foldedEqual(slot + 5, query, count) { return i }
                } else if PackedKeyTable.foldedEqual(slot + 9, query, Self.prefixLength) {
                    let offset = Int(slot.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
                    if PackedKeyTable.foldedEqual(
                        arena + offset, query + Self.prefixLength, count &- Self.prefixLength)
                    {
                        return i
                    }
                }
            }
            i &+= 1
            if i == slotCount { i = 0 }
            distance &+= 1
        }
    }

    @inlinable @inline(__always)
    func attributes(at slot: Int) -> UInt32 {
        let base = slots + slot &* Self.slotSize
        return UInt32(base.load(fromByteOffset: 2, as: UInt8.self))
            | UInt32(base.load(fromByteOffset: 3, as: UInt8.self)) << 8
            | UInt32(base.load(fromByteOffset: 4, as: UInt8.self)) << 16
    }

    /// The name in a slot, as bytes (allocates; for reports).
    func name(at slot: Int) -> [UInt8] {
        let base = slots + slot * Self.slotSize
        let length = Int(base.load(as: UInt8.self))
        if length <= Self.inlineLength { return Array(UnsafeRawBufferPointer(start: base + 5, count: length)) }
        let offset = Int(base.loadUnaligned(fromByteOffset: 5, as: UInt32.self))
        return Array(UnsafeRawBufferPointer(start: base + 9, count: Self.prefixLength))
            + Array(UnsafeRawBufferPointer(start: arena + offset, count: length - Self.prefixLength))
    }

    /// Calls `body` with the attribute id of every name.
    func forEachAttributes(_ body: (Int) -> Void) {
        for i in 0..<slotCount where slots.load(fromByteOffset: i * Self.slotSize, as: UInt8.self) != 0 {
            body(Int(attributes(at: i)))
        }
    }

    /// The longest distance of a name from its home slot.
    func longestProbe() -> Int {
        var longest = 0
        for i in 0..<slotCount where slots.load(fromByteOffset: i * Self.slotSize, as: UInt8.self) != 0 {
            longest = max(longest, Int(slots.load(fromByteOffset: i * Self.slotSize + 1, as: UInt8.self)))
        }
        return longest + 1
    }

    func deallocate() {
        UnsafeMutableRawPointer(mutating: slots).deallocate()
        UnsafeMutableRawPointer(mutating: arena).deallocate()
    }

    /// Freezes the names of a builder's table (keys lower case, values attribute ids).
    static func freeze(_ builder: PackedKeyTableBuilder) -> NameTable {
        var records: [(offset: Int, length: Int, value: UInt32)] = []
        records.reserveCapacity(builder.count)
        var arenaBytes = 0
        builder.arena.withUnsafeBytes { a in
            var offset = 0
            while offset < a.count {
                let header = PackedKeyTable.header(a.baseAddress!, offset)
                let length = Int(header & 0xFFF)
                records.append((offset + 4, length, header >> 12))
                if length > inlineLength { arenaBytes += length - prefixLength }
                offset += 4 + length
            }
        }
        var slotCount = max(8, Int((Double(records.count) / loadFactor).rounded(.up)))
        while true {
            if let table = build(records, arena: builder.arena, arenaBytes: arenaBytes, slotCount: slotCount, seed: builder.seed) {
                return table
            }
            // A probe longer than 255 slots (a pathological clustering): more room.
            slotCount += slotCount / 8 + 8
        }
    }

    private static func build(
        _ records: [(offset: Int, length: Int, value: UInt32)], arena source: [UInt8], arenaBytes: Int, slotCount: Int,
        seed: UInt64
    ) -> NameTable? {
        let slotMemory = LargeMemory.allocate(byteCount: slotCount * slotSize)
        slotMemory.initializeMemory(as: UInt8.self, repeating: 0, count: slotCount * slotSize)
        let arenaMemory = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes + 8, alignment: 8)
        arenaMemory.initializeMemory(as: UInt8.self, repeating: 0, count: arenaBytes + 8)
        var arenaUsed = 0
        var ok = true
        let table = NameTable(
            slots: slotMemory, slotCount: slotCount, arena: arenaMemory, arenaBytes: arenaBytes, count: records.count)
        var carried = [UInt8](repeating: 0, count: slotSize)
        var resident = [UInt8](repeating: 0, count: slotSize)
        source.withUnsafeBytes { src in
            for record in records where ok {
                let key = UnsafeRawBufferPointer(start: src.baseAddress! + record.offset, count: record.length)
                // The slot this name would fill, laid out in `carried`.
                for k in 0..<slotSize { carried[k] = 0 }
                carried[0] = UInt8(record.length)
                carried[2] = UInt8(truncatingIfNeeded: record.value)
                carried[3] = UInt8(truncatingIfNeeded: record.value >> 8)
                carried[4] = UInt8(truncatingIfNeeded: record.value >> 16)
                if record.length <= inlineLength {
                    for k in 0..<record.length { carried[5 + k] = key[k] }
                } else {
                    withUnsafeBytes(of: UInt32(arenaUsed)) { for k in 0..<4 { carried[5 + k] = $0[k] } }
                    for k in 0..<prefixLength { carried[9 + k] = key[k] }
                    (arenaMemory + arenaUsed).copyMemory(
                        from: key.baseAddress! + prefixLength, byteCount: record.length - prefixLength)
                    arenaUsed += record.length - prefixLength
                }
                // Robin Hood: walk from home; take the place of a name nearer its own home.
                var i = table.home(IndicatorHash.name(key, seed: seed))
                var distance = 0
                while true {
                    let slot = slotMemory + i * slotSize
                    if slot.load(as: UInt8.self) == 0 {
                        carried[1] = UInt8(distance)
                        carried.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: slotSize) }
                        break
                    }
                    let theirs = Int(slot.load(fromByteOffset: 1, as: UInt8.self))
                    if theirs < distance {
                        carried[1] = UInt8(distance)
                        resident.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: slot, count: slotSize)) }
                        carried.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: slotSize) }
                        swap(&carried, &resident)
                        distance = theirs
                    }
                    i += 1
                    if i == slotCount { i = 0 }
                    distance += 1
                    if distance > 255 {
                        ok = false
                        break
                    }
                }
            }
        }
        if !ok {
            table.deallocate()
            return nil
        }
        return table
    }
}

/// Memory for the store's large arrays: 2 MiB aligned past 4 MiB, and marked for
/// transparent huge pages (`madvise(MADV_HUGEPAGE)`: a hint, ignored where unsupported).
enum LargeMemory {
    static let hugePage = 2 << 20

    static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        guard byteCount >= 2 * hugePage else { return UnsafeMutableRawPointer.allocate(byteCount: max(8, byteCount), alignment: 64) }
        let rounded = (byteCount + hugePage - 1) / hugePage * hugePage
        let memory = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: hugePage)
        #if canImport(Glibc)
        _ = madvise(memory, rounded, MADV_HUGEPAGE)
        #endif
        return memory
    }
}
