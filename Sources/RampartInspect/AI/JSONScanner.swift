#if canImport(Glibc)
import Glibc
#endif

/// A pull scanner over one JSON text: it returns values one at a time, in order, with the
/// hashed path that leads to each (`messages[].content`), and never builds a tree. The AI
/// parsers compare those hashes with the few paths they read and skip everything else, so a
/// request costs one pass over its bytes and no allocation.
///
/// Input that ends early (a body cut at the message buffer's end) ends the scan with
/// `truncated`; a string cut short is still returned, up to the cut, so its text is
/// inspected. Malformed input stops the scan with an error and its byte offset; it never traps.
/// Nesting deeper than `maxDepth` is followed (so the scan stays in step) but its values get
/// the path `JSONPath.deep`, which no parser reads.
///
/// ```swift
/// var scanner = JSONScanner(body)
/// while true {
///     let token = scanner.next()
///     if token.kind == .end || token.kind == .error { break }
///     if token.kind == .string && token.path == JSONPath("model").hash { ... }
/// }
/// ```
struct JSONScanner {
    static let maxDepth = 48

    let bytes: UnsafeRawBufferPointer
    var offset = 0
    /// Containers open: their kind (object or array) and the path hash of their members.
    var depth = 0
    var kinds = InlineArray<48, UInt8>(repeating: 0)
    var paths = InlineArray<48, UInt64>(repeating: 0)
    /// In an object: a member name was read and its value is next.
    var expectValue = false
    /// A value was read in the current container; a comma or the end comes next.
    var afterValue = false
    /// The path of the member whose value is next (the key just read).
    var memberPath: UInt64 = 0
    var error: JSONScanError?
    var truncated = false
    /// Depth beyond `maxDepth` (followed, not recorded).
    var overflow = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    static let object: UInt8 = 1
    static let array: UInt8 = 2

    /// The path of the container the scanner is in (`JSONPath.root` at the top).
    var containerPath: UInt64 { depth == 0 ? JSONPath.root : paths[depth - 1] }

