import Glibc

/// Shannon entropy of bytes, in bits per byte: how evenly a label uses its characters
/// (a generated or encoded label nears log2 of its alphabet, a word stays lower).
///
/// ```swift
/// let bits = ByteEntropy.of(label, count: label.count)   // "aaaa": 0, "abcd": 2
/// ```
public enum ByteEntropy {
    /// c·log2(c) for the counts a DNS name can have (≤ 255), so that one entropy costs one
    /// logarithm instead of one per distinct byte.
    static let countTimesLog: [Double] = (0..<256).map { $0 == 0 ? 0 : Double($0) * log2(Double($0)) }

    /// The entropy of `bytes[0..<count]`; 0 for fewer than two bytes. No allocation: the
    /// counts live on the stack. H = log2(n) − Σ c·log2(c) / n.
    public static func of(_ bytes: UnsafeRawBufferPointer, count: Int) -> Double {
        let n = min(count, bytes.count)
        guard n > 1 else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { counts in
            for i in 0..<256 { counts[i] = 0 }
            for i in 0..<n { counts[Int(bytes[i])] &+= 1 }
            var sum = 0.0
            let table = countTimesLog
            for i in 0..<n {
                let b = Int(bytes[i])
                let c = counts[b]
                guard c > 0 else { continue }  // this byte's count was already added
                sum += c < 256 ? table[Int(c)] : Double(c) * log2(Double(c))
                counts[b] = 0
            }
            return max(0, log2(Double(n)) - sum / Double(n))
        }
    }
}
