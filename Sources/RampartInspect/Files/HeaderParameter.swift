/// Reads a parameter of a MIME or HTTP header value (`attachment; filename="a.exe"`,
/// `multipart/mixed; boundary=xyz`, `application/octet-stream; name=a.exe`): quoted or not,
/// the name matched without regard to case; `filename*=UTF-8''a.exe` (RFC 2231/6266) gives
/// what follows the language quote, percent escapes as sent.
enum HeaderParameter {
    /// The value's range in `header`, or nil when the parameter is absent.
    static func value(_ name: StaticString, in header: UnsafeRawBufferPointer) -> Range<Int>? {
        let n = header.count
        let key = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var i = 0
        var inQuotes = false
        while i < n {
            let b = header[i]
            if b == 0x22 { inQuotes.toggle(); i += 1; continue }
            // A parameter starts after ';' (or white space), outside quotes.
            if !inQuotes && (b == UInt8(ascii: ";") || b == 0x20 || b == 0x09) {
                var k = i + 1
                while k < n && (header[k] == 0x20 || header[k] == 0x09) { k += 1 }
                if k + key.count < n && ContentSearch.find(key, nocase: true, in: header, from: k, to: k + key.count) == k {
                    var v = k + key.count
                    var extended = false
                    if v < n && header[v] == UInt8(ascii: "*") { extended = true; v += 1 }
                    while v < n && (header[v] == 0x20 || header[v] == 0x09) { v += 1 }
                    if v < n && header[v] == UInt8(ascii: "=") {
                        v += 1
                        while v < n && (header[v] == 0x20 || header[v] == 0x09) { v += 1 }
                        if v < n && header[v] == 0x22 {
                            var e = v + 1
                            while e < n && header[e] != 0x22 { e += 1 }
                            return (v + 1)..<e
                        }
                        var e = v
                        while e < n && header[e] != UInt8(ascii: ";") && header[e] != 0x20 && header[e] != 0x09
                            && header[e] != 0x0D { e += 1 }
                        if extended {
                            // charset'language'value
                            var q = v, quotes = 0
                            while q < e && quotes < 2 { if header[q] == 0x27 { quotes += 1 }; q += 1 }
                            if quotes == 2 { return q..<e }
                        }
                        return v..<e
                    }
                }
                i = k
                continue
            }
            i += 1
        }
        return nil
    }

    /// Whether `value` begins with `word` (case ignored), as `multipart/` or `attachment`.
    static func startsWith(_ value: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        var i = 0
        while i < value.count && (value[i] == 0x20 || value[i] == 0x09) { i += 1 }
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        return ContentSearch.find(w, nocase: true, in: value, from: i, to: i + w.count) == i
    }
}
