import Glibc

/// Finds URLs in model output (assistant text, tool calls and results, MCP output) so they
/// can be checked against the URL filtering lists. Two shapes:
///
/// - `http://` and `https://` URLs: from the scheme to the first space, quote, angle bracket
///   or backtick, without the trailing punctuation of the sentence around it (`.`, `,`,
///   `)`, `]`…). The host is what follows the scheme up to `/`, `?` or `#`, without user
///   information (`user:pass@`).
/// - Names without a scheme (`evil.example/x`, `www.evil.example`): a word made of DNS
///   labels whose last label is a top-level domain of `AIURLTopLevelDomains` (or any
///   alphabetic one after `www.`), then an optional `:port` and path. The word must start
///   and end at a word boundary: not inside a path or a longer name, not the local part or
///   domain of an e-mail address (`@` on either side), not glued to letters outside ASCII.
///   Version numbers (`1.2.3`), abbreviations (`e.g.`) and file names (`config.yaml`,
///   `README.md`, `main.swift`) are not names: their last label is not in the list.
///
/// The path is the rest, empty when there is none. No allocation; at most `limit` URLs a
/// text, and `scan` says when the text had more.
enum AIURLScanner {
    struct Found {
        /// The whole URL, scheme included (the detection's span).
        var start: Int
        var length: Int
        var hostStart: Int
        var hostLength: Int
        var pathStart: Int
        var pathLength: Int
        /// `http://` or `https://` was written; false for a bare name.
        var hasScheme = true
    }

    static let limit = 32

    /// Whether `text` may hold a URL at all: `scan` finds one only around a `.` or a `:`.
    @inline(__always)
    static func mayHold(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count >= 4, let base = text.baseAddress else { return false }
        return memchr(base, 0x2E, text.count) != nil || memchr(base, 0x3A, text.count) != nil
    }

    /// Calls `body` with each URL of `text` (offsets into it), up to `limit`. Returns true
    /// when the text holds more than `limit` URLs (those past it are not handed to `body`).
    ///
    /// Only the bytes around a `:` or a `.` can start a URL (`http:` before `//`, a name's
    /// first dot), so the scan jumps from one to the next with `memchr` (SIMD in glibc)
    /// instead of testing every byte: prose has a dot or colon every hundred bytes or so.
    @discardableResult
    static func scan(_ text: UnsafeRawBufferPointer, _ body: (Found) -> Void) -> Bool {
        let n = text.count
        guard n >= 4, let base = text.baseAddress else { return false }
        func next(_ byte: Int32, from k: Int) -> Int {
            guard k < n, let p = memchr(base + k, byte, n - k) else { return n }
            return base.distance(to: UnsafeRawPointer(p))
        }
        /// Everything before `i` is read (inside a URL handed on, or looked at).
        var i = 0
        var found = 0
        var dot = next(0x2E, from: 0)
        var colon = next(0x3A, from: 0)
        while dot < n || colon < n {
            let p = min(dot, colon)
            var url: Found?
            if p == colon {
                colon = next(0x3A, from: p + 1)
                // `http:` or `https:` (any case) ending here, not before what is read.
                let start = p >= 5 && text[p - 1] | 0x20 == UInt8(ascii: "s") ? p - 5 : p - 4
                if start >= i, start + 8 <= n, let after = schemeEnd(text, start) { url = schemeURL(text, start, after) }
            } else {
                dot = next(0x2E, from: p + 1)
                // A name's first dot: back to the start of its first label, which must start a word.
                var start = p
                while start > i && isLabelByte(text[start - 1]) { start -= 1 }
                if start < p, p + 1 < n, isLabelByte(text[p + 1]), start == 0 || startsWord(text[start - 1]) {
                    url = bareName(text, start)
                }
            }
            guard let u = url else { continue }
            if found == limit { return true }
            found += 1
            body(u)
            i = u.start + u.length
            if dot < i { dot = next(0x2E, from: i) }
            if colon < i { colon = next(0x3A, from: i) }
        }
        return false
    }

    /// The URL whose scheme starts at `start` and ends at `after` (past `//`), or nil when it
    /// has no host.
    static func schemeURL(_ text: UnsafeRawBufferPointer, _ start: Int, _ after: Int) -> Found? {
        let n = text.count
        // The URL ends at a separator; a scheme inside a word (`xhttp://`) still counts, as a
        // model may glue text to a link.
        var end = after
        while end < n && !isSeparator(text[end]) { end += 1 }
        while end > after && isTrailing(text[end - 1]) { end -= 1 }
        var hostStart = after
        var hostEnd = after
        while hostEnd < end && text[hostEnd] != UInt8(ascii: "/") && text[hostEnd] != UInt8(ascii: "?")
            && text[hostEnd] != UInt8(ascii: "#") {
            if text[hostEnd] == UInt8(ascii: "@") { hostStart = hostEnd + 1 }
            hostEnd += 1
        }
        guard hostEnd > hostStart else { return nil }
        return Found(start: start, length: end - start, hostStart: hostStart, hostLength: hostEnd - hostStart,
                     pathStart: hostEnd, pathLength: end - hostEnd)
    }

