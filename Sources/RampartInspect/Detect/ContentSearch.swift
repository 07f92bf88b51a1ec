#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding one pattern in a window of a buffer: glibc's `memmem` (two-way, vectorised) for
/// exact patterns, a first-byte scan with folded comparison for `nocase` ones.
enum ContentSearch {
    @inline(__always)
    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// The first position `p` in `from ..< to` with the pattern at `buffer[p ..< p + count]`,
    /// the whole occurrence inside `from ..< to`.
    @inline(__always)
    static func find(_ pattern: UnsafeRawBufferPointer, nocase: Bool, in buffer: UnsafeRawBufferPointer,
                     from: Int, to: Int) -> Int? {
        let m = pattern.count
        let end = min(to, buffer.count)
        guard from >= 0, m > 0, end - from >= m, let base = buffer.baseAddress, let p = pattern.baseAddress else {
            return nil
        }
        if !nocase {
            // memchr finds the first byte (vectorised in glibc), memcmp confirms the rest.
            let first = Int32(pattern[0])
            var i = from
            let last = end - m
            while i <= last {
                guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
                let at = base.distance(to: UnsafeRawPointer(hit))
                if m == 1 || memcmp(base + at + 1, p + 1, m - 1) == 0 { return at }
                i = at + 1
            }
            return nil
        }
        let first = fold(pattern[0])
        var i = from
        let last = end - m
        while i <= last {
            if fold(buffer[i]) == first {
                var k = 1
                while k < m && fold(buffer[i + k]) == fold(pattern[k]) { k += 1 }
                if k == m { return i }
            }
            i += 1
        }
        return nil
    }

    /// Whether the pattern is at exactly `position`.
    @inline(__always)
    static func isAt(_ pattern: UnsafeRawBufferPointer, nocase: Bool, in buffer: UnsafeRawBufferPointer,
                     position: Int) -> Bool {
        let m = pattern.count
        guard position >= 0, position + m <= buffer.count else { return false }
        for k in 0..<m {
            let a = buffer[position + k], b = pattern[k]
            if nocase ? fold(a) != fold(b) : a != b { return false }
        }
        return true
    }
}
