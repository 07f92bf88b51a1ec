/// The fields of one HTTP/1.x header block, read in place (no copy): the start line, and each
/// `Name: value` line. Values are trimmed of blanks; obsolete line folding is not joined.
struct HTTPHeaderFields {
    let block: UnsafeRawBufferPointer

    init(_ block: UnsafeRawBufferPointer) { self.block = block }

    /// The first line without its line end.
    var startLine: UnsafeRawBufferPointer? {
        guard let end = lineEnd(from: 0) else { return nil }
        return UnsafeRawBufferPointer(rebasing: block[0..<HTTPHeaderFields.trimCR(block, 0, end)])
    }

    /// Where the first header line starts.
    var headersStart: Int { (lineEnd(from: 0) ?? block.count - 1) + 1 }

    /// The index of the LF ending the line that starts at `from`.
    func lineEnd(from: Int) -> Int? {
        var i = from
        while i < block.count {
            if block[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    static func trimCR(_ b: UnsafeRawBufferPointer, _ start: Int, _ lf: Int) -> Int {
        lf > start && b[lf - 1] == 0x0D ? lf - 1 : lf
    }

    /// Calls `body` for each header line: the line (without its end), the name, the value.
    /// Stops when `body` returns false.
    @inline(__always)
    func each(_ body: (_ line: Range<Int>, _ name: Range<Int>, _ value: Range<Int>) -> Bool) {
        var i = headersStart
        while i < block.count, let lf = lineEnd(from: i) {
            let end = HTTPHeaderFields.trimCR(block, i, lf)
            if end == i { return }  // the empty line
            var colon = i
            while colon < end && block[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon < end {
                var v = colon + 1
                while v < end && (block[v] == 0x20 || block[v] == 0x09) { v += 1 }
                var ve = end
                while ve > v && (block[ve - 1] == 0x20 || block[ve - 1] == 0x09) { ve -= 1 }
                if !body(i..<end, i..<colon, v..<ve) { return }
            }
            i = lf + 1
        }
    }

    /// The value of the first header called `name` (lower case), case-insensitively.
    func value(named name: StaticString) -> UnsafeRawBufferPointer? {
        var found: Range<Int>?
        each { _, n, v in
            if HTTPHeaderFields.equalsLowercase(block, n, name) {
                found = v
                return false
            }
            return true
        }
        return found.map { UnsafeRawBufferPointer(rebasing: block[$0]) }
    }

    static func equalsLowercase(_ b: UnsafeRawBufferPointer, _ r: Range<Int>, _ name: StaticString) -> Bool {
        guard r.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        for k in 0..<r.count where ContentSearch.fold(b[r.lowerBound + k]) != p[k] { return false }
        return true
    }

    /// `METHOD SP TARGET SP HTTP/x.y`: the three ranges, or nil.
    static func requestLine(_ line: UnsafeRawBufferPointer) -> (method: Range<Int>, target: Range<Int>, version: Range<Int>)? {
        var i = 0
        while i < line.count && line[i] != 0x20 { i += 1 }
        guard i > 0, i < line.count else { return nil }
        for k in 0..<i where !(line[k] >= 0x41 && line[k] <= 0x5A) && line[k] != UInt8(ascii: "-") { return nil }
        let method = 0..<i
        var t = i + 1
        while t < line.count && line[t] == 0x20 { t += 1 }
        var te = t
        while te < line.count && line[te] != 0x20 { te += 1 }
        guard te > t else { return nil }
        var v = te
        while v < line.count && line[v] == 0x20 { v += 1 }
        let version = v..<line.count
        // HTTP/0.9-style lines without a version are left alone (not followed).
        guard version.count >= 5, line[v] == UInt8(ascii: "H") else { return nil }
        return (method, t..<te, version)
    }

    /// `HTTP/x.y SP NNN [SP reason]`: the status code.
    static func statusCode(_ line: UnsafeRawBufferPointer) -> Int? {
        guard line.count >= 12, line[0] == UInt8(ascii: "H"), line[4] == UInt8(ascii: "/") else { return nil }
        var i = 5
        while i < line.count && line[i] != 0x20 { i += 1 }
        guard i + 3 < line.count + 0, i + 3 <= line.count - 0 else { return nil }
        var code = 0
        for k in 1...3 {
            guard i + k < line.count else { return nil }
            let b = line[i + k]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            code = code * 10 + Int(b - 0x30)
        }
        return code
    }

    static func containsChunked(_ v: UnsafeRawBufferPointer) -> Bool {
        let word: StaticString = "chunked"
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        return ContentSearch.find(w, nocase: true, in: v, from: 0, to: v.count) != nil
    }

    static func decimal(_ v: UnsafeRawBufferPointer) -> Int64? {
        var value: Int64 = 0
        guard v.count > 0, v.count <= 18 else { return nil }
        for b in v {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            value = value * 10 + Int64(b - 0x30)
        }
        return value
    }
}
