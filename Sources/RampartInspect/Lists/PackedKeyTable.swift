/// A read-only table of byte-string keys: one arena of records and an open-addressing
/// index of 64-bit slots over it. The indicator store keeps three (names, URL hosts, URL
/// paths); each is built by a `PackedKeyTableBuilder` and frozen into memory the store
/// owns.
///
/// Record at arena offset `o`: a 32-bit little-endian header — the key's length in the low
/// 12 bits, a 20-bit value above (an attribute id, or a URL host's longest path) — then the
/// key's bytes, unaligned. A name's key is the name, lower case; a path's key is the 4-byte
/// offset of its host's record, then the normalised path.
///
/// Slot: 0 is empty; otherwise `fingerprint << 32 | (o + 1)`, the fingerprint being the
/// top 32 bits of the key's hash and the home slot its low bits. A probe reads the arena
/// only when a fingerprint matches, so a miss usually costs one slot read (one cache line
/// holds 8 slots of the linear probe).
///
/// Memory: 4 + key bytes per record, and 8 bytes per slot at a load factor of 3/8 to 3/4.
@usableFromInline
struct PackedKeyTable: @unchecked Sendable {
    /// `mask + 1` slots, a power of two (1 for an empty table: one empty slot).
    @usableFromInline let slots: UnsafePointer<UInt64>
    @usableFromInline let mask: Int
    @usableFromInline let arena: UnsafeRawPointer
    /// Bytes used in the arena.
    let arenaBytes: Int
    /// Records (keys) held.
    let count: Int

    static let lengthBits: UInt32 = 12
    /// The longest key a record holds.
    static let maximumKeyLength = (1 << 12) - 1
    /// The largest value a record carries.
    static let maximumValue = (1 << 20) - 1
    /// The arena's limit: slots hold `offset + 1` in 32 bits.
    static let maximumArenaBytes = Int(UInt32.max) - 1

    init(slots: UnsafePointer<UInt64>, mask: Int, arena: UnsafeRawPointer, arenaBytes: Int, count: Int) {
        self.slots = slots
        self.mask = mask
        self.arena = arena
        self.arenaBytes = arenaBytes
        self.count = count
    }

    var memoryBytes: Int { arenaBytes + (mask + 1) * 8 }

    // MARK: Records

    @inlinable @inline(__always)
    static func header(_ arena: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: arena.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable @inline(__always)
    func keyLength(at offset: UInt32) -> Int { Int(Self.header(arena, Int(offset)) & 0xFFF) }

    @inlinable @inline(__always)
    func value(at offset: UInt32) -> UInt32 { Self.header(arena, Int(offset)) >> 12 }

    /// The key's bytes of the record at `offset`, valid while the store lives.
    @inlinable @inline(__always)
    func key(at offset: UInt32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: arena + Int(offset) + 4, count: keyLength(at: offset))
    }

    // MARK: Probing (shared with the builder, which passes its own pointers)

    /// The offset of the record whose key equals `query` with ASCII case folded in the query
    /// (stored names are lower case), or nil.
    @inlinable @inline(__always)
    static func findName(
        hash: UInt64, _ query: UnsafeRawPointer, count: Int,
        slots: UnsafePointer<UInt64>, mask: Int, arena: UnsafeRawPointer
    ) -> UInt32? {
        let fingerprint = hash >> 32
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { return nil }
            if slot >> 32 == fingerprint {
                let offset = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                if Int(header(arena, offset) & 0xFFF) == count && foldedEqual(arena + offset + 4, query, count) {
                    return UInt32(truncatingIfNeeded: offset)
                }
            }
            i = (i &+ 1) & mask
        }
    }

    /// The offset of the record whose key is `host` (4 bytes, little endian) then `path`,
    /// compared exactly, or nil.
    @inlinable @inline(__always)
    static func findPath(
        hash: UInt64, host: UInt32, _ path: UnsafeRawPointer, count: Int,
        slots: UnsafePointer<UInt64>, mask: Int, arena: UnsafeRawPointer
    ) -> UInt32? {
        let fingerprint = hash >> 32
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { return nil }
            if slot >> 32 == fingerprint {
                let offset = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) &- 1
                if Int(header(arena, offset) & 0xFFF) == count + 4
                    && UInt32(littleEndian: arena.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)) == host
                    && exactlyEqual(arena + offset + 8, path, count)
                {
                    return UInt32(truncatingIfNeeded: offset)
                }
            }
            i = (i &+ 1) & mask
        }
    }

    @inlinable @inline(__always)
    func findName(hash: UInt64, _ query: UnsafeRawPointer, count: Int) -> UInt32? {
        Self.findName(hash: hash, query, count: count, slots: slots, mask: mask, arena: arena)
    }

    @inlinable @inline(__always)
    func findPath(hash: UInt64, host: UInt32, _ path: UnsafeRawPointer, count: Int) -> UInt32? {
        Self.findPath(hash: hash, host: host, path, count: count, slots: slots, mask: mask, arena: arena)
    }

    // MARK: Comparison, 8 bytes at a time

    /// Eight bytes with ASCII `A`...`Z` folded to lower case, all lanes at once: a lane gets
    /// 0x20 when its byte is below 0x80, at least `A` and at most `Z`.
    @inlinable @inline(__always)
    static func lowercased(_ x: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let heptets = x & (0x7F &* ones)
        let atLeastA = heptets &+ ((0x80 - 0x41) &* ones)
        let pastZ = heptets &+ ((0x80 - 0x5B) &* ones)
        let upper = atLeastA & ~pastZ & ~x & (0x80 &* ones)
        return x | (upper >> 2)
    }

    @inlinable @inline(__always)
    static func foldedEqual(_ stored: UnsafeRawPointer, _ query: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i &+ 8 <= count {
            if stored.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                != lowercased(query.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            {
                return false
            }
            i &+= 8
        }
        while i < count {
            if stored.load(fromByteOffset: i, as: UInt8.self)
                != IndicatorHash.folded(query.load(fromByteOffset: i, as: UInt8.self))
            {
                return false
            }
            i &+= 1
        }
        return true
    }

    @inlinable @inline(__always)
    static func exactlyEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var i = 0
        while i &+ 8 <= count {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                return false
            }
            i &+= 8
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i &+= 1
        }
        return true
    }
}
