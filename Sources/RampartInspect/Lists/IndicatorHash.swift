/// The hashes of the indicator store, seeded when a store is built.
///
/// Names are hashed **from the right**, one byte at a time, with ASCII letters folded to
/// lower case as they are read: the running state after the bytes of `example.com` is the
/// state `a.b.example.com` passes through on its way left, so one pass over a queried name
/// yields the hash of every parent domain at its label boundary, with no copy and no
/// second pass. URL paths are hashed from the left, so every path prefix's hash is a
/// step of one pass too.
///
/// The per-byte step is FNV-1a's (xor, multiply by an odd constant: a bijection of the
/// state for each byte); `finish` mixes the state (MurmurHash3's finaliser) so the
/// slot index (low bits) and the fingerprint (high bits) depend on every byte.
///
/// Complexity: O(n) in the bytes hashed; no allocation.
@usableFromInline
enum IndicatorHash {
    @usableFromInline static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// The byte with `A`...`Z` folded to `a`...`z`; every other byte unchanged.
    @inlinable @inline(__always)
    static func folded(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    @inlinable @inline(__always)
    static func step(_ state: UInt64, _ byte: UInt8) -> UInt64 {
        (state ^ UInt64(byte)) &* prime
    }

    @inlinable @inline(__always)
    static func finish(_ state: UInt64) -> UInt64 {
        var h = state
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }

    /// The hash of a whole name, read right to left with case folded (as a lookup reaches
    /// it at the name's left end).
    @inlinable
    static func name(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var state = seed
        var i = bytes.count
        while i > 0 {
            i -= 1
            state = step(state, folded(bytes[i]))
        }
        return finish(state)
    }

    /// The starting state of the paths listed under the host record at `host`.
    @inlinable @inline(__always)
    static func pathStart(seed: UInt64, host: UInt32) -> UInt64 {
        finish(seed ^ 0x5851_F42D_4C95_7F2D ^ UInt64(host))
    }

    /// The hash of a whole (normalised) path under the host record at `host`, read left to
    /// right, case kept.
    @inlinable
    static func path(_ bytes: UnsafeRawBufferPointer, host: UInt32, seed: UInt64) -> UInt64 {
        var state = pathStart(seed: seed, host: host)
        for byte in bytes { state = step(state, byte) }
        return finish(state)
    }

    /// The hash of an address prefix: the masked 128-bit value and its length.
    @inlinable @inline(__always)
    static func prefix(high: UInt64, low: UInt64, length: Int, seed: UInt64) -> UInt64 {
        finish((high &* 0x9E37_79B9_7F4A_7C15) ^ (low &* 0xC2B2_AE3D_27D4_EB4F) ^ (UInt64(length) << 56) ^ seed)
    }
}
