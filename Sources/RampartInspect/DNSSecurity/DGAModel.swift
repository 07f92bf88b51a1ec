import Glibc

/// A model that scores how likely a domain label is to come from a domain generation
/// algorithm (DGA), trained offline by `scripts/dga/train.py` and shipped as text
/// (`scripts/dga/dga-model.txt`, built in as `DGAModel.builtIn`).
///
/// Logistic regression: the sum of the int8 weights of the hashed character 2- and 3-grams
/// present in `^label$` (FNV-1a, each bucket counted once), plus seven dense features
/// (length, digit share, vowel share, entropy, longest consonant run, a hyphen, and the mean
/// benign-vs-DGA log ratio of the label's character transitions), through the logistic
/// function. Scoring reads the label in place and allocates nothing.
///
/// ```swift
/// let model = try DGAModel.parse(text).get()
/// let score = name.withUTF8 { model.score(label: UnsafeRawBufferPointer($0)) }   // 0...1
/// ```
public struct DGAModel: Sendable {
    public let buckets: Int
    let scale: Double
    let bias: Double
    let dense: [Double]
    let weights: [Int8]
    /// Transition log ratios, `symbols` × `symbols` (0: the label's boundary, then
    /// a-z, 0-9, '-').
    let symbols: Int
    let markovScale: Double
    let transitions: [Int8]

    /// The number of dense features this version of the format carries.
    static let denseCount = 7
    static let alphabetSymbols = 38

    /// The model built into the engine; nil only if its text were broken (a test checks not).
    public static let builtIn: DGAModel? = try? parse(builtInText).get()

    /// The probability (0...1) that `label` (one DNS label, without dots) was generated.
    /// ASCII letters are compared without case. An empty label scores 0.
    public func score(label: UnsafeRawBufferPointer) -> Double {
        let n = min(label.count, 63)
        guard n > 0 else { return 0 }
        var z = bias
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { seen in
            let words = (buckets + 63) / 64
            for i in 0..<words { seen[i] = 0 }
            // n-grams of "^label$": positions -1 and n are the markers.
            for size in 2...3 {
                var start = -1
                while start + size <= n + 1 {
                    var h: UInt32 = 0x811C_9DC5
                    for k in start..<(start + size) {
                        h ^= UInt32(DGAModel.byte(label, k, n))
                        h = h &* 0x0100_0193
                    }
                    let b = Int(h % UInt32(buckets))
                    let mask: UInt64 = 1 << UInt64(b & 63)
                    if seen[b >> 6] & mask == 0 {
                        seen[b >> 6] |= mask
                        z += Double(weights[b]) * scale
                    }
                    start += 1
                }
            }
        }
        z += denseContribution(label, n)
        return 1 / (1 + exp(-z))
    }

    /// The byte at `k` of `^label$`, lower-cased: `^` before, `$` after.
    @inline(__always)
    static func byte(_ label: UnsafeRawBufferPointer, _ k: Int, _ n: Int) -> UInt8 {
        if k < 0 { return UInt8(ascii: "^") }
        if k >= n { return UInt8(ascii: "$") }
        return lower(label[k])
    }

    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }

    /// The transition table's symbol of a byte: 1...26 letters, 27...36 digits, 37 '-', 0 else.
    @inline(__always)
    static func symbol(_ c: UInt8) -> Int {
        switch c {
        case 0x61...0x7A: return Int(c - 0x61) + 1
        case 0x30...0x39: return Int(c - 0x30) + 27
        case 0x2D: return 37
        default: return 0
        }
    }

    /// The dense features, in the order train.py writes them, times their weights.
    func denseContribution(_ label: UnsafeRawBufferPointer, _ n: Int) -> Double {
        var digits = 0, vowels = 0, run = 0, longest = 0
        var hyphen = 0.0
        var previous = 0
        var ratio = 0
        for i in 0..<n {
            let c = DGAModel.lower(label[i])
            switch c {
            case 0x30...0x39: digits += 1; run = 0
            case 0x61, 0x65, 0x69, 0x6F, 0x75: vowels += 1; run = 0
            case 0x61...0x7A: run += 1; longest = max(longest, run)
            default: run = 0
            }
            if c == 0x2D { hyphen = 1 }
            let s = DGAModel.symbol(c)
            ratio += Int(transitions[previous * symbols + s])
            previous = s
        }
        ratio += Int(transitions[previous * symbols])
        let length = Double(n)
        let markov = Double(ratio) * markovScale / Double(n + 1)
        return dense[0] * length / 16 + dense[1] * Double(digits) / length + dense[2] * Double(vowels) / length
            + dense[3] * ByteEntropy.of(label, count: n) / 4 + dense[4] * Double(longest) / 8 + dense[5] * hyphen
            + dense[6] * markov / 4
    }
}
