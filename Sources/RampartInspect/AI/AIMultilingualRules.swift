/// Injection rules in fifteen languages: the text is folded (`AITextFold`), the terms of
/// `AIInjectionLexicon` are found in it, and a rule fires when all of its concepts
/// (`AIInjectionConcept`) were seen within a few characters of each other, in any order
/// (Japanese, Korean, Turkish and Hindi put the verb last), within one sentence unless the
/// rule says otherwise. So "ignora todas las instrucciones anteriores" and
/// "以前の指示をすべて無視して" fire, while "ignore the typos in my draft" (no instruction noun)
/// and "¿cómo ignorar un archivo en git?" (not an imperative) do not.
///
/// The phrase rules of `AIInjectionRules` stay (English, with ROT13 and leetspeak undone);
/// these add the other languages and wider English wording. The detector takes the stronger.
struct AIMultilingualRule: Sendable {
    let name: StaticString
    let weight: Float
    let concepts: UInt32
    /// The most characters from the first concept's word to the last one's.
    let window: Int32
    /// All concepts in one sentence.
    let sentence: Bool
}

enum AIMultilingualRules {
    static func rule(_ name: StaticString, _ weight: Float, window: Int32, sentence: Bool = true,
                     _ concepts: AIInjectionConcept...) -> AIMultilingualRule {
        AIMultilingualRule(name: name, weight: weight, concepts: concepts.reduce(0) { $0 | $1.bit }, window: window,
                           sentence: sentence)
    }

    // Weights below 0.8 (the profiles' default threshold) need the classifier's agreement.
    static let all: [AIMultilingualRule] = [
        rule("ignore-instructions", 0.95, window: 50, .ignore, .previous, .orders),
        rule("ignore-instructions", 0.95, window: 50, .ignore, .your, .orders),
        rule("ignore-instructions", 0.9, window: 30, .ignore, .all, .orders),
        rule("ignore-instructions", 0.9, window: 30, .ignore, .above),
        rule("ignore-instructions", 0.9, window: 50, .previous, .orders, .void),
        rule("ignore-instructions", 0.65, window: 25, .ignore, .orders),
        rule("ignore-instructions", 0.7, window: 80, sentence: false, .ignore, .instead),
        rule("reveal-system-prompt", 0.9, window: 60, .reveal, .your, .system, .prompt),
        rule("reveal-system-prompt", 0.85, window: 30, .reveal, .above),
        rule("persona-switch", 0.9, window: 120, .fromNow, .noLimits),
        rule("persona-switch", 0.9, window: 120, .role, .noLimits),
        rule("no-restrictions", 0.85, window: 30, .disable, .safety),
        rule("exfiltrate", 0.85, window: 120, sentence: false, .send, .secret, .destination),
        rule("exfiltrate", 0.6, window: 40, .send, .secret),
        rule("indirect-order", 0.85, window: 120, sentence: false, .addressee, .ignore),
        rule("indirect-order", 0.85, window: 120, sentence: false, .addressee, .send),
        rule("indirect-order", 0.8, window: 120, sentence: false, .addressee, .instead),
        rule("indirect-order", 0.75, window: 120, sentence: false, .userTrigger, .ignore),
        rule("indirect-order", 0.75, window: 120, sentence: false, .userTrigger, .send),
        rule("tool-poisoning", 0.85, window: 120, sentence: false, .beforeTool, .secret),
        rule("tool-poisoning", 0.85, window: 120, sentence: false, .beforeTool, .send),
        rule("tool-poisoning", 0.8, window: 120, sentence: false, .beforeTool, .hideFromUser),
        rule("persona-switch", 0.9, window: 80, .devMode, .noLimits),
        rule("persona-switch", 0.85, window: 80, .devMode, .ignore),
        rule("persona-switch", 0.85, window: 80, .devMode, .safety),
        rule("new-instructions", 0.75, window: 0, .newOrders),
        rule("hide-from-user", 0.8, window: 0, .hideFromUser),
    ]

    /// What was found: the rule, its weight and its span in the original text.
    struct Match {
        var name: StaticString
        var weight: Float
        var start: Int
        var length: Int
    }

