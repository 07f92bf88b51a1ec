/// Bounds-checked reads over a `StreamPrefix` direction, shared by the App-ID decoders of
/// binary and line-based protocols (SSH, databases, messaging, mail).
///
/// Every read returns `nil` instead of reading past the buffer, so a decoder checks
/// a length from the wire once, by the read failing, and never traps on hostile input.
///
/// ```swift
/// guard let size = ProbeBytes.be32(bytes, at: 0) else { return .needMore }
/// if ProbeBytes.match(bytes, at: 0, "SSH-2.0-") == .mismatch { return .notThis }
/// ```
enum ProbeBytes {
    /// How bytes compare with an expected literal that may not have fully arrived.
    enum Match: Equatable {
        /// All of the literal is there.
        case full
        /// The bytes so far agree with the literal but end before it does.
        case partial
        case mismatch
    }

    static func u8(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt8? {
        i >= 0 && i < b.count ? b[i] : nil
    }

    static func be16(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt16? {
        guard i >= 0, i <= b.count &- 2 else { return nil }
        return UInt16(b[i]) << 8 | UInt16(b[i &+ 1])
    }

    static func be32(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt32? {
        guard i >= 0, i <= b.count &- 4 else { return nil }
        return UInt32(bigEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self))
    }

    static func le16(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt16? {
        guard i >= 0, i <= b.count &- 2 else { return nil }
        return UInt16(b[i]) | UInt16(b[i &+ 1]) << 8
    }

    static func le32(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt32? {
        guard i >= 0, i <= b.count &- 4 else { return nil }
        return UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self))
    }

    /// Compares the bytes at `offset` with `literal` (ASCII), optionally ignoring ASCII case.
    static func match(
        _ b: UnsafeRawBufferPointer, at offset: Int, _ literal: StaticString, ignoringCase: Bool = false
    ) -> Match {
        guard offset >= 0, offset <= b.count else { return .mismatch }
        return literal.withUTF8Buffer { lit in
            let n = min(lit.count, b.count &- offset)
            for k in 0..<n {
                var x = b[offset &+ k]
                var y = lit[k]
                if ignoringCase { x = lower(x); y = lower(y) }
                if x != y { return .mismatch }
            }
            return n == lit.count ? .full : .partial
        }
    }

    /// True when the bytes in `range` equal `literal`, ignoring ASCII case.
    static func equals(_ b: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.lowerBound >= 0, range.upperBound <= b.count else { return false }
        return literal.withUTF8Buffer { lit in
            guard lit.count == range.count else { return false }
            for k in 0..<lit.count where lower(b[range.lowerBound &+ k]) != lower(lit[k]) { return false }
            return true
        }
    }

    /// True when the bytes in `range` equal one of `literals`, ignoring ASCII case.
    static func equalsAny(_ b: UnsafeRawBufferPointer, _ range: Range<Int>, _ literals: [StaticString]) -> Bool {
        for literal in literals where equals(b, range, literal) { return true }
        return false
    }

    /// True when `literal` occurs in the bytes of `range`, ignoring ASCII case.
    static func contains(_ b: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard n > 0, range.lowerBound >= 0, range.upperBound <= b.count, range.count >= n else { return false }
        var start = range.lowerBound
        while start <= range.upperBound &- n {
            if equals(b, start..<(start &+ n), literal) { return true }
            start &+= 1
        }
        return false
    }

    /// The index of the first `\n` at or after `from` and before `limit` (and the buffer end).
    static func lineFeed(_ b: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int? {
        guard from >= 0 else { return nil }
        var i = from
        let end = min(b.count, limit)
        while i < end {
            if b[i] == 0x0A { return i }
            i &+= 1
        }
        return nil
    }

    /// The index of the first NUL at or after `from` and before `limit` (and the buffer end).
    static func nul(_ b: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int? {
        guard from >= 0 else { return nil }
        var i = from
        let end = min(b.count, limit)
        while i < end {
            if b[i] == 0 { return i }
            i &+= 1
        }
        return nil
    }

    /// True when every byte of `range` is printable ASCII (tab allowed).
    static func isPrintable(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard range.lowerBound >= 0, range.upperBound <= b.count else { return false }
        for i in range where !(b[i] >= 0x20 && b[i] < 0x7F) && b[i] != 0x09 { return false }
        return true
    }

    /// The range without a trailing `\r` (for a line ended by `\n`).
    static func trimmingCR(_ b: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        if range.count > 0, range.upperBound <= b.count, b[range.upperBound &- 1] == 0x0D {
            return range.lowerBound..<(range.upperBound &- 1)
        }
        return range
    }

    /// The end of the word starting at `from`: the first space, `\r`, `\n` or the buffer end.
    static func wordEnd(_ b: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int {
        var i = max(0, from)
        let end = min(b.count, limit)
        while i < end, b[i] != 0x20, b[i] != 0x0D, b[i] != 0x0A { i &+= 1 }
        return i
    }

    /// A bounded, printable copy of the bytes in `range` for metadata: other bytes become
    /// `.`, and text beyond `limit` characters is cut. Cold path (once per session).
    static func text(_ b: UnsafeRawBufferPointer, _ range: Range<Int>, limit: Int = 256) -> String {
        let lo = max(0, range.lowerBound)
        let hi = min(b.count, range.upperBound, lo &+ max(0, limit))
        guard lo < hi else { return "" }
        return String(unsafeUninitializedCapacity: hi &- lo) { out in
            for i in lo..<hi { out[i &- lo] = b[i] >= 0x20 && b[i] < 0x7F ? b[i] : 0x2E }
            return hi &- lo
        }
    }

    enum Line: Equatable {
        /// A complete, printable line (without its CR LF).
        case line(Range<Int>)
        /// Printable so far, not yet ended.
        case partial
        /// Too long or not text.
        case mismatch
    }

    /// The line starting at `from`, ended by `\n` within `limit` bytes and printable.
    static func line(_ b: UnsafeRawBufferPointer, from: Int, limit: Int) -> Line {
        guard from >= 0, from <= b.count else { return .mismatch }
        guard let lf = lineFeed(b, from: from, limit: from &+ limit) else {
            if b.count &- from >= limit { return .mismatch }
            return isPrintable(b, trimmingCR(b, from..<b.count)) ? .partial : .mismatch
        }
        let r = trimmingCR(b, from..<lf)
        return isPrintable(b, r) ? .line(r) : .mismatch
    }

    /// The answer while the bytes so far are a valid prefix: wait, unless no more will come.
    static func waiting(complete: Bool) -> ProbeResult { complete ? .notThis : .needMore }

    @inline(__always) static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
}
