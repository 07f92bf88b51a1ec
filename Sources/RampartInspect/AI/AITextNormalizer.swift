/// The words of a text as the injection detector compares them: Unicode look-alikes folded
/// to ASCII (Cyrillic and Greek homoglyphs, full-width and mathematical letters, circled
/// letters, Latin accents), invisible characters dropped (zero-width, soft hyphen, variation
/// selectors), Unicode tag characters read as the ASCII they smuggle, lower case, and
/// leetspeak undone in words that mix letters and digits (`1gn0r3` → `ignore`). Each word is
/// kept as its FNV-1a hash, the hash of its ROT13 form and its span in the original bytes.
///
/// `scripts/ai/features.py` is the same function in Python (the classifier is trained on its
/// output); `AIInjectionClassifierTests` checks the two agree on the committed sample.
struct AIWords {
    let capacity: Int
    let hashes: UnsafeMutablePointer<UInt32>
    let rot13: UnsafeMutablePointer<UInt32>
    let starts: UnsafeMutablePointer<Int32>
    let ends: UnsafeMutablePointer<Int32>
    var count = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        hashes = .allocate(capacity: self.capacity)
        rot13 = .allocate(capacity: self.capacity)
        starts = .allocate(capacity: self.capacity)
        ends = .allocate(capacity: self.capacity)
    }

    func deallocate() {
        hashes.deallocate(); rot13.deallocate(); starts.deallocate(); ends.deallocate()
    }
}

enum AITextNormalizer {
    static let fnvBasis: UInt32 = 0x811C_9DC5
    static let fnvPrime: UInt32 = 0x0100_0193

    /// Splits `text` into normalised words, appended to `words` (up to its capacity);
    /// `base` is added to the recorded offsets. Returns the number of words added.
    @discardableResult
    static func words(_ text: UnsafeRawBufferPointer, base: Int = 0, into words: inout AIWords) -> Int {
        let before = words.count
        var word = InlineArray<64, UInt8>(repeating: 0)
        var length = 0
        var hasLetter = false
        var hasLeet = false
        var start = -1
        var end = 0
        var i = 0
        let n = text.count
        @inline(__always) func flush(_ words: inout AIWords) {
            defer { length = 0; hasLetter = false; hasLeet = false; start = -1 }
            guard length > 0, words.count < words.capacity else { return }
            var h = fnvBasis
            var r = fnvBasis
            var kept = 0
            for k in 0..<length {
                var c = word[k]
                if hasLeet && hasLetter { c = leet(c) } else if c == UInt8(ascii: "@") || c == UInt8(ascii: "$") { continue }
                kept += 1
                h = (h ^ UInt32(c)) &* fnvPrime
                r = (r ^ UInt32(rot(c))) &* fnvPrime
            }
            guard kept > 0 else { return }
            // Spaced-out letters ("i g n o r e"): a run of three or more one-letter words
            // is read as one word.
            let single = kept == 1 && word[0] >= 0x61 && word[0] <= 0x7A
            if single {
                if runCount == 64 { endRun(&words) }
                if runCount == 0 { runFirst = words.count }
                runLetters[runCount] = word[0]
                runCount += 1
            } else {
                endRun(&words)
            }
            words.hashes[words.count] = h
            words.rot13[words.count] = r
            words.starts[words.count] = Int32(base + start)
            words.ends[words.count] = Int32(base + end)
            words.count += 1
        }
        var runLetters = InlineArray<64, UInt8>(repeating: 0)
        var runCount = 0
        var runFirst = 0
        func endRun(_ words: inout AIWords) {
            defer { runCount = 0 }
            guard runCount >= 3 else { return }
            var h = fnvBasis
            var r = fnvBasis
            for k in 0..<runCount {
                h = (h ^ UInt32(runLetters[k])) &* fnvPrime
                r = (r ^ UInt32(rot(runLetters[k]))) &* fnvPrime
            }
            let last = words.count - 1
            words.hashes[runFirst] = h
            words.rot13[runFirst] = r
            words.ends[runFirst] = words.ends[last]
            words.count = runFirst + 1
        }
        while i < n {
            let at = i
            var c: UInt8 = 0  // the ASCII character this scalar reads as; 0: separator; 0xFF: invisible
            let b = text[i]
            if b < 0x80 {
                i += 1
                c = b
            } else {
                // Decode one UTF-8 scalar (a bad sequence: one byte, a separator).
                var scalar: UInt32 = 0
                var need = 0
                if b & 0xE0 == 0xC0 { scalar = UInt32(b & 0x1F); need = 1 }
                else if b & 0xF0 == 0xE0 { scalar = UInt32(b & 0x0F); need = 2 }
                else if b & 0xF8 == 0xF0 { scalar = UInt32(b & 0x07); need = 3 }
                i += 1
                var ok = need > 0
                for _ in 0..<need {
                    guard i < n, text[i] & 0xC0 == 0x80 else { ok = false; break }
                    scalar = scalar << 6 | UInt32(text[i] & 0x3F)
                    i += 1
                }
                c = ok ? fold(scalar) : 0
            }
            if c == 0xFF { continue }  // invisible: the word goes on
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            let isLetter = c >= 0x61 && c <= 0x7A
            let isDigit = c >= 0x30 && c <= 0x39
            if isLetter || isDigit || c == UInt8(ascii: "@") || c == UInt8(ascii: "$") {
                if start < 0 { start = at }
                end = i
                if length < 64 { word[length] = c; length += 1 }
                if isLetter { hasLetter = true } else { hasLeet = true }
            } else {
                flush(&words)
            }
        }
        flush(&words)
        endRun(&words)
        return words.count - before
    }

