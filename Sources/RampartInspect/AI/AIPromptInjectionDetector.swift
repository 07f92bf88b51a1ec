/// The layered prompt-injection detector: normalised words (`AITextNormalizer`), phrase
/// rules and chat-template markers (`AIInjectionRules`), the multilingual rules over the
/// folded text (`AIMultilingualRules`), the classifier
/// (`AIInjectionClassifier`), and the same again over base64 pieces of the text decoded.
/// The score is the rule's weight and the classifier's probability combined as independent
/// evidence (1 − (1 − r)(1 − c)); the span is the rule's words, or the classifier's window.
struct AIPromptInjectionDetector {
    var words: AIWords
    /// Decoded base64 pieces.
    let decoded: UnsafeMutableRawPointer
    let decodedCapacity: Int
    /// The text folded for the multilingual rules, a chunk at a time.
    let fold: AITextFold

    init(maxWords: Int = 16 << 10, decodedCapacity: Int = 16 << 10, foldCapacity: Int = 16 << 10) {
        words = AIWords(capacity: maxWords)
        self.decodedCapacity = decodedCapacity
        decoded = .allocate(byteCount: decodedCapacity, alignment: 8)
        fold = AITextFold(capacity: foldCapacity)
    }

    func deallocate() {
        words.deallocate()
        decoded.deallocate()
        fold.deallocate()
    }

    struct Finding {
        var type: StaticString
        var score: Float
        var start: Int
        var length: Int
    }

    /// The strongest finding in `text` (offsets relative to it), or nil below `threshold`.
    mutating func inspect(_ text: UnsafeRawBufferPointer, threshold: Float, classifier: Bool = true) -> Finding? {
        var best = evaluate(text, base: 0, classifier: classifier)
        // Base64 pieces: runs of 24+ base64 characters that decode to mostly printable text.
        var i = 0
        let n = text.count
        while i < n {
            guard AIPromptInjectionDetector.isBase64(text[i]) else { i += 1; continue }
            var j = i
            while j < n && AIPromptInjectionDetector.isBase64(text[j]) { j += 1 }
            if j - i >= 24, let m = AIPromptInjectionDetector.decodeBase64(UnsafeRawBufferPointer(rebasing: text[i..<j]),
                                                                            into: decoded, capacity: decodedCapacity),
               AIPromptInjectionDetector.mostlyText(UnsafeRawBufferPointer(start: decoded, count: m)) {
                if var f = evaluate(UnsafeRawBufferPointer(start: decoded, count: m), base: 0, classifier: classifier) {
                    f.start = i
                    f.length = j - i
                    f.type = "encoded-base64"
                    if best == nil || best!.score < f.score { best = f }
                }
            }
            i = j
        }
        guard let best, best.score >= threshold else { return nil }
        return best
    }

    private mutating func evaluate(_ text: UnsafeRawBufferPointer, base: Int, classifier: Bool) -> Finding? {
        words.count = 0
        AITextNormalizer.words(text, base: base, into: &words)
        var finding: Finding?
        var rule: Float = 0
        if let r = AIInjectionRules.best(words, from: 0, to: words.count) {
            rule = r.weight
            let s = Int(words.starts[r.first]), e = Int(words.ends[r.last])
            finding = Finding(type: r.name, score: r.weight, start: s, length: e - s)
        }
        if let m = AIInjectionRules.marker(text), m.weight > rule {
            rule = m.weight
            finding = Finding(type: "template-marker", score: m.weight, start: m.start, length: m.length)
        }
        if let m = AIMultilingualRules.best(text, fold: fold), m.weight > rule {
            rule = m.weight
            finding = Finding(type: m.name, score: m.weight, start: base + m.start, length: m.length)
        }
        if classifier && words.count > 0 {
            let c = AIInjectionClassifier.score(words, from: 0, to: words.count)
            let combined = 1 - (1 - rule) * (1 - c.probability)
            // A rule's words name what was found more precisely than the classifier's
            // window: a rule's type and span stay, with the combined score.
            if finding == nil {
                let s = Int(words.starts[c.first]), e = Int(words.ends[c.last])
                finding = Finding(type: "classifier", score: combined, start: s, length: e - s)
            } else {
                finding!.score = combined
            }
        }
        return finding
    }

    @inline(__always)
    static func isBase64(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "+")
            || b == UInt8(ascii: "/") || b == UInt8(ascii: "=") || b == UInt8(ascii: "-") || b == UInt8(ascii: "_")
    }

    /// Decodes standard or URL-safe base64 (padding optional); nil when nothing decodes.
    static func decodeBase64(_ text: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        var acc: UInt32 = 0
        var bits = 0
        var n = 0
        for c in text {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"), UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): v = 63
            default: continue
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                guard n < capacity else { return n }
                out.storeBytes(of: UInt8(truncatingIfNeeded: acc >> UInt32(bits)), toByteOffset: n, as: UInt8.self)
                n += 1
            }
        }
        return n > 0 ? n : nil
    }

    /// At least 90 % printable ASCII or UTF-8 continuation bytes, and some letters.
    static func mostlyText(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var good = 0, letters = 0
        for b in bytes {
            if (b >= 0x20 && b < 0x7F) || b == 0x0A || b == 0x09 || b >= 0x80 { good += 1 }
            if (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A { letters += 1 }
        }
        return good * 10 >= bytes.count * 9 && letters * 2 >= bytes.count
    }
}
