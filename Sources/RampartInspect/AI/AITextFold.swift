/// Text folded for the multilingual injection rules (`AIMultilingualRules`): every script
/// kept (unlike `AITextNormalizer`, which reads Cyrillic and Greek as Latin look-alikes), in
/// lower case, Latin accents off (`ç` → `c`, `ł` → `l`, `ı` → `i`), Cyrillic `ё` as `е`, the
/// Arabic alef forms as one, Arabic vowel marks, Devanagari nukta and invisible characters
/// dropped, full-width forms as ASCII. Runs of punctuation and spaces become one space, a
/// sentence end (`.`, `!` or `?` before a space, a line break, `。`, `।`) a `|`, and a `:` is
/// kept right after its word (so "nouvelles instructions :" reads "nouvelles instructions:").
/// `origin` keeps, for each folded byte, the offset of the scalar it came from.
final class AITextFold {
    // The separators (kept out of the class: a class's static members cost a metadata
    // lookup on every use in the scan's inner loop).
    typealias Byte = AIFoldByte

    let capacity: Int
    let bytes: UnsafeMutablePointer<UInt8>
    let origin: UnsafeMutablePointer<Int32>

    init(capacity: Int = 16 << 10) {
        self.capacity = max(64, capacity)
        bytes = .allocate(capacity: self.capacity)
        origin = .allocate(capacity: self.capacity)
    }

    func deallocate() {
        bytes.deallocate()
        origin.deallocate()
    }


    /// Folds `text` from `input` until the buffer is full or the text ends; `input` is left
    /// after the last scalar folded. Returns the number of bytes in `bytes`.
    func fold(_ text: UnsafeRawBufferPointer, from input: inout Int) -> Int {
        var n = 0
        let count = text.count
        var i = input
        let bytes = self.bytes, origin = self.origin
        // Local functions over the locals (static, inlined: a nested function capturing `n`
        // would keep it in memory).
        @inline(__always) func put(_ b: UInt8, _ at: Int, _ n: inout Int) {
            AITextFold.put(b, at, bytes, origin, &n)
        }
        @inline(__always) func separator(_ kind: UInt8, _ at: Int, _ n: inout Int) {
            AITextFold.separator(kind, at, bytes, origin, &n)
        }
        while i < count && n + 4 <= capacity {
            let at = i
            let b = text[i]
            if b < 0x80 {
                i &+= 1
                switch b {
                case 0x41...0x5A: put(b | 0x20, at, &n)
                case 0x61...0x7A, 0x30...0x39, 0x40: put(b, at, &n)
                case 0x3A: separator(Byte.colon, at, &n)
                case 0x0A, 0x0D: separator(Byte.sentenceEnd, at, &n)
                case 0x2E, 0x21, 0x3F:
                    let next: UInt8 = i < count ? text[i] : 0x20
                    let ends = next == 0x20 || next == 0x0A || next == 0x0D || next == 0x09 || next == 0x22 || next == 0x27
                    separator(ends ? Byte.sentenceEnd : Byte.space, at, &n)
                default: separator(Byte.space, at, &n)
                }
                continue
            }
            var scalar: UInt32 = 0
            var need = 0
            if b & 0xE0 == 0xC0 { scalar = UInt32(b & 0x1F); need = 1 } else if b & 0xF0 == 0xE0 { scalar = UInt32(b & 0x0F); need = 2 } else if b & 0xF8 == 0xF0 {
                scalar = UInt32(b & 0x07)
                need = 3
            }
            i += 1
            var ok = need > 0
            for _ in 0..<need {
                guard i < count, text[i] & 0xC0 == 0x80 else { ok = false; break }
                scalar = scalar << 6 | UInt32(text[i] & 0x3F)
                i += 1
            }
            guard ok else { separator(Byte.space, at, &n); continue }
            switch scalar {
            case 0x00AD, 0x034F, 0x180E, 0x200B...0x200F, 0x2060...0x2064, 0xFEFF, 0xFE00...0xFE0F, 0xE0100...0xE01EF,
                 0xE0000...0xE001F, 0xE007F, 0x064B...0x0652, 0x0640, 0x093C:
                continue  // invisible, Arabic vowel marks and tatweel, Devanagari nukta
            case 0xE0020...0xE007E, 0xFF01...0xFF5E:
                // Tag characters (ASCII smuggling) and full-width forms: as their ASCII.
                let a = UInt8(truncatingIfNeeded: scalar >= 0xE0000 ? scalar - 0xE0000 : scalar - 0xFEE0)
                if (a >= 0x41 && a <= 0x5A) || (a >= 0x61 && a <= 0x7A) || (a >= 0x30 && a <= 0x39) {
                    put(a >= 0x41 && a <= 0x5A ? a | 0x20 : a, at, &n)
                } else if a == 0x3A {
                    separator(Byte.colon, at, &n)
                } else if a == 0x21 || a == 0x3F || a == 0x2E {
                    separator(Byte.sentenceEnd, at, &n)
                } else {
                    separator(Byte.space, at, &n)
                }
            case 0x00C0...0x00FF:
                let a = AITextNormalizer.latin1[Int(scalar - 0xC0)]
                if a == 0 { separator(Byte.space, at, &n) } else { put(a, at, &n) }
            case 0x0100...0x017F:
                put(AIFoldByte.latinExtendedA[Int(scalar - 0x100)], at, &n)
            case 0x0400...0x045F:
                var c = scalar
                if c >= 0x410 && c <= 0x42F { c += 0x20 } else if c >= 0x400 && c <= 0x40F { c += 0x50 }
                if c == 0x451 { c = 0x435 }  // ё → е
                put(UInt8(0xC0 | c >> 6), at, &n)
                put(UInt8(0x80 | c & 0x3F), at, &n)
            case 0x0622, 0x0623, 0x0625:  // alef with madda or hamza → alef
                put(0xD8, at, &n)
                put(0xA7, at, &n)
            case 0x0649:  // alef maksura → yeh
                put(0xD9, at, &n)
                put(0x8A, at, &n)
            case 0x0080...0x00BF, 0x2000...0x200A, 0x2010...0x2027, 0x202F...0x205F, 0x3000, 0x3001, 0x3003...0x301F,
                 0x060C, 0x061B, 0xFF5F...0xFF65:
                separator(Byte.space, at, &n)
            case 0x3002, 0x0964, 0x0965, 0x061F, 0x2028, 0x2029:  // 。 । ॥ ؟ line and paragraph separators
                separator(Byte.sentenceEnd, at, &n)
            default:
                // Letters of any other script, and mathematical or circled Latin letters as ASCII.
                let latin = (0x24B6...0x24E9).contains(scalar) || (0x1D400...0x1D6A3).contains(scalar)
                    || (0x1D7CE...0x1D7FF).contains(scalar)
                if latin {
                    let a = AITextNormalizer.fold(scalar)
                    put(a >= 0x41 && a <= 0x5A ? a | 0x20 : a, at, &n)
                } else {
                    for k in at..<i { put(text[k], at, &n) }
                }
            }
        }
        input = i
        return n
    }

