/// The shipped prompt-injection / jailbreak classifier: logistic regression over hashed word
/// unigrams and bigrams (`AIInjectionModel`, trained offline by
/// `scripts/ai/train_injection.py`), evaluated here in a few nanoseconds a word with no
/// allocation: windows of `window` words every `stride` words, each scored
/// `bias + Σ weight / √features`, the best window's probability returned with its span.
enum AIInjectionClassifier {
    /// The weights as floats, decoded once from the model's base64.
    static let weights: [Float] = {
        let text = AIInjectionModel.weights
        var bytes = [UInt8]()
        bytes.reserveCapacity(1 << AIInjectionModel.bits)
        var acc: UInt32 = 0
        var bits = 0
        for k in 0..<text.utf8CodeUnitCount {
            let c = text.utf8Start[k]
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            default: continue  // padding, line breaks, indentation
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        precondition(bytes.count == 1 << AIInjectionModel.bits, "AIInjectionModel: \(bytes.count) weights")
        return bytes.map { Float(Int8(bitPattern: $0)) * AIInjectionModel.scale }
    }()

    /// The best window of `words[from..<to]`: its probability and its first and last word.
    static func score(_ words: AIWords, from: Int, to: Int) -> (probability: Float, first: Int, last: Int) {
        let mask = UInt32((1 << AIInjectionModel.bits) - 1)
        let window = AIInjectionModel.window
        let stride = AIInjectionModel.stride
        var best: Float = -.infinity
        var bestFirst = from
        var bestLast = max(from, to - 1)
        weights.withUnsafeBufferPointer { w in
            var start = from
            while true {
                let end = min(to, start + window)
                let n = end - start
                var sum: Float = 0
                var prev: UInt32 = 0
                for i in start..<end {
                    let h = words.hashes[i]
                    sum += w[Int(h & mask)]
                    if i > start { sum += w[Int(((prev &* 0x9E37_79B1) ^ h) & mask)] }
                    prev = h
                }
                let features = n > 0 ? 2 * n - 1 : 0
                let s = AIInjectionModel.bias + (features > 0 ? sum / Float(features).squareRoot() : 0)
                if s > best { best = s; bestFirst = start; bestLast = max(start, end - 1) }
                if end >= to { break }
                start += stride
            }
        }
        return (1 / (1 + exp(-best)), bestFirst, bestLast)
    }

    @inline(__always)
    static func exp(_ x: Float) -> Float {
        // e^x without Foundation: 2^(x·log2 e) by exponent bits and a short polynomial.
        let y = max(-80, min(80, x)) * 1.442_695
        let i = y.rounded(.down)
        let f = y - i
        let p = 1 + f * (0.693_147 + f * (0.240_227 + f * (0.055_504 + f * 0.009_618)))
        return p * Float(sign: .plus, exponent: Int(i), significand: 1)
    }
}
