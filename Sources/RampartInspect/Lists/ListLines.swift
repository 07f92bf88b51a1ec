import RampartWire

/// The lines of a list's bytes, numbered from 1, without their `\n` or `\r\n` (and without
/// a UTF-8 byte order mark on the first). Borrowed views: nothing is copied.
struct ListLines: IteratorProtocol {
    struct Line {
        var bytes: UnsafeRawBufferPointer
        var number: Int
    }

    let bytes: UnsafeRawBufferPointer
    var position = 0
    var number = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    mutating func next() -> Line? {
        guard position < bytes.count else { return nil }
        let start = position
        var end = start
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        position = end + 1
        number += 1
        var stop = end
        if stop > start && bytes[stop - 1] == 0x0D { stop -= 1 }
        return Line(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<stop]), number: number)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0B || b == 0x0C }

    static func trimmed(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = bytes.count
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    /// The line without a comment (`#` at its start, or after a space or tab), trimmed.
    static func withoutComment(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let line = trimmed(bytes)
        if line.first == 0x23 { return UnsafeRawBufferPointer(rebasing: line[0..<0]) }
        var i = 1
        while i < line.count {
            if line[i] == 0x23 && isSpace(line[i - 1]) { return trimmed(UnsafeRawBufferPointer(rebasing: line[0..<i])) }
            i += 1
        }
        return line
    }

    /// Fields separated by spaces or tabs.
    static func fields(_ bytes: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        var result: [UnsafeRawBufferPointer] = []
        var i = 0
        while i < bytes.count {
            while i < bytes.count && isSpace(bytes[i]) { i += 1 }
            let start = i
            while i < bytes.count && !isSpace(bytes[i]) { i += 1 }
            if i > start { result.append(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) }
        }
        return result
    }

    /// Text for a rejection: the bytes as UTF-8 (invalid sequences replaced), cut to 120
    /// characters.
    static func excerpt(_ bytes: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: bytes.prefix(480), as: UTF8.self)
        return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }

    /// Whether the bytes have the shape of an address or prefix (digits and dots, or hex and
    /// colons, and an optional `/LENGTH`), so a malformed one is reported as an address.
    static func looksLikeAddress(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return false }
        var end = bytes.count
        if let slash = bytes.firstIndex(of: 0x2F) {
            let length = bytes.count - slash - 1
            guard length >= 1 && length <= 3 && bytes[(slash + 1)...].allSatisfy({ $0 &- 0x30 < 10 }) else { return false }
            end = slash
        }
        let address = bytes[..<end]
        guard !address.isEmpty else { return false }
        if address.contains(0x3A) {
            return address.allSatisfy { $0 &- 0x30 < 10 || ($0 | 0x20) &- 0x61 < 6 || $0 == 0x3A || $0 == 0x2E }
        }
        return address.allSatisfy { $0 &- 0x30 < 10 || $0 == 0x2E } && address.contains(0x2E)
    }

    /// An address (or `ADDRESS/LENGTH` prefix), or nil.
    static func parseAddress(_ bytes: UnsafeRawBufferPointer) -> IPNetwork? {
        guard looksLikeAddress(bytes) else { return nil }
        return IPNetwork(String(decoding: bytes, as: UTF8.self))
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps a typed error (the standard one rethrows `any Error`).
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { bytes in Result { () throws(E) in try body(bytes) } }
        return try result.get()
    }
}
