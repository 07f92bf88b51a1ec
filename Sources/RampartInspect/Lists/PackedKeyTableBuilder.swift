/// The growable form of a `PackedKeyTable`: records are appended to the arena and indexed
/// as they come; the slots double when three quarters are used (each record's hash is
/// computed again from its key, so nothing per record is kept beside the arena).
/// `freeze()` copies both into exactly sized memory for the store.
struct PackedKeyTableBuilder {
    /// How a record's key is hashed, so the slots can grow.
    enum Shape {
        /// A lower-case name, hashed right to left (`IndicatorHash.name`).
        case name
        /// A host record's offset (4 bytes) then a path (`IndicatorHash.path`).
        case path
    }

    struct ArenaFull: Error {}

    let shape: Shape
    let seed: UInt64
    private(set) var arena: [UInt8] = []
    private(set) var slots: [UInt64]
    private(set) var count = 0

    init(shape: Shape, seed: UInt64) {
        self.shape = shape
        self.seed = seed
        self.slots = [UInt64](repeating: 0, count: 16)
    }

    var memoryBytes: Int { arena.count + slots.count * 8 }

    func hash(ofRecordAt offset: Int) -> UInt64 {
        arena.withUnsafeBytes { a in
            let length = Int(PackedKeyTable.header(a.baseAddress!, offset) & 0xFFF)
            let key = UnsafeRawBufferPointer(rebasing: a[(offset + 4)..<(offset + 4 + length)])
            switch shape {
            case .name:
                return IndicatorHash.name(key, seed: seed)
            case .path:
                let host = UInt32(littleEndian: key.loadUnaligned(as: UInt32.self))
                return IndicatorHash.path(UnsafeRawBufferPointer(rebasing: key[4...]), host: host, seed: seed)
            }
        }
    }

    func findName(hash: UInt64, _ name: UnsafeRawBufferPointer) -> UInt32? {
        guard count > 0, let query = name.baseAddress else { return nil }
        return arena.withUnsafeBytes { a in
            slots.withUnsafeBufferPointer { s in
                PackedKeyTable.findName(
                    hash: hash, query, count: name.count, slots: s.baseAddress!, mask: s.count - 1, arena: a.baseAddress!)
            }
        }
    }

    func findPath(hash: UInt64, host: UInt32, _ path: UnsafeRawBufferPointer) -> UInt32? {
        guard count > 0, let query = path.baseAddress else { return nil }
        return arena.withUnsafeBytes { a in
            slots.withUnsafeBufferPointer { s in
                PackedKeyTable.findPath(
                    hash: hash, host: host, query, count: path.count, slots: s.baseAddress!, mask: s.count - 1,
                    arena: a.baseAddress!)
            }
        }
    }

    func value(at offset: UInt32) -> UInt32 {
        arena.withUnsafeBytes { PackedKeyTable.header($0.baseAddress!, Int(offset)) >> 12 }
    }

    func key(at offset: UInt32) -> [UInt8] {
        let o = Int(offset)
        let length = arena.withUnsafeBytes { Int(PackedKeyTable.header($0.baseAddress!, o) & 0xFFF) }
        return Array(arena[(o + 4)..<(o + 4 + length)])
    }

    mutating func setValue(_ value: UInt32, at offset: UInt32) {
        let o = Int(offset)
        let length = UInt32(arena.withUnsafeBytes { PackedKeyTable.header($0.baseAddress!, o) & 0xFFF })
        let header = (length | value << PackedKeyTable.lengthBits).littleEndian
        withUnsafeBytes(of: header) { h in
            for i in 0..<4 { arena[o + i] = h[i] }
        }
    }

    /// Appends a record (the caller has checked the key is absent) and indexes it.
    /// `prefix`, when given, is written before `key` (a path's host offset).
    mutating func insert(hash: UInt64, prefix: UInt32? = nil, key: UnsafeRawBufferPointer, value: UInt32) throws(ArenaFull)
        -> UInt32
    {
        let length = key.count + (prefix == nil ? 0 : 4)
        precondition(length <= PackedKeyTable.maximumKeyLength && Int(value) <= PackedKeyTable.maximumValue)
        let offset = arena.count
        guard offset + 4 + length <= PackedKeyTable.maximumArenaBytes else { throw ArenaFull() }
        let header = (UInt32(length) | value << PackedKeyTable.lengthBits).littleEndian
        withUnsafeBytes(of: header) { arena.append(contentsOf: $0) }
        if let prefix { withUnsafeBytes(of: prefix.littleEndian) { arena.append(contentsOf: $0) } }
        arena.append(contentsOf: key)
        place(hash: hash, offset: offset)
        count += 1
        if count * 4 > slots.count * 3 { grow() }
        return UInt32(offset)
    }

    private mutating func place(hash: UInt64, offset: Int) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = (hash >> 32) << 32 | UInt64(offset + 1)
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        for slot in old where slot != 0 {
            let offset = Int(slot & 0xFFFF_FFFF) - 1
            place(hash: hash(ofRecordAt: offset), offset: offset)
        }
    }

    /// The table in exactly sized memory; the caller owns it (`deallocate()`).
    func freeze() -> PackedKeyTable {
        let slotMemory = UnsafeMutablePointer<UInt64>.allocate(capacity: slots.count)
        slots.withUnsafeBufferPointer { slotMemory.initialize(from: $0.baseAddress!, count: $0.count) }
        // At least 8 bytes past the last record, so no load ever reads beyond the allocation.
        let arenaMemory = UnsafeMutableRawPointer.allocate(byteCount: arena.count + 8, alignment: 8)
        arenaMemory.initializeMemory(as: UInt8.self, repeating: 0, count: arena.count + 8)
        arena.withUnsafeBytes { if let base = $0.baseAddress { arenaMemory.copyMemory(from: base, byteCount: $0.count) } }
        return PackedKeyTable(
            slots: UnsafePointer(slotMemory), mask: slots.count - 1, arena: UnsafeRawPointer(arenaMemory),
            arenaBytes: arena.count, count: count)
    }
}

extension PackedKeyTable {
    /// Frees the memory `PackedKeyTableBuilder.freeze()` allocated.
    func deallocate() {
        UnsafeMutablePointer(mutating: slots).deallocate()
        UnsafeMutableRawPointer(mutating: arena).deallocate()
    }
}