    /// The strongest rule over `text`, folded chunk by chunk into `fold`'s buffers (a term
    /// across two chunks is not seen; a chunk is the buffer's capacity, 16 KiB by default).
    static func best(_ text: UnsafeRawBufferPointer, fold: AITextFold) -> Match? {
        let terms = AIInjectionTermTable.shared
        var lastScalar = InlineArray<32, Int32>(repeating: 0)
        var lastSentence = InlineArray<32, Int32>(repeating: 0)
        var lastOrigin = InlineArray<32, Int32>(repeating: 0)
        var seen: UInt32 = 0
        var best: Match?
        var scalar: Int32 = 0
        var sentence: Int32 = 0
        var input = 0
        let out = fold.bytes, origin = fold.origin
        // The table's pointers in locals: read once, not from the object at every word.
        let occupied = terms.occupied, bucketStart = terms.bucketStart, bucketTerms = terms.bucketTerms
        let termFlags = terms.flags, termStart = terms.start, termLength = terms.length, termBytes = terms.bytes
        let termConcepts = terms.concepts
        while input < text.count {
            let n = fold.fold(text, from: &input)
            var p = 0
            while p < n {
                let b = out[p]
                if b & 0xC0 == 0x80 { p &+= 1; continue }
                let at = p
                p &+= 1
                scalar &+= 1
                if b < 0x80 {
                    if b == 0x20 || b == 0x3A { continue }
                    if b == 0x7C { sentence &+= 1; continue }
                }
                let wordStart = at == 0 || aiFoldSeparator(out[at - 1])
                if b < 0x80 && !wordStart && b != 0x40 { continue }  // inside an ASCII word
                var hits: UInt32 = 0
                var hitEnd = at + 1
                if b == 0x40 {  // an e-mail address's @
                    if !wordStart { hits = AIInjectionConcept.destination.bit }
                } else if at + 1 < n {
                    let third = at + 2 < n ? out[at + 2] : AIFoldByte.space
                    let key = AIInjectionTermTable.key(b, out[at + 1], third)
                    // Most words start no term: a bitmap of the buckets in use (2 KiB, in the
                    // first-level cache) answers before the bucket table is read.
                    guard occupied[key >> 6] & (1 << UInt64(key & 63)) != 0 else { continue }
                    var k = Int(bucketStart[key])
                    let end = Int(bucketStart[key + 1])
                    while k < end {
                        let t = Int(bucketTerms[k])
                        k &+= 1
                        let flags = termFlags[t]
                        if flags & AIInjectionTermFlag.anywhere == 0 && !wordStart { continue }
                        let s = Int(termStart[t]), len = Int(termLength[t])
                        guard at + len <= n else { continue }
                        var same = true
                        var j = 3  // the first three bytes chose the bucket; a clash is rare
                        if out[at] != termBytes[s] || out[at + 1] != termBytes[s + 1] { continue }
                        if len < 3 { j = 2 } else if out[at + 2] != termBytes[s + 2] { continue }
                        while j < len {
                            if out[at + j] != termBytes[s + j] { same = false; break }
                            j &+= 1
                        }
                        guard same else { continue }
                        if flags & AIInjectionTermFlag.whole != 0 && at + len < n && !aiFoldSeparator(out[at + len]) {
                            continue
                        }
                        hits |= termConcepts[t]
                        hitEnd = max(hitEnd, at + len)
                    }
                }
                guard hits != 0 else { continue }
                // A stem's span goes on to the end of its word ("précédent" → "précédentes").
                while hitEnd < n && hitEnd < at + 64 && !aiFoldSeparator(out[hitEnd]) { hitEnd += 1 }
                seen |= hits
                var m = hits
                while m != 0 {
                    let c = m.trailingZeroBitCount
                    m &= m - 1
                    lastScalar[c] = scalar
                    lastSentence[c] = sentence
                    lastOrigin[c] = origin[at]
                }
                for rule in all where rule.concepts & hits != 0 && rule.concepts & ~seen == 0 {
                    if let b = best, b.weight >= rule.weight { continue }
                    var ok = true
                    var first = origin[at]
                    var c = rule.concepts
                    while c != 0 {
                        let i = c.trailingZeroBitCount
                        c &= c - 1
                        if scalar - lastScalar[i] > rule.window || (rule.sentence && lastSentence[i] != sentence) {
                            ok = false
                            break
                        }
                        first = min(first, lastOrigin[i])
                    }
                    guard ok else { continue }
                    // The span ends after the last byte of the scalar that ends the hit.
                    var last = Int(origin[hitEnd - 1]) + 1
                    while last < text.count && text[last] & 0xC0 == 0x80 { last += 1 }
                    best = Match(name: rule.name, weight: rule.weight, start: Int(first), length: last - Int(first))
                }
            }
        }
        return best
    }
}

/// The lexicon's terms, folded, in one block of bytes with an index by their first three bytes;
/// built once, never freed.
final class AIInjectionTermTable: @unchecked Sendable {
    static let shared = AIInjectionTermTable(AIInjectionLexicon.all)
    typealias Flag = AIInjectionTermFlag
    static let buckets = AIInjectionTermFlag.buckets

