import RampartRules

/// Reading a number out of a buffer as `byte_test`, `byte_jump`, `byte_extract` and
/// `byte_math` do (Suricata's `ByteExtractUint64` and `ByteExtractStringUint64`).
enum ByteNumber {
    /// The value at `position` and the bytes it took, or nil when the bytes are not there
    /// (or, with `string`, hold no digit). `count` is already resolved.
    @inline(__always)
    static func read(_ buffer: UnsafeRawBufferPointer, at position: Int, count: Int, endian: Endianness,
                     base stringBase: NumberBase?) -> (value: UInt64, length: Int)? {
        guard position >= 0, position <= buffer.count else { return nil }
        if let stringBase {
            let radix: UInt64 = stringBase == .hexadecimal ? 16 : stringBase == .octal ? 8 : 10
            // count 0: the whole run of digits (Suricata 7 hands strtoull the unbounded buffer).
            let limit = count == 0 ? buffer.count : position + count
            guard count == 0 || limit <= buffer.count, count <= 23 else { return nil }
            var i = position
            // strtoull skips leading blanks.
            while i < limit && BufferTransformer.isSpace(buffer[i]) { i += 1 }
            var value: UInt64 = 0
            var digits = 0
            while i < limit {
                let b = buffer[i]
                let d: UInt64
                switch b {
                case 0x30...0x39: d = UInt64(b - 0x30)
                case 0x41...0x46: d = UInt64(b - 0x41 + 10)
                case 0x61...0x66: d = UInt64(b - 0x61 + 10)
                default: d = 99
                }
                if d >= radix { break }
                let (m, o1) = value.multipliedReportingOverflow(by: radix)
                let (s, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { return nil }  // ERANGE
                value = s
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            return (value, count == 0 ? i - position : count)
        }
        guard count >= 1, count <= 8, position + count <= buffer.count else { return nil }
        var value: UInt64 = 0
        if endian == .big {
            for k in 0..<count { value = value << 8 | UInt64(buffer[position + k]) }
        } else {
            for k in (0..<count).reversed() { value = value << 8 | UInt64(buffer[position + k]) }
        }
        return (value, count)
    }

    /// `bitmask`: keep the masked bits and shift them down to bit 0.
    @inline(__always)
    static func masked(_ value: UInt64, _ mask: UInt32?) -> UInt64 {
        guard let mask, mask != 0 else { return value }
        return (value & UInt64(mask)) >> UInt64(mask.trailingZeroBitCount)
    }
}
