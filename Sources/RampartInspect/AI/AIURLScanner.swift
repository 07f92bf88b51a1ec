/// Finds `http://` and `https://` URLs in model output (assistant text, tool calls and
/// results, MCP output) so they can be checked against the URL filtering lists: a URL runs
/// from its scheme to the first space, quote, angle bracket or backtick, without the trailing
/// punctuation of the sentence around it (`.`, `,`, `)`, `]`…). The host is what follows the
/// scheme up to `/`, `?` or `#`, without user information (`user:pass@`); the path is the
/// rest, `/` when there is none. No allocation; at most `limit` URLs a text.
enum AIURLScanner {
    struct Found {
        /// The whole URL, scheme included (the detection's span).
        var start: Int
        var length: Int
        var hostStart: Int
        var hostLength: Int
        var pathStart: Int
        var pathLength: Int
    }

    static let limit = 32

    /// Calls `body` with each URL of `text` (offsets into it), up to `limit`.
    static func scan(_ text: UnsafeRawBufferPointer, _ body: (Found) -> Void) {
        let n = text.count
        var i = 0
        var found = 0
        while i + 8 <= n && found < limit {
            guard text[i] | 0x20 == UInt8(ascii: "h"), let after = schemeEnd(text, i) else { i += 1; continue }
            // The URL ends at a separator; a scheme inside a word (`xhttp://`) still counts,
            // as a model may glue text to a link.
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
            if hostEnd > hostStart {
                found += 1
                body(Found(start: i, length: end - i, hostStart: hostStart, hostLength: hostEnd - hostStart,
                           pathStart: hostEnd, pathLength: end - hostEnd))
            }
            i = max(end, i + 1)
        }
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
