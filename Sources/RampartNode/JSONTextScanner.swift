/// Finds where JSON values begin and end in a text without re-serialising it, so a file
/// another program owns can be edited in one place and left byte-for-byte alone elsewhere.
/// It trusts a text `JSONValue.parse` already accepted; on anything else it returns nil
/// rather than trap.
///
/// ```swift
/// let scanner = JSONTextScanner(Array(#"{"plugins": [{"type": "calico"}]}"#.utf8))
/// let plugins = scanner.member("plugins", ofObjectAt: 0)   // the array's byte range
/// ```
struct JSONTextScanner {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The first index at or after `index` that is not JSON whitespace.
    func skipWhitespace(_ index: Int) -> Int {
        var i = index
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }

    /// The index just past the value that starts at `index` (after whitespace).
    func valueEnd(_ index: Int) -> Int? {
        let start = skipWhitespace(index)
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""): return stringEnd(start)
        case UInt8(ascii: "{"), UInt8(ascii: "["): return containerEnd(start)
        default:
            var i = start
            while i < bytes.count {
                let byte = bytes[i]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                    || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { break }
                i += 1
            }
            return i > start ? i : nil
        }
    }

    private func stringEnd(_ start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
            if bytes[i] == UInt8(ascii: "\"") { return i + 1 }
            i += 1
        }
        return nil
    }

    private func containerEnd(_ start: Int) -> Int? {
        var depth = 0
        var i = start
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                guard let end = stringEnd(i) else { return nil }
                i = end
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return i + 1 }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// The range of the value of member `key` of the object starting at `objectStart`.
    func member(_ key: String, ofObjectAt objectStart: Int) -> Range<Int>? {
        var i = skipWhitespace(objectStart)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            i = skipWhitespace(i)
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return nil }
            guard bytes[i] == UInt8(ascii: "\""), let keyEnd = stringEnd(i) else { return nil }
            let name = decodeString(i..<keyEnd)
            i = skipWhitespace(keyEnd)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipWhitespace(i + 1)
            guard let end = valueEnd(valueStart) else { return nil }
            if name == key { return valueStart..<end }
            i = skipWhitespace(end)
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1 }
        }
    }

    /// The ranges of the elements of the array starting at `arrayStart`.
    func elements(ofArrayAt arrayStart: Int) -> [Range<Int>]? {
        var i = skipWhitespace(arrayStart)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var result: [Range<Int>] = []
        while true {
            i = skipWhitespace(i)
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "]") { return result }
            guard let end = valueEnd(i) else { return nil }
            result.append(i..<end)
            i = skipWhitespace(end)
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1 }
        }
    }

    /// A key's text; keys with escapes are compared in their escaped form, which is enough
    /// for the plain ASCII keys CNI uses.
    private func decodeString(_ range: Range<Int>) -> String {
        String(decoding: bytes[(range.lowerBound + 1)..<(range.upperBound - 1)], as: UTF8.self)
    }
}