    mutating func next() -> JSONToken {
        while true {
            skipSpace()
            guard offset < bytes.count else {
                if depth > 0 || overflow > 0 { truncated = true }
                return JSONToken(kind: .end, path: 0, start: offset, end: offset)
            }
            let b = bytes[offset]
            let inObject = depth > 0 && overflow == 0 && kinds[depth - 1] == JSONScanner.object
            let inDeepObject = overflow > 0 && deepKinds & 1 == 1
            if (inObject || inDeepObject) && !expectValue {
                // A member name, a comma, or the object's end.
                if b == UInt8(ascii: "}") { return close(JSONScanner.object) }
                if b == UInt8(ascii: ",") {
                    guard afterValue else { return fail("a comma where a member was expected") }
                    afterValue = false
                    offset += 1
                    continue
                }
                guard b == UInt8(ascii: "\"") else { return fail("a member name was expected") }
                guard !afterValue else { return fail("a comma was expected between members") }
                let (start, end, _, complete) = scanString()
                guard complete else { truncated = true; return JSONToken(kind: .end, path: 0, start: offset, end: offset) }
                skipSpace()
                guard offset < bytes.count else { truncated = true; return JSONToken(kind: .end, path: 0, start: offset, end: offset) }
                guard bytes[offset] == UInt8(ascii: ":") else { return fail("a colon was expected after the member name") }
                offset += 1
                let parent = containerPath
                memberPath = overflow > 0 ? JSONPath.deep : JSONPath.member(parent, UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                expectValue = true
                continue
            }
            // A value, or (in an array) a comma or the array's end.
            if !expectValue && depth + overflow > 0 {
                if b == UInt8(ascii: "]") { return close(JSONScanner.array) }
                if b == UInt8(ascii: ",") {
                    guard afterValue else { return fail("a comma where a value was expected") }
                    afterValue = false
                    offset += 1
                    continue
                }
                guard !afterValue else { return fail("a comma was expected between values") }
            } else if !expectValue && depth == 0 && afterValue {
                return fail("one value was expected, more followed")
            }
            let path: UInt64
            if expectValue {
                path = memberPath
            } else if overflow > 0 {
                path = JSONPath.deep
            } else if depth > 0 {
                path = JSONPath.element(paths[depth - 1])
            } else {
                path = JSONPath.root
            }
            expectValue = false
            afterValue = true
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let kind = b == UInt8(ascii: "{") ? JSONScanner.object : JSONScanner.array
                offset += 1
                afterValue = false
                if depth < JSONScanner.maxDepth && overflow == 0 {
                    kinds[depth] = kind
                    paths[depth] = path
                    depth += 1
                } else {
                    guard overflow < 60 else { return fail("nesting too deep") }
                    deepKinds = deepKinds << 1 | (kind == JSONScanner.object ? 1 : 0)
                    overflow += 1
                }
                return JSONToken(kind: kind == JSONScanner.object ? .objectStart : .arrayStart, path: path,
                                 start: offset - 1, end: offset)
            case UInt8(ascii: "\""):
                let (start, end, escaped, complete) = scanString()
                if !complete { truncated = true }
                return JSONToken(kind: .string, path: path, start: start, end: end, escaped: escaped)
            case UInt8(ascii: "t"): return literal("true", .literalTrue, path)
            case UInt8(ascii: "f"): return literal("false", .literalFalse, path)
            case UInt8(ascii: "n"): return literal("null", .null, path)
            default:
                guard b == UInt8(ascii: "-") || (b >= 0x30 && b <= 0x39) else {
                    return fail("a value was expected")
                }
                let start = offset
                while offset < bytes.count {
                    let c = bytes[offset]
                    guard (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                        || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { break }
                    offset += 1
                }
                return JSONToken(kind: .number, path: path, start: start, end: offset)
            }
        }
    }

    /// Kinds of the containers beyond `maxDepth`, one bit each (1 = object), innermost lowest.
    var deepKinds: UInt64 = 0

    private mutating func close(_ kind: UInt8) -> JSONToken {
        if expectValue { return fail("a value was expected before the end") }
        let start = offset
        offset += 1
        afterValue = true
        if overflow > 0 {
            guard (deepKinds & 1 == 1) == (kind == JSONScanner.object) else { return fail("a bracket closes what it did not open") }
            deepKinds >>= 1
            overflow -= 1
            return JSONToken(kind: kind == JSONScanner.object ? .objectEnd : .arrayEnd, path: JSONPath.deep, start: start, end: offset)
        }
        guard depth > 0, kinds[depth - 1] == kind else { return fail("a bracket closes what it did not open") }
        depth -= 1
        return JSONToken(kind: kind == JSONScanner.object ? .objectEnd : .arrayEnd, path: paths[depth], start: start, end: offset)
    }

    private mutating func literal(_ word: StaticString, _ kind: JSONTokenKind, _ path: UInt64) -> JSONToken {
        let n = word.utf8CodeUnitCount
        let start = offset
        for k in 0..<n {
            guard offset + k < bytes.count else {
                truncated = true
                offset = bytes.count
                return JSONToken(kind: .end, path: 0, start: start, end: offset)
            }
            guard bytes[offset + k] == word.utf8Start[k] else { return fail("a value was expected") }
        }
        offset += n
        return JSONToken(kind: kind, path: path, start: start, end: offset)
    }

    /// At a quote: the string's raw bytes (between the quotes), whether it has escapes, and
    /// whether its closing quote was found.
    private mutating func scanString() -> (start: Int, end: Int, escaped: Bool, complete: Bool) {
        offset += 1
        let start = offset
        var escaped = false
        guard let base = bytes.baseAddress else { return (start, start, false, false) }
        // memchr finds the next quote (SIMD in glibc); a quote after an odd run of
        // backslashes is part of the string.
        while offset < bytes.count {
            guard let q = memchr(base + offset, 0x22, bytes.count - offset) else { break }
            let at = base.distance(to: UnsafeRawPointer(q))
            var k = at
            while k > start && bytes[k - 1] == UInt8(ascii: "\\") { k -= 1 }
            if at > k { escaped = true }
            if (at - k) % 2 == 0 {
                if !escaped, memchr(base + start, 0x5C, at - start) != nil { escaped = true }
                offset = at + 1
                return (start, at, escaped, true)
            }
            offset = at + 1
        }
        offset = bytes.count
        if memchr(base + start, 0x5C, bytes.count - start) != nil { escaped = true }
        return (start, bytes.count, escaped, false)
    }

    private mutating func skipSpace() {
        while offset < bytes.count {
            let c = bytes[offset]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            offset += 1
        }
    }

    private mutating func fail(_ message: StaticString) -> JSONToken {
        error = JSONScanError(offset: offset, message: message)
        let at = offset
        offset = bytes.count
        return JSONToken(kind: .error, path: 0, start: at, end: at)
    }

    /// Skips the value whose start token was just returned (a container's members); returns
    /// false when the input ended or was malformed first.
    mutating func skip(_ start: JSONToken) -> Bool {
        guard start.kind == .objectStart || start.kind == .arrayStart else { return true }
        let level = depth + overflow
        while true {
            let t = next()
            if t.kind == .end || t.kind == .error { return false }
            if (t.kind == .objectEnd || t.kind == .arrayEnd) && depth + overflow == level - 1 { return true }
        }
    }
}

enum JSONTokenKind: UInt8, Sendable {
    case objectStart, objectEnd, arrayStart, arrayEnd, string, number, literalTrue, literalFalse, null, end, error
}

/// One value (or a container's start or end) and the path that leads to it. For strings,
/// `start..<end` are the raw bytes between the quotes (escapes not decoded).
struct JSONToken: Sendable {
    var kind: JSONTokenKind
    var path: UInt64
    var start: Int
    var end: Int
    var escaped = false
}

/// Where and why a JSON text is malformed.
struct JSONScanError: Sendable, Equatable, CustomStringConvertible {
    var offset: Int
    var message: StaticString
    static func == (a: JSONScanError, b: JSONScanError) -> Bool {
        a.offset == b.offset && a.message.description == b.message.description
    }
    var description: String { "offset \(offset): \(message)" }
}

/// Paths as 64-bit hashes built one step at a time: a member's name, or `[]` for an array's
/// elements (every index alike). `JSONPath("messages", "[]", "content").hash` is the path
/// of each message's content.
struct JSONPath: Sendable {
    static let root: UInt64 = 0xCBF2_9CE4_8422_2325
    /// Values nested deeper than the scanner records.
    static let deep: UInt64 = 1
    static let elementStep: UInt64 = 0x9E37_79B9_7F4A_7C15

