/// Finds personal data in text, each kind with a validator so ordinary numbers stay out:
/// e-mail addresses (a dotted domain with a letter TLD), payment card numbers (13–19
/// digits, spaces or dashes between groups, a known issuer prefix, the Luhn checksum),
/// IBANs (the country's length and the ISO 13616 mod-97 check), US social security numbers
/// (dashed, with the ranges never issued excluded), UK national insurance numbers (the
/// prefixes never used excluded), and phone numbers in international form (`+` and 8–15 digits).
enum AIPersonalDataScanner {
    typealias Match = AISecretScanner.Match

    /// Which bytes may start a value is read from `classes` without a branch per byte, as
    /// `AISecretScanner.scan` does.
    static func scan(_ text: UnsafeRawBufferPointer, _ found: (Match) -> Void) {
        classes.withUnsafeBufferPointer { scan(text, classes: $0, found) }
    }

    private static func scan(_ text: UnsafeRawBufferPointer, classes: UnsafeBufferPointer<UInt8>, _ found: (Match) -> Void) {
        let n = text.count
        guard n > 0, let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var i = 0
        var lastEnd = 0
        // 1 when the byte before `i` is a letter or digit (a digit or capital there starts nothing).
        var alnumBefore: UInt8 = 0
        while i < n {
            let b = base[i]
            let c = classes[Int(b)]
            let candidate = (c & ~(alnumBefore << 1) & 2) | (c & 4)
            alnumBefore = c & 1
            guard candidate != 0 else {
                i += 1
                continue
            }
            var m: Match?
            if b == UInt8(ascii: "@") {
                m = email(text, i, lastEnd)
            } else if b >= 0x30 && b <= 0x39 {
                m = card(text, i) ?? ssn(text, i)
            } else if b >= 0x41 && b <= 0x5A {
                m = iban(text, i) ?? nino(text, i)
            } else if b == UInt8(ascii: "+") {
                m = phone(text, i)
            }
            if let m, m.start >= lastEnd {
                found(m)
                lastEnd = m.start + m.length
                i = max(i + 1, lastEnd)
                alnumBefore = classes[Int(base[i - 1])] & 1
            } else {
                i += 1
            }
        }
    }

