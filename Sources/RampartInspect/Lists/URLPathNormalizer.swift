/// The one normal form of a URL's path and query, used for listed URLs when they are loaded
/// and for requests when they are looked up, so both sides compare byte for byte.
///
/// Rules (RFC 3986 section 6.2.2, plus the collapse of empty segments):
/// - the fragment (`#...`) is dropped; a path that does not start with `/` gets one;
/// - percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded
///   (`%41` → `A`, `%2e` → `.`), other escapes keep their byte with upper-case hex
///   (`%2f` → `%2F`), and a `%` not followed by two hex digits becomes `%25`;
/// - bytes that may not appear raw (space, controls, non-ASCII, `"<>\^`{|}`) are escaped
///   (`é` → `%C3%A9`), so a list written in Unicode matches what clients send;
/// - in the path only: `.` segments are removed, `..` removes the segment before it (never
///   above the root), and empty segments (`//`) are removed — after decoding, so `%2e%2e`
///   is `..`;
/// - the query is kept (normalised the same way, without the segment rules); an empty
///   query (`?` alone) is dropped. Case is kept: paths are case-sensitive.
///
/// ```swift
/// "/a/./b/../%7Euser//x?q=%2f#top"  →  "/a/~user/x?q=%2F"
/// ```
///
/// Complexity: O(n); the output is written into the caller's bytes, no allocation.
public enum URLPathNormalizer {
    /// Writes the normal form of `target` (a request target's path and query; a fragment
    /// is ignored) into `output`. Returns its length, or nil when it needs more than
    /// `output.count` bytes. At most `3 × target.count + 1` bytes are ever needed.
    public static func normalize(_ target: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int? {
        guard let out = output.baseAddress, output.count > 0 else { return nil }
        let capacity = output.count
        let n = target.count
        var pathEnd = 0
        while pathEnd < n && target[pathEnd] != 0x3F && target[pathEnd] != 0x23 { pathEnd += 1 }
        var queryEnd = pathEnd
        let hasQuery = pathEnd < n && target[pathEnd] == 0x3F
        if hasQuery {
            queryEnd = pathEnd + 1
            while queryEnd < n && target[queryEnd] != 0x23 { queryEnd += 1 }
        }
        var w = 0
        if pathEnd == 0 || target[0] != 0x2F {
            out.storeBytes(of: 0x2F, toByteOffset: 0, as: UInt8.self)
            w = 1
        }
        guard let pathWritten = escape(target, 0, pathEnd, query: false, into: out, at: w, capacity: capacity) else {
            return nil
        }
        w = removeDotSegments(out, count: pathWritten)
        if hasQuery && queryEnd > pathEnd + 1 {
            guard w < capacity else { return nil }
            out.storeBytes(of: 0x3F, toByteOffset: w, as: UInt8.self)
            guard let written = escape(target, pathEnd + 1, queryEnd, query: true, into: out, at: w + 1, capacity: capacity)
            else { return nil }
            w = written
        }
        return w
    }

    /// The normal form as bytes (allocates; for lists and tools, not the hot path).
    public static func normalized(_ target: some Collection<UInt8>) -> [UInt8] {
        let input = Array(target)
        let capacity = 3 * input.count + 1
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            count = input.withUnsafeBytes { normalize($0, into: UnsafeMutableRawBufferPointer(buffer)) } ?? 0
        }
    }

    @inlinable @inline(__always)
    static func isUnreserved(_ b: UInt8) -> Bool {
        (b &- 0x61 < 26) || (b &- 0x41 < 26) || (b &- 0x30 < 10) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E
    }

    /// Bytes kept raw: unreserved, sub-delims `!$&'()*+,;=`, `:`, `@`, `/`, and `?` in a query.
    @inlinable @inline(__always)
    static func isAllowedRaw(_ b: UInt8, query: Bool) -> Bool {
        if isUnreserved(b) { return true }
        switch b {
        case 0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D, 0x3A, 0x40, 0x2F: return true
        case 0x3F: return query
        default: return false
        }
    }

