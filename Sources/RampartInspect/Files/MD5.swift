/// MD5 (RFC 1321): JA3's fingerprint and the `md5` of EVE `fileinfo` records (what hash
/// lists of malware are written in). A fingerprint of bytes already sent in the clear, not a
/// security function.
///
/// Incremental and allocation-free, like `SHA256`: the pending block in a fixed tuple.
///
/// ```swift
/// var hash = MD5()
/// hash.update(Array("abc".utf8))
/// hash.finish().hex   // "900150983cd24fb0d6963f7d28e17f72"
/// MD5.hex(Array("abc".utf8))   // the same, in one call
/// ```
struct MD5 {
    /// A finished hash: the 16 bytes in order.
    struct Digest: Equatable, Hashable, Sendable {
        var bytes: (UInt64, UInt64)

        static func == (a: Digest, b: Digest) -> Bool { a.bytes.0 == b.bytes.0 && a.bytes.1 == b.bytes.1 }
        func hash(into hasher: inout Hasher) { hasher.combine(bytes.0); hasher.combine(bytes.1) }

        /// Lower-case hex, 32 characters.
        var hex: String {
            var copy = bytes
            return withUnsafeBytes(of: &copy) { FileHex.text($0) }
        }
    }

    static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                   5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                   4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                   6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    /// floor(|sin(i + 1)| × 2^32), as RFC 1321 tabulates them.
    static let constants: [UInt32] = [
        0xD76AA478, 0xE8C7B756, 0x242070DB, 0xC1BDCEEE, 0xF57C0FAF, 0x4787C62A, 0xA8304613, 0xFD469501,
        0x698098D8, 0x8B44F7AF, 0xFFFF5BB1, 0x895CD7BE, 0x6B901122, 0xFD987193, 0xA679438E, 0x49B40821,
        0xF61E2562, 0xC040B340, 0x265E5A51, 0xE9B6C7AA, 0xD62F105D, 0x02441453, 0xD8A1E681, 0xE7D3FBC8,
        0x21E1CDE6, 0xC33707D6, 0xF4D50D87, 0x455A14ED, 0xA9E3E905, 0xFCEFA3F8, 0x676F02D9, 0x8D2A4C8A,
        0xFFFA3942, 0x8771F681, 0x6D9D6122, 0xFDE5380C, 0xA4BEEA44, 0x4BDECFA9, 0xF6BB4B60, 0xBEBFBC70,
        0x289B7EC6, 0xEAA127FA, 0xD4EF3085, 0x04881D05, 0xD9D4D039, 0xE6DB99E5, 0x1FA27CF8, 0xC4AC5665,
        0xF4292244, 0x432AFF97, 0xAB9423A7, 0xFC93A039, 0x655B59C3, 0x8F0CCC92, 0xFFEFF47D, 0x85845DD1,
        0x6FA87E4F, 0xFE2CE6E0, 0xA3014314, 0x4E0811A1, 0xF7537E82, 0xBD3AF235, 0x2AD7D2BB, 0xEB86D391,
    ]

    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
    private var block: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var blockCount = 0
    private var totalBytes: UInt64 = 0

    init() {}

    /// One-shot MD5 of `message`, in lower-case hex (JA3's hash).
    static func hex(_ message: [UInt8]) -> String {
        var h = MD5()
        message.withUnsafeBytes { h.update($0) }
        return h.finish().hex
    }

    mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        totalBytes &+= UInt64(bytes.count)
        var index = 0
        while index < bytes.count {
            let n = min(64 - blockCount, bytes.count - index)
            let filled = blockCount
            withUnsafeMutableBytes(of: &block) { b in
                b.baseAddress!.advanced(by: filled).copyMemory(from: bytes.baseAddress!.advanced(by: index), byteCount: n)
            }
            blockCount += n
            index += n
            if blockCount == 64 { compress(); blockCount = 0 }
        }
    }

    /// Pads, processes the last block(s) and returns the digest. The hasher is spent after.
    mutating func finish() -> Digest {
        let bitLength = totalBytes &* 8
        var pad: UInt8 = 0x80
        withUnsafeBytes(of: &pad) { update($0) }
        var zero: UInt8 = 0
        while blockCount != 56 { withUnsafeBytes(of: &zero) { update($0) } }
        var length = bitLength.littleEndian
        withUnsafeBytes(of: &length) { update($0) }
        var out: (UInt64, UInt64) = (0, 0)
        var words = (state.0.littleEndian, state.1.littleEndian, state.2.littleEndian, state.3.littleEndian)
        withUnsafeBytes(of: &words) { w in withUnsafeMutableBytes(of: &out) { $0.copyMemory(from: w) } }
        return Digest(bytes: out)
    }

    private mutating func compress() {
        var m: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeBytes(of: &block) { b in
            withUnsafeMutableBytes(of: &m) { w in
                for i in 0..<16 {
                    let v = UInt32(b[i * 4]) | UInt32(b[i * 4 + 1]) << 8 | UInt32(b[i * 4 + 2]) << 16 | UInt32(b[i * 4 + 3]) << 24
                    w.storeBytes(of: v, toByteOffset: i * 4, as: UInt32.self)
                }
            }
        }
        var (a, b, c, d) = state
        withUnsafeBytes(of: &m) { w in
            Self.constants.withUnsafeBufferPointer { k in
                Self.shifts.withUnsafeBufferPointer { s in
                    for i in 0..<64 {
                        var f: UInt32
                        let g: Int
                        switch i {
                        case 0..<16: f = (b & c) | (~b & d); g = i
                        case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) & 15
                        case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) & 15
                        default: f = c ^ (b | ~d); g = (7 * i) & 15
                        }
                        f = f &+ a &+ k[i] &+ w.load(fromByteOffset: g * 4, as: UInt32.self)
                        a = d
                        d = c
                        c = b
                        b = b &+ (f << s[i] | f >> (32 - s[i]))
                    }
                }
            }
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}

/// Lower-case hex of digests (file hashes), once per file.
enum FileHex {
    static func text(_ bytes: UnsafeRawBufferPointer) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Reads `count` bytes of hex into `out`; false when a character is not hex.
    static func parse(_ text: Substring.UTF8View, into out: UnsafeMutableRawBufferPointer) -> Bool {
        guard text.count == out.count * 2 else { return false }
        var i = 0
        var high: UInt8 = 0
        for c in text {
            guard let v = BufferTransformer.hexValue(c) else { return false }
            if i & 1 == 0 { high = v } else { out[i >> 1] = high << 4 | v }
            i += 1
        }
        return true
    }
}
