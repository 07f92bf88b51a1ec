/// Decodes a JSON string's raw bytes (between the quotes) into UTF-8: the escapes
/// (`\n`, `\"`, `\u00e9`, surrogate pairs) resolved, everything else copied. Text that an
/// injection hides behind `\u` escapes is inspected as the model reads it.
enum JSONText {
    /// Writes the decoded text of `raw` to `out` (at most `capacity` bytes); the bytes written.
    /// A bad escape is kept as written; a lone surrogate becomes U+FFFD.
    static func decode(_ raw: UnsafeRawBufferPointer, escaped: Bool, into out: UnsafeMutableRawPointer, capacity: Int) -> Int {
        guard escaped else {
            let n = min(raw.count, capacity)
            if n > 0 { out.copyMemory(from: raw.baseAddress!, byteCount: n) }
            return n
        }
        var n = 0
        var i = 0
        let count = raw.count
        @inline(__always) func put(_ b: UInt8) {
            if n < capacity { out.storeBytes(of: b, toByteOffset: n, as: UInt8.self); n += 1 }
        }
        while i < count && n < capacity {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < count else { put(b); i += 1; continue }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(raw, i) else { put(UInt8(ascii: "\\")); put(e); continue }
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    if i + 5 < count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u"),
                       let low = hex4(raw, i + 2), low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                utf8(scalar, put)
            default: put(e)  // \" \\ \/ and anything else as written
            }
        }
        return n
    }

    @inline(__always)
    static func hex4(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt32? {
        guard i + 4 <= raw.count else { return nil }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let c = raw[k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    @inline(__always)
    static func utf8(_ scalar: UInt32, _ put: (UInt8) -> Void) {
        switch scalar {
        case 0..<0x80: put(UInt8(scalar))
        case 0x80..<0x800:
            put(UInt8(0xC0 | scalar >> 6)); put(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            put(UInt8(0xE0 | scalar >> 12)); put(UInt8(0x80 | scalar >> 6 & 0x3F)); put(UInt8(0x80 | scalar & 0x3F))
        default:
            put(UInt8(0xF0 | scalar >> 18)); put(UInt8(0x80 | scalar >> 12 & 0x3F))
            put(UInt8(0x80 | scalar >> 6 & 0x3F)); put(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Whether `raw` (undecoded) equals `word`.
    @inline(__always)
    static func equals(_ raw: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        guard raw.count == word.utf8CodeUnitCount else { return false }
        for k in 0..<raw.count where raw[k] != word.utf8Start[k] { return false }
        return true
    }

    /// A JSON number's integer part, or nil when it is not a non-negative integer that fits.
    static func integer(_ raw: UnsafeRawBufferPointer) -> Int64? {
        guard !raw.isEmpty else { return nil }
        var v: Int64 = 0
        for b in raw {
            guard b >= 0x30 && b <= 0x39 else { return b == UInt8(ascii: ".") ? v : nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(b - 0x30))
            guard !o1 && !o2 else { return nil }
            v = s
        }
        return v
    }
}
