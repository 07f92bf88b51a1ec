/// A bounds-checked, big-endian reader over a borrowed prefix, shared by the App-ID decoders.
///
/// Every read checks the remaining length first and returns `nil` instead of trapping, so
/// a decoder can walk hostile bytes with `guard let`. Offsets only grow by checked amounts.
///
/// ```swift
/// var cursor = ProbeCursor(bytes)
/// guard let type = cursor.u8(), let length = cursor.u16(), let body = cursor.take(Int(length)) else { return .needMore }
/// ```
struct ProbeCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = min(max(offset, 0), bytes.count)
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    mutating func u8() -> UInt8? {
        guard remaining >= 1 else { return nil }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u24() -> Int? {
        guard remaining >= 3 else { return nil }
        defer { offset += 3 }
        return Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
    }

    mutating func u32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// The next `count` bytes as a sub-buffer, or `nil` (and no move) if fewer remain.
    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        offset += count
        return true
    }

    /// The byte at `offset + ahead` without moving, or `nil`.
    func peek(_ ahead: Int = 0) -> UInt8? {
        guard ahead >= 0, ahead < remaining else { return nil }
        return bytes[offset + ahead]
    }
}

/// Bounded, printable text from wire bytes, for metadata fields and EVE records.
enum ProbeText {
    /// At most `limit` bytes of `bytes` as a string: printable ASCII is kept, anything else
    /// becomes `\xNN`, so log readers never see control characters or broken UTF-8.
    ///
    /// ```swift
    /// ProbeText.printable(bytes, limit: 256)   // "web.rampart.test"
    /// ```
    static func printable(_ bytes: UnsafeRawBufferPointer, limit: Int = 256) -> String {
        let shown = UnsafeRawBufferPointer(rebasing: bytes.prefix(limit))
        // Most metadata is plain ASCII: one allocation straight from the bytes.
        if shown.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) {
            return String(decoding: shown, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(shown.count * 2)
        appendEscaped(shown, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `bytes` as printable ASCII, other bytes (and `\`) as `\xNN`.
    static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != 0x5C {
                out.append(byte)
            } else {
                out.append(0x5C)
                out.append(UInt8(ascii: "x"))
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            }
        }
    }

    @inline(__always) static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
    }

    /// Lower-case hex of `value`, zero-padded to four digits (JA4's and logs' cipher form).
    static func hex4(_ value: UInt16) -> String {
        let digits: [UInt8] = [
            hexDigit(UInt8(value >> 12)), hexDigit(UInt8((value >> 8) & 0xF)),
            hexDigit(UInt8((value >> 4) & 0xF)), hexDigit(UInt8(value & 0xF)),
        ]
        return String(decoding: digits, as: UTF8.self)
    }
}