    let bytes: UnsafeMutablePointer<UInt8>
    let start: UnsafeMutablePointer<Int32>
    let length: UnsafeMutablePointer<UInt8>
    let flags: UnsafeMutablePointer<UInt8>
    let concepts: UnsafeMutablePointer<UInt32>
    let bucketStart: UnsafeMutablePointer<Int32>
    let bucketTerms: UnsafeMutablePointer<Int32>
    /// One bit per bucket: whether any term is in it.
    let occupied: UnsafeMutablePointer<UInt64>
    let count: Int

    /// The bucket of a term by its first three bytes (a separator as a space: a two-byte term
    /// is a whole word, so a separator follows it).
    @inline(__always)
    static func key(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int { AIInjectionTermFlag.key(a, b, c) }

    init(_ languages: [[AIInjectionLexicon.Entry]]) {
        // Fold every term as text is folded; the same term in two concepts is one term.
        var folded: [[UInt8]] = []
        var masks: [UInt32] = []
        var termFlags: [UInt8] = []
        var index: [[UInt8]: Int] = [:]
        let scratch = AITextFold(capacity: 1024)
        defer { scratch.deallocate() }
        for language in languages {
            for (concept, list) in language {
                for raw in list.split(separator: "|") {
                    var word = String(raw)
                    var f: UInt8 = 0
                    if word.hasPrefix("=") { word.removeFirst(); f |= AIInjectionTermFlag.whole }
                    var term = [UInt8]()
                    word.utf8.withContiguousStorageIfAvailable { buffer in
                        var at = 0
                        let n = scratch.fold(UnsafeRawBufferPointer(buffer), from: &at)
                        term = Array(UnsafeBufferPointer(start: scratch.bytes, count: n))
                    }
                    while term.last == 0x20 { term.removeLast() }
                    guard term.count >= 2, term.count < 256 else { continue }
                    if AITextFold.isUnspaced(term) { f |= AIInjectionTermFlag.anywhere }
                    if term.count == 2 { f |= AIInjectionTermFlag.whole }
                    if let i = index[term] {
                        masks[i] |= concept.bit
                        termFlags[i] &= f | ~AIInjectionTermFlag.whole  // a stem anywhere wins over a whole word
                    } else {
                        index[term] = folded.count
                        folded.append(term)
                        masks.append(concept.bit)
                        termFlags.append(f)
                    }
                }
            }
        }
        count = folded.count
        let total = folded.reduce(0) { $0 + $1.count }
        bytes = .allocate(capacity: max(1, total))
        start = .allocate(capacity: max(1, count))
        length = .allocate(capacity: max(1, count))
        flags = .allocate(capacity: max(1, count))
        concepts = .allocate(capacity: max(1, count))
        bucketStart = .allocate(capacity: AIInjectionTermFlag.buckets + 1)
        bucketTerms = .allocate(capacity: max(1, count))
        occupied = .allocate(capacity: AIInjectionTermFlag.buckets / 64)
        occupied.initialize(repeating: 0, count: AIInjectionTermFlag.buckets / 64)
        var at = 0
        var perBucket = [[Int32]](repeating: [], count: AIInjectionTermFlag.buckets)
        for (i, term) in folded.enumerated() {
            for (j, b) in term.enumerated() { bytes[at + j] = b }
            start[i] = Int32(at)
            length[i] = UInt8(term.count)
            flags[i] = termFlags[i]
            concepts[i] = masks[i]
            at += term.count
            perBucket[AIInjectionTermTable.key(term[0], term[1], term.count > 2 ? term[2] : AIFoldByte.space)].append(Int32(i))
        }
        var k = 0
        for (b, list) in perBucket.enumerated() {
            bucketStart[b] = Int32(k)
            if !list.isEmpty { occupied[b >> 6] |= 1 << UInt64(b & 63) }
            for t in list { bucketTerms[k] = t; k += 1 }
        }
        bucketStart[AIInjectionTermFlag.buckets] = Int32(k)
    }
}

/// The term table's flags and bucket function (outside the class: see `AIFoldByte`).
enum AIInjectionTermFlag {
    static let anywhere: UInt8 = 1
    static let whole: UInt8 = 2
    static let buckets = 16384

    @inline(__always)
    static func key(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int {
        let third = aiFoldSeparator(c) ? AIFoldByte.space : c
        let v = UInt32(a) << 16 | UInt32(b) << 8 | UInt32(third)
        return Int((v &* 0x9E37_79B1) >> 18)
    }
}
