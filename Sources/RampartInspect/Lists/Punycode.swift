/// Punycode (RFC 3492), the encoding of IDNA's A-labels: `bücher` ↔ `bcher-kva`
/// (the A-label being `xn--bcher-kva`). Used when lists are loaded, never per packet.
///
/// ```swift
/// Punycode.encode(Array("bücher".unicodeScalars))  // "bcher-kva"
/// Punycode.decode("bcher-kva")                      // "bücher"
/// ```
public enum Punycode {
    static let base = 36
    static let tMin = 1
    static let tMax = 26
    static let skew = 38
    static let damp = 700
    static let initialBias = 72
    static let initialN = 128

    static func adapt(_ delta: Int, _ points: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    static func digit(_ d: Int) -> Character {
        Character(Unicode.Scalar(UInt8(d < 26 ? 0x61 + d : 0x30 + d - 26)))
    }

    static func threshold(_ k: Int, _ bias: Int) -> Int {
        k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
    }

    /// The Punycode of `scalars` (without the `xn--` prefix), or nil on overflow.
    public static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        let input = scalars.map { Int($0.value) }
        var output = ""
        for c in input where c < 0x80 { output.append(Character(Unicode.Scalar(UInt8(c)))) }
        let basic = output.unicodeScalars.count
        var handled = basic
        if basic > 0 { output.append("-") }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < input.count {
            guard let m = input.filter({ $0 >= n }).min() else { return nil }
            let (step, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= Int(Int32.max) - step else { return nil }
            delta += step
            n = m
            for c in input {
                if c < n {
                    delta += 1
                    guard delta <= Int(Int32.max) else { return nil }
                }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = threshold(k, bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basic)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }

    /// The Unicode label `encoded` (without `xn--`) stands for, or nil when it is not valid
    /// Punycode.
    public static func decode(_ encoded: String) -> String? {
        let bytes = Array(encoded.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        var output: [UInt32] = []
        var start = 0
        if let dash = bytes.lastIndex(of: 0x2D) {
            output = bytes[..<dash].map { UInt32($0) }
            start = dash + 1
        }
        var n = initialN
        var i = 0
        var bias = initialBias
        var position = start
        while position < bytes.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard position < bytes.count else { return nil }
                let b = bytes[position]
                position += 1
                let d: Int
                switch b {
                case 0x30...0x39: d = Int(b) - 0x30 + 26
                case 0x41...0x5A: d = Int(b) - 0x41
                case 0x61...0x7A: d = Int(b) - 0x61
                default: return nil
                }
                let (dw, o1) = d.multipliedReportingOverflow(by: w)
                guard !o1, i <= Int(Int32.max) - dw else { return nil }
                i += dw
                let t = threshold(k, bias)
                if d < t { break }
                let (nw, o2) = w.multipliedReportingOverflow(by: base - t)
                guard !o2, nw <= Int(Int32.max) else { return nil }
                w = nw
                k += base
            }
            let count = output.count + 1
            bias = adapt(i - oldI, count, oldI == 0)
            guard n <= Int(Int32.max) - i / count else { return nil }
            n += i / count
            i %= count
            guard n <= 0x10FFFF, Unicode.Scalar(UInt32(n)) != nil else { return nil }
            output.insert(UInt32(n), at: i)
            i += 1
        }
        var text = ""
        for v in output {
            guard let s = Unicode.Scalar(v) else { return nil }
            text.unicodeScalars.append(s)
        }
        return text
    }
}