    /// Reads the word starting at `start` (a label byte after a word boundary) as a name
    /// without a scheme; nil when it is not one.
    static func bareName(_ t: UnsafeRawBufferPointer, _ start: Int) -> Found? {
        let n = t.count
        // Labels: letters, digits and inner hyphens, 1...63 bytes, separated by single dots.
        var k = start
        var labels = 0
        var labelStart = start
        var lastLabelStart = start
        var lastLabelEnd = start
        var valid = true
        while true {
            labelStart = k
            while k < n && isLabelByte(t[k]) { k += 1 }
            let length = k - labelStart
            if length == 0 || length > 63 || t[labelStart] == UInt8(ascii: "-") || t[k - 1] == UInt8(ascii: "-") {
                valid = false
            }
            labels += 1
            lastLabelStart = labelStart
            lastLabelEnd = k
            // A dot continues the name only when a label follows it (else it ends the sentence).
            guard k + 1 < n, t[k] == UInt8(ascii: "."), isLabelByte(t[k + 1]) else { break }
            k += 1
        }
        let hostEnd = lastLabelEnd
        guard valid, labels >= 2, hostEnd - start <= 253 else { return nil }
        let www = hostEnd - start > 4 && t[start] | 0x20 == UInt8(ascii: "w") && t[start + 1] | 0x20 == UInt8(ascii: "w")
            && t[start + 2] | 0x20 == UInt8(ascii: "w") && t[start + 3] == UInt8(ascii: ".") && labels >= 3
        let tld = UnsafeRawBufferPointer(rebasing: t[lastLabelStart..<lastLabelEnd])
        guard AIURLTopLevelDomains.contains(tld) || (www && isAlphabetic(tld) && tld.count >= 2) else {
            return nil
        }
        // A port: `:` and 1...5 digits.
        var end = hostEnd
        if end + 1 < n && t[end] == UInt8(ascii: ":") && isDigit(t[end + 1]) {
            var p = end + 1
            while p < n && isDigit(t[p]) && p - end <= 5 { p += 1 }
            end = p
        }
        let nameEnd = end
        // What follows must end the word: a path, a separator, punctuation; never `@`
        // (an e-mail address), `_`, `\` or letters outside ASCII.
        if end < n {
            let c = t[end]
            if c == UInt8(ascii: "/") || c == UInt8(ascii: "?") || c == UInt8(ascii: "#") {
                while end < n && !isSeparator(t[end]) { end += 1 }
                while end > nameEnd && isTrailing(t[end - 1]) { end -= 1 }
            } else if !(isSeparator(c) || isTrailing(c)) {
                return nil
            }
        }
        return Found(start: start, length: end - start, hostStart: start, hostLength: nameEnd - start, pathStart: nameEnd,
                     pathLength: end - nameEnd, hasScheme: false)
    }

    /// The offset after `http://` or `https://` (any case) at `i`, or nil.
    @inline(__always)
    static func schemeEnd(_ t: UnsafeRawBufferPointer, _ i: Int) -> Int? {
        guard t[i + 1] | 0x20 == UInt8(ascii: "t"), t[i + 2] | 0x20 == UInt8(ascii: "t"), t[i + 3] | 0x20 == UInt8(ascii: "p")
        else { return nil }
        var k = i + 4
        if t[k] | 0x20 == UInt8(ascii: "s") { k += 1 }
        guard k + 3 <= t.count, t[k] == UInt8(ascii: ":"), t[k + 1] == UInt8(ascii: "/"), t[k + 2] == UInt8(ascii: "/")
        else { return nil }
        return k + 3
    }

    /// A byte before which a name may start: white space and controls, quotes, brackets,
    /// emphasis marks, and the punctuation a sentence puts before a word. Not `@`, `/`,
    /// `.`, `\`, `:`, `=` or a letter: the word would be part of something longer.
    @inline(__always)
    static func startsWord(_ b: UInt8) -> Bool {
        b <= 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "(") || b == UInt8(ascii: "[")
            || b == UInt8(ascii: "{") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">") || b == UInt8(ascii: "`")
            || b == UInt8(ascii: "*") || b == UInt8(ascii: ",") || b == UInt8(ascii: ";") || b == UInt8(ascii: "|")
            || b == UInt8(ascii: "!") || b == UInt8(ascii: "?") || b == 0x7F
    }

    @inline(__always)
    static func isLabelByte(_ b: UInt8) -> Bool {
        let lower = b | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || isDigit(b) || b == UInt8(ascii: "-")
    }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func isAlphabetic(_ label: UnsafeRawBufferPointer) -> Bool {
        for b in label where !(b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) { return false }
        return true
    }

    @inline(__always)
    static func isSeparator(_ b: UInt8) -> Bool {
        b <= 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "<") || b == UInt8(ascii: ">")
            || b == UInt8(ascii: "`") || b == 0x7F
    }

    @inline(__always)
    static func isTrailing(_ b: UInt8) -> Bool {
        b == UInt8(ascii: ".") || b == UInt8(ascii: ",") || b == UInt8(ascii: ";") || b == UInt8(ascii: ":")
            || b == UInt8(ascii: "!") || b == UInt8(ascii: "?") || b == UInt8(ascii: ")") || b == UInt8(ascii: "]")
            || b == UInt8(ascii: "}") || b == UInt8(ascii: "*")
    }
}