    @inline(__always)
    static func put(_ b: UInt8, _ at: Int, _ bytes: UnsafeMutablePointer<UInt8>, _ origin: UnsafeMutablePointer<Int32>,
                    _ n: inout Int) {
        bytes[n] = b
        origin[n] = Int32(truncatingIfNeeded: at)
        n &+= 1
    }

    /// Appends a separator: one space for a run, a colon or a sentence end in place of a space.
    @inline(__always)
    static func separator(_ kind: UInt8, _ at: Int, _ bytes: UnsafeMutablePointer<UInt8>,
                          _ origin: UnsafeMutablePointer<Int32>, _ n: inout Int) {
        guard n > 0 else { return }
        let last = bytes[n - 1]
        if kind == 0x20 {
            if !aiFoldSeparator(last) { put(kind, at, bytes, origin, &n) }
        } else if kind == 0x3A {
            if last == 0x20 { bytes[n - 1] = kind } else if last != 0x3A { put(kind, at, bytes, origin, &n) }
        } else {
            if last == 0x20 || last == 0x3A { bytes[n - 1] = kind } else if last != kind { put(kind, at, bytes, origin, &n) }
        }
    }

    /// Whether a folded term starts in a script written without spaces between words (Han,
    /// kana, Hangul): such terms match anywhere, not only at a word's start.
    static func isUnspaced(_ term: [UInt8]) -> Bool {
        guard term.count >= 3, term[0] & 0xF0 == 0xE0 else { return false }
        let s = UInt32(term[0] & 0x0F) << 12 | UInt32(term[1] & 0x3F) << 6 | UInt32(term[2] & 0x3F)
        return (0x3040...0x30FF).contains(s) || (0x3400...0x4DBF).contains(s) || (0x4E00...0x9FFF).contains(s)
            || (0xAC00...0xD7AF).contains(s) || (0x1100...0x11FF).contains(s) || (0x3130...0x318F).contains(s)
            || (0xF900...0xFAFF).contains(s)
    }
}

/// The separators of folded text.
enum AIFoldByte {
    static var space: UInt8 { 0x20 }
    static var sentenceEnd: UInt8 { 0x7C }
    static var colon: UInt8 { 0x3A }



    /// U+0100...U+017F (Latin Extended-A: Polish, Turkish, Czech, Romanian...) to the base letter.
    static let latinExtendedA: [UInt8] = Array(
        "aaaaaa" + "cccccccc" + "dddd" + "eeeeeeeeee" + "gggggggg" + "hhhh" + "iiiiiiiiii" + "ii" + "jj" + "kkk"
            + "llllllllll" + "nnnnnnnnn" + "oooooo" + "oo" + "rrrrrr" + "ssssssss" + "tttttt" + "uuuuuuuuuuuu" + "ww"
            + "yyy" + "zzzzzz" + "s"
    ).map { $0.asciiValue! }
}

/// Whether a folded byte separates words: a space, a sentence end or a colon.
@inline(__always)
func aiFoldSeparator(_ b: UInt8) -> Bool { b == 0x20 || b == 0x7C || b == 0x3A }