    @inlinable @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        if b &- 0x30 < 10 { return b &- 0x30 }
        let lower = b | 0x20
        if lower &- 0x61 < 6 { return lower &- 0x61 &+ 10 }
        return nil
    }

    @inlinable @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 &+ v : 0x41 &+ v &- 10 }

    /// Percent-normalises `target[start..<end]` into `out` from `w`; the new end, or nil
    /// when `capacity` is exceeded.
    static func escape(
        _ target: UnsafeRawBufferPointer, _ start: Int, _ end: Int, query: Bool,
        into out: UnsafeMutableRawPointer, at w0: Int, capacity: Int
    ) -> Int? {
        var w = w0
        var i = start
        while i < end {
            let b = target[i]
            if b == 0x25 {
                if i + 2 < end, let hi = hexValue(target[i + 1]), let lo = hexValue(target[i + 2]) {
                    let v = hi << 4 | lo
                    if isUnreserved(v) {
                        guard w < capacity else { return nil }
                        out.storeBytes(of: v, toByteOffset: w, as: UInt8.self)
                        w += 1
                    } else {
                        guard w + 3 <= capacity else { return nil }
                        out.storeBytes(of: 0x25, toByteOffset: w, as: UInt8.self)
                        out.storeBytes(of: hexDigit(hi), toByteOffset: w + 1, as: UInt8.self)
                        out.storeBytes(of: hexDigit(lo), toByteOffset: w + 2, as: UInt8.self)
                        w += 3
                    }
                    i += 3
                    continue
                }
                // A stray `%`: escaped itself.
                guard w + 3 <= capacity else { return nil }
                out.storeBytes(of: 0x25, toByteOffset: w, as: UInt8.self)
                out.storeBytes(of: 0x32, toByteOffset: w + 1, as: UInt8.self)
                out.storeBytes(of: 0x35, toByteOffset: w + 2, as: UInt8.self)
                w += 3
            } else if isAllowedRaw(b, query: query) {
                guard w < capacity else { return nil }
                out.storeBytes(of: b, toByteOffset: w, as: UInt8.self)
                w += 1
            } else {
                guard w + 3 <= capacity else { return nil }
                out.storeBytes(of: 0x25, toByteOffset: w, as: UInt8.self)
                out.storeBytes(of: hexDigit(b >> 4), toByteOffset: w + 1, as: UInt8.self)
                out.storeBytes(of: hexDigit(b & 0xF), toByteOffset: w + 2, as: UInt8.self)
                w += 3
            }
            i += 1
        }
        return w
    }

    /// Removes `.`, `..` and empty segments of the path `out[0..<count]` (which starts with
    /// `/`) in place; the new length. The write position never passes the read position.
    static func removeDotSegments(_ out: UnsafeMutableRawPointer, count: Int) -> Int {
        func at(_ i: Int) -> UInt8 { out.load(fromByteOffset: i, as: UInt8.self) }
        var r = 1
        var w = 1
        while r < count {
            let s = r
            while r < count && at(r) != 0x2F { r += 1 }
            let length = r - s
            let slash = r < count
            if slash { r += 1 }
            if length == 0 { continue }
            if length == 1 && at(s) == 0x2E { continue }
            if length == 2 && at(s) == 0x2E && at(s + 1) == 0x2E {
                if w > 1 {
                    w -= 1
                    while w > 0 && at(w - 1) != 0x2F { w -= 1 }
                }
                continue
            }
            if w != s { (out + w).copyMemory(from: out + s, byteCount: length) }
            w += length
            if slash {
                out.storeBytes(of: 0x2F, toByteOffset: w, as: UInt8.self)
                w += 1
            }
        }
        return w
    }
}

/// Memory a worker keeps for normalising request paths during URL lookups, allocated once
/// (8 KiB by default: longer request targets are refused by most servers anyway).
///
/// ```swift
/// var buffer = URLPathBuffer()
/// let answer = store.url(host: host, path: path, buffer: &buffer)
/// ```
public struct URLPathBuffer: ~Copyable {
    @usableFromInline let bytes: UnsafeMutableRawBufferPointer

    public init(capacity: Int = 8192) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(16, capacity), alignment: 8)
    }

    public var capacity: Int { bytes.count }

    deinit { bytes.deallocate() }
}