    @inline(__always)
    static func leet(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0"): UInt8(ascii: "o")
        case UInt8(ascii: "1"): UInt8(ascii: "i")
        case UInt8(ascii: "3"): UInt8(ascii: "e")
        case UInt8(ascii: "4"), UInt8(ascii: "@"): UInt8(ascii: "a")
        case UInt8(ascii: "5"), UInt8(ascii: "$"): UInt8(ascii: "s")
        case UInt8(ascii: "7"): UInt8(ascii: "t")
        case UInt8(ascii: "8"): UInt8(ascii: "b")
        default: c
        }
    }

    @inline(__always)
    static func rot(_ c: UInt8) -> UInt8 {
        guard c >= 0x61 && c <= 0x7A else { return c }
        return (c - 0x61 + 13) % 26 + 0x61
    }

    /// The ASCII letter or digit a non-ASCII scalar reads as; 0xFF for an invisible one;
    /// 0 for anything else (a separator).
    static func fold(_ s: UInt32) -> UInt8 {
        switch s {
        case 0x00AD, 0x034F, 0x180E, 0x200B...0x200F, 0x2060...0x2064, 0xFEFF, 0xFE00...0xFE0F, 0xE0100...0xE01EF:
            return 0xFF
        case 0xE0000...0xE001F, 0xE007F: return 0xFF
        case 0xE0020...0xE007E: return UInt8(s - 0xE0000)  // tag characters: ASCII smuggling
        case 0xFF01...0xFF5E: return UInt8(s - 0xFEE0)  // full-width forms
        case 0x1D400...0x1D6A3:  // mathematical alphanumeric letters, 52 a style
            let k = (s - 0x1D400) % 52
            return k < 26 ? UInt8(0x41 + k) : UInt8(0x61 + k - 26)
        case 0x1D7CE...0x1D7FF: return UInt8(0x30 + (s - 0x1D7CE) % 10)  // mathematical digits
        case 0x24B6...0x24CF: return UInt8(0x61 + s - 0x24B6)  // circled capitals
        case 0x24D0...0x24E9: return UInt8(0x61 + s - 0x24D0)
        case 0x00C0...0x00FF: return latin1[Int(s - 0xC0)]
        case 0x0391...0x03C9: return greek[Int(s - 0x0391)]
        case 0x0400...0x045F: return cyrillic[Int(s - 0x0400)]
        case 0x0501: return UInt8(ascii: "d")
        case 0x0261: return UInt8(ascii: "g")
        default: return 0
        }
    }

    /// U+00C0...U+00FF: accented Latin letters to their base letter (× and ÷ separators).
    static let latin1: [UInt8] = Array("aaaaaaaceeeeiiiidnooooo\0ouuuuyts" + "aaaaaaaceeeeiiiidnooooo\0ouuuuyty").map {
        $0 == "\0" ? 0 : $0.asciiValue!
    }

    /// U+0391...U+03C9: Greek letters that look like Latin ones; others separators.
    static let greek: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x03C9 - 0x0391 + 1)
        let pairs: [(UInt32, Character)] = [
            (0x391, "a"), (0x392, "b"), (0x395, "e"), (0x396, "z"), (0x397, "h"), (0x399, "i"), (0x39A, "k"),
            (0x39C, "m"), (0x39D, "n"), (0x39F, "o"), (0x3A1, "p"), (0x3A4, "t"), (0x3A5, "y"), (0x3A7, "x"),
            (0x3B1, "a"), (0x3B9, "i"), (0x3BA, "k"), (0x3BD, "v"), (0x3BF, "o"), (0x3C1, "p"), (0x3C4, "t"), (0x3C5, "u"),
        ]
        for (s, c) in pairs { t[Int(s - 0x391)] = c.asciiValue! }
        return t
    }()

    /// U+0400...U+045F: Cyrillic letters that look like Latin ones; others separators.
    static let cyrillic: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x045F - 0x0400 + 1)
        let pairs: [(UInt32, Character)] = [
            (0x410, "a"), (0x412, "b"), (0x415, "e"), (0x41A, "k"), (0x41C, "m"), (0x41D, "h"), (0x41E, "o"),
            (0x420, "p"), (0x421, "c"), (0x422, "t"), (0x423, "y"), (0x425, "x"),
            (0x430, "a"), (0x435, "e"), (0x43E, "o"), (0x440, "p"), (0x441, "c"), (0x443, "y"), (0x445, "x"),
            (0x405, "s"), (0x406, "i"), (0x408, "j"), (0x455, "s"), (0x456, "i"), (0x458, "j"),
        ]
        for (s, c) in pairs { t[Int(s - 0x400)] = c.asciiValue! }
        return t
    }()

    /// The FNV-1a hash of an ASCII word, as `words` computes it (for rule tables).
    static func hash(_ word: String) -> UInt32 {
        var h = fnvBasis
        for c in word.utf8 { h = (h ^ UInt32(c)) &* fnvPrime }
        return h
    }
}
