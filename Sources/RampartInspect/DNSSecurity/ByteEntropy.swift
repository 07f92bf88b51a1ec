import Glibc

/// Shannon entropy of bytes, in bits per byte: how evenly a label uses its characters
/// (a generated or encoded label nears log2 of its alphabet, a word stays lower).
///
/// ```swift
/// let bits = ByteEntropy.of(label, count: label.count)   // "aaaa": 0, "abcd": 2
/// ```
public enum ByteEntropy {
    /// The entropy of `bytes[0..<count]`; 0 for fewer than two bytes. No allocation: the
    /// counts live on the stack.
    public static func of(_ bytes: UnsafeRawBufferPointer, count: Int) -> Double {
        let n = min(count, bytes.count)
        guard n > 1 else { return 0 }
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 256) { counts in
            for i in 0..<256 { counts[i] = 0 }
            for i in 0..<n { counts[Int(bytes[i])] &+= 1 }
            var bits = 0.0
            let total = Double(n)
            for i in 0..<256 where counts[i] > 0 {
                let p = Double(counts[i]) / total
                bits -= p * log2(p)
            }
            return bits
        }
    }
}
