import RampartRules

/// Applies a sticky buffer's transforms (Suricata 7's `transform-*.c`) into a worker's
/// arena, so the source buffer is never changed. Each transform reads the previous output.
enum BufferTransformer {
    /// The transforms the matcher implements; a rule with another is refused at load.
    static func supports(_ t: BufferTransform) -> Bool {
        switch t {
        case .dotPrefix, .stripWhitespace, .compressWhitespace, .toLowercase, .toUppercase, .urlDecode, .xor,
             .toSHA256:
            true
        case .toMD5, .toSHA1, .headerLowercase, .stripPseudoHeaders, .pcreTransform:
            false
        }
    }

    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    /// Writes `transform(input)` to `output` (capacity `capacity`); the length written, or
    /// nil when it does not fit. `output` and `input` never overlap.
    static func apply(_ t: BufferTransform, _ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawPointer,
                      capacity: Int) -> Int? {
        let n = input.count
        switch t {
        case .dotPrefix:
            guard n + 1 <= capacity else { return nil }
            output.storeBytes(of: UInt8(ascii: "."), as: UInt8.self)
            if n > 0 { (output + 1).copyMemory(from: input.baseAddress!, byteCount: n) }
            return n + 1
        case .stripWhitespace:
            guard n <= capacity else { return nil }
            var k = 0
            for b in input where !isSpace(b) {
                output.storeBytes(of: b, toByteOffset: k, as: UInt8.self)
                k += 1
            }
            return k
        case .compressWhitespace:
            guard n <= capacity else { return nil }
            var k = 0
            var previousSpace = false
            for b in input {
                let space = isSpace(b)
                if space && previousSpace { continue }
                output.storeBytes(of: space ? 0x20 : b, toByteOffset: k, as: UInt8.self)
                k += 1
                previousSpace = space
            }
            return k
        case .toLowercase, .toUppercase:
            guard n <= capacity else { return nil }
            let lower = t == .toLowercase
            for i in 0..<n {
                var b = input[i]
                if lower, b >= 0x41 && b <= 0x5A { b |= 0x20 }
                if !lower, b >= 0x61 && b <= 0x7A { b &= ~0x20 }
                output.storeBytes(of: b, toByteOffset: i, as: UInt8.self)
            }
            return n
        case .urlDecode:
            guard n <= capacity else { return nil }
            var i = 0, k = 0
            while i < n {
                var b = input[i]
                if b == UInt8(ascii: "%"), i + 2 < n,
                   let h = hexValue(input[i + 1]), let l = hexValue(input[i + 2]) {
                    b = h << 4 | l
                    i += 3
                } else {
                    if b == UInt8(ascii: "+") { b = 0x20 }
                    i += 1
                }
                output.storeBytes(of: b, toByteOffset: k, as: UInt8.self)
                k += 1
            }
            return k
        case .xor(let key):
            guard n <= capacity, !key.isEmpty else { return nil }
            for i in 0..<n { output.storeBytes(of: input[i] ^ key[i % key.count], toByteOffset: i, as: UInt8.self) }
            return n
        case .toSHA256:
            guard capacity >= 32 else { return nil }
            var hash = SHA256()
            hash.update(input)
            let digest = hash.finish().bytes
            for i in 0..<32 { output.storeBytes(of: digest[i], toByteOffset: i, as: UInt8.self) }
            return 32
        case .toMD5, .toSHA1, .headerLowercase, .stripPseudoHeaders, .pcreTransform:
            return nil
        }
    }
}