    /// Per byte: 1 a letter or digit, 2 a digit or capital (a card, SSN, IBAN or NINO starts
    /// with one at a word's start), 4 `@` or `+` (looked at wherever they are).
    static let classes: [UInt8] = (0..<256).map { c in
        let b = UInt8(c)
        return (isAlnum(b) ? 1 : 0) | ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) ? 2 : 0)
            | (b == UInt8(ascii: "@") || b == UInt8(ascii: "+") ? 4 : 0)
    }

    static func email(_ t: UnsafeRawBufferPointer, _ at: Int, _ floor: Int) -> Match? {
        var s = at
        while s > floor && s > at - 64 && isLocal(t[s - 1]) { s -= 1 }
        while s < at && t[s] == UInt8(ascii: ".") { s += 1 }
        guard s < at else { return nil }
        var e = at + 1
        while e < t.count && e < at + 254 && (isAlnum(t[e]) || t[e] == UInt8(ascii: "-") || t[e] == UInt8(ascii: ".")) { e += 1 }
        while e > at + 1 && t[e - 1] == UInt8(ascii: ".") { e -= 1 }  // a sentence's full stop
        var lastDot = -1
        var k = e - 1
        while k > at { if t[k] == UInt8(ascii: ".") { lastDot = k; break }; k -= 1 }
        guard lastDot > at + 1, e - lastDot - 1 >= 2 else { return nil }
        for k in (lastDot + 1)..<e where !((t[k] | 0x20) >= 0x61 && (t[k] | 0x20) <= 0x7A) { return nil }
        return Match(type: "email", start: s, length: e - s)
    }

    /// Digits with single spaces or dashes between them; the digits (up to 19) and the end.
    static func digits(_ t: UnsafeRawBufferPointer, _ i: Int, into d: inout InlineArray<20, UInt8>) -> (count: Int, end: Int) {
        var count = 0
        var k = i
        var end = i
        while k < t.count {
            let c = t[k]
            if c >= 0x30 && c <= 0x39 {
                guard count < 20 else { return (21, k) }
                d[count] = c - 0x30
                count += 1
                k += 1
                end = k
            } else if (c == 0x20 || c == UInt8(ascii: "-")) && k + 1 < t.count && t[k + 1] >= 0x30 && t[k + 1] <= 0x39 && count > 0 {
                k += 1
            } else {
                break
            }
        }
        return (count, end)
    }

    static func card(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        var d = InlineArray<20, UInt8>(repeating: 0)
        let (count, end) = digits(t, i, into: &d)
        guard count >= 13 && count <= 19, end == t.count || !isAlnum(t[end]) else { return nil }
        let p2 = Int(d[0]) * 10 + Int(d[1])
        let p4 = p2 * 100 + Int(d[2]) * 10 + Int(d[3])
        let issuer = (d[0] == 4 && (count == 13 || count == 16 || count == 19))  // Visa
            || ((51...55).contains(p2) || (2221...2720).contains(p4)) && count == 16  // Mastercard
            || (p2 == 34 || p2 == 37) && count == 15  // American Express
            || (p4 == 6011 || p2 == 65 || (6440...6499).contains(p4)) && count >= 16  // Discover
            || (3528...3589).contains(p4) && count >= 16  // JCB
            || (p2 == 36 || p2 == 38 || (3000...3059).contains(p4)) && count == 14  // Diners
            || (p2 == 62 || p2 == 81) && count >= 16  // UnionPay
        guard issuer else { return nil }
        // Luhn: double every second digit from the right.
        var sum = 0
        for k in 0..<count {
            var v = Int(d[count - 1 - k])
            if k % 2 == 1 { v *= 2; if v > 9 { v -= 9 } }
            sum += v
        }
        guard sum % 10 == 0 else { return nil }
        return Match(type: "payment-card", start: i, length: end - i)
    }

    static func ssn(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard i + 11 <= t.count, t[i + 3] == UInt8(ascii: "-"), t[i + 6] == UInt8(ascii: "-") else { return nil }
        var v = (0, 0, 0)
        for k in i..<(i + 11) where k != i + 3 && k != i + 6 {
            guard t[k] >= 0x30 && t[k] <= 0x39 else { return nil }
            let d = Int(t[k] - 0x30)
            if k < i + 3 { v.0 = v.0 * 10 + d } else if k < i + 6 { v.1 = v.1 * 10 + d } else { v.2 = v.2 * 10 + d }
        }
        guard i + 11 == t.count || !isAlnum(t[i + 11]) else { return nil }
        guard v.0 != 0 && v.0 != 666 && v.0 < 900 && v.1 != 0 && v.2 != 0 else { return nil }
        return Match(type: "us-ssn", start: i, length: 11)
    }

    static func iban(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard i + 15 <= t.count, t[i + 1] >= 0x41 && t[i + 1] <= 0x5A, isDigit(t[i + 2]), isDigit(t[i + 3]) else { return nil }
        guard let expected = ibanLength(t[i], t[i + 1]) else { return nil }
        // Characters (upper-case letters and digits), single spaces allowed between groups.
        var chars = InlineArray<34, UInt8>(repeating: 0)
        var count = 0
        var k = i
        var end = i
        while k < t.count && count < 34 {
            let c = t[k]
            if isDigit(c) || (c >= 0x41 && c <= 0x5A) {
                chars[count] = c
                count += 1
                k += 1
                end = k
            } else if c == 0x20 && k + 1 < t.count && isAlnum(t[k + 1]) && count % 4 == 0 {
                k += 1
            } else {
                break
            }
        }
        guard count == expected, end == t.count || !isAlnum(t[end]) else { return nil }
        // Mod 97 of the rearranged number (country and check digits moved to the end).
        var r = 0
        for j in 0..<count {
            let c = chars[(j + 4) % count]
            if isDigit(c) {
                r = (r * 10 + Int(c - 0x30)) % 97
            } else {
                r = (r * 100 + Int(c - 0x41 + 10)) % 97
            }
        }
        guard r == 1 else { return nil }
        return Match(type: "iban", start: i, length: end - i)
    }

    static func ibanLength(_ a: UInt8, _ b: UInt8) -> Int? {
        switch (a, b) {
        case (UInt8(ascii: "D"), UInt8(ascii: "E")): 22
        case (UInt8(ascii: "F"), UInt8(ascii: "R")), (UInt8(ascii: "I"), UInt8(ascii: "T")), (UInt8(ascii: "M"), UInt8(ascii: "C")): 27
        case (UInt8(ascii: "G"), UInt8(ascii: "B")), (UInt8(ascii: "I"), UInt8(ascii: "E")): 22
        case (UInt8(ascii: "E"), UInt8(ascii: "S")), (UInt8(ascii: "S"), UInt8(ascii: "E")), (UInt8(ascii: "S"), UInt8(ascii: "K")),
             (UInt8(ascii: "C"), UInt8(ascii: "Z")), (UInt8(ascii: "R"), UInt8(ascii: "O")): 24
        case (UInt8(ascii: "N"), UInt8(ascii: "L")): 18
        case (UInt8(ascii: "B"), UInt8(ascii: "E")): 16
        case (UInt8(ascii: "C"), UInt8(ascii: "H")), (UInt8(ascii: "L"), UInt8(ascii: "I")): 21
        case (UInt8(ascii: "A"), UInt8(ascii: "T")), (UInt8(ascii: "L"), UInt8(ascii: "U")), (UInt8(ascii: "E"), UInt8(ascii: "E")): 20
        case (UInt8(ascii: "P"), UInt8(ascii: "L")), (UInt8(ascii: "H"), UInt8(ascii: "U")): 28
        case (UInt8(ascii: "P"), UInt8(ascii: "T")): 25
        case (UInt8(ascii: "D"), UInt8(ascii: "K")), (UInt8(ascii: "F"), UInt8(ascii: "I")), (UInt8(ascii: "F"), UInt8(ascii: "O")): 18
        case (UInt8(ascii: "N"), UInt8(ascii: "O")): 15
        case (UInt8(ascii: "G"), UInt8(ascii: "R")): 27
        default: nil
        }
    }

    /// Two letters (not D, F, I, Q, U, V first; not D, F, I, O, Q, U, V second; not BG, GB,
    /// KN, NK, NT, TN, ZZ), six digits and A–D; spaces between pairs allowed.
    static func nino(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        var c = InlineArray<9, UInt8>(repeating: 0)
        var count = 0
        var k = i
        while k < t.count && count < 9 {
            let b = t[k]
            if b == 0x20 && count >= 2 && count % 2 == 0 && count < 8 { k += 1; continue }
            guard isAlnum(b) else { break }
            c[count] = b
            count += 1
            k += 1
        }
        guard count == 9, k == t.count || !isAlnum(t[k]) else { return nil }
        let a = c[0], b = c[1]
        guard a >= 0x41 && a <= 0x5A && b >= 0x41 && b <= 0x5A else { return nil }
        guard !"DFIQUV".utf8.contains(a), !"DFIOQUV".utf8.contains(b) else { return nil }
        for bad: (UInt8, UInt8) in [(66, 71), (71, 66), (75, 78), (78, 75), (78, 84), (84, 78), (90, 90)] where bad == (a, b) {
            return nil
        }
        for j in 2..<8 where !isDigit(c[j]) { return nil }
        guard c[8] >= 0x41 && c[8] <= 0x44 else { return nil }
        return Match(type: "uk-nino", start: i, length: k - i)
    }

    static func phone(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard i == 0 || !isAlnum(t[i - 1]), i + 1 < t.count, isDigit(t[i + 1]), t[i + 1] != UInt8(ascii: "0") else { return nil }
        var count = 0
        var k = i + 1
        var end = k
        while k < t.count {
            let c = t[k]
            if isDigit(c) {
                count += 1; k += 1; end = k
            } else if (c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "(")
                || c == UInt8(ascii: ")")) && k + 1 < t.count
                && (isDigit(t[k + 1]) || t[k + 1] == UInt8(ascii: "(")
                    || (c == UInt8(ascii: ")") && t[k + 1] == 0x20 && k + 2 < t.count && isDigit(t[k + 2]))) {
                k += 1
            } else {
                break
            }
        }
        guard count >= 8 && count <= 15, end == t.count || !isAlnum(t[end]) else { return nil }
        return Match(type: "phone", start: i, length: end - i)
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool { AISecretScanner.isAlnum(c) }
    @inline(__always) static func isLocal(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "%") || c == UInt8(ascii: "+")
            || c == UInt8(ascii: "-")
    }
}