    let hash: UInt64

    init(_ steps: StaticString...) {
        var h = JSONPath.root
        for step in steps {
            let bytes = UnsafeRawBufferPointer(start: step.utf8Start, count: step.utf8CodeUnitCount)
            h = bytes.count == 2 && bytes[0] == UInt8(ascii: "[") && bytes[1] == UInt8(ascii: "]")
                ? JSONPath.element(h) : JSONPath.member(h, bytes)
        }
        hash = h
    }

    /// A member's step: its name eight bytes at a time (a multiply and a shift each), its
    /// length mixed in. Every key of every event is hashed: a multiply per byte was a third
    /// of the scanner's time on a stream.
    @inline(__always)
    static func member(_ parent: UInt64, _ name: UnsafeRawBufferPointer) -> UInt64 {
        let n = name.count
        var h = (parent ^ 0x2F ^ UInt64(truncatingIfNeeded: n) &<< 56) &* mix
        guard let base = name.baseAddress else { return (h ^ 0x2E) &* mix }
        var k = 0
        while k + 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: k, as: UInt64.self)) &* mix
            h ^= h &>> 29
            k += 8
        }
        if k < n {
            var w: UInt64 = 0
            for j in k..<n { w |= UInt64(base.load(fromByteOffset: j, as: UInt8.self)) &<< UInt64(8 * (j - k)) }
            h = (h ^ w) &* mix
            h ^= h &>> 29
        }
        return (h ^ 0x2E) &* mix
    }

    static let mix: UInt64 = 0x9E37_79B9_7F4A_7C15

    @inline(__always)
    static func element(_ parent: UInt64) -> UInt64 { (parent ^ elementStep) &* 0x0000_0100_0000_01B3 }
}
