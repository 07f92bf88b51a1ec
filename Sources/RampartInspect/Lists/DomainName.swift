/// The normal form of a listed domain name, as the store holds it: ASCII, lower case, no
/// trailing dot, Unicode labels as IDNA A-labels.
///
/// Rules, applied when lists are loaded (lookups fold case as they hash and need no copy):
/// - a leading `*.` or `.` is dropped (`*.example.com`, `.example.com`: every entry already
///   covers its subdomains), and one trailing dot;
/// - ASCII letters are lowered; labels hold letters, digits, `-` and `_` (real lists carry
///   `_` in names such as `my_site.tripod.com`), 1 to 63 bytes; a name holds at most 253;
/// - the last label may not be all digits (`10.0.0.256` is a bad address, not a name);
/// - a label with non-ASCII characters is lowered (Unicode case mapping), put in NFC, checked
///   (letters, marks and digits of any script, and `-`) and written as `xn--` + Punycode:
///   `Bücher.example` → `xn--bcher-kva.example`. The ideographic full stops `。．｡` separate
///   labels as `.` does. This is IDNA2008's shape without UTS #46's full mapping table.
///
/// ```swift
/// DomainName.normalize("WWW.Example.COM.")   // .success("www.example.com")
/// DomainName.normalize("пример.рф")          // .success("xn--e1afmkfd.xn--p1ai")
/// DomainName.normalize("exa mple.com")       // .failure(.badCharacter(0x20))
/// ```
public enum DomainName {
    public static let maximumLength = 253
    public static let maximumLabelLength = 63

    /// Writes the normal form of `bytes` into `out` (replacing its contents); nil when it is
    /// valid, else the problem. ASCII input takes a fast path with no other allocation.
    public static func normalize(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) -> IndicatorListProblem? {
        out.removeAll(keepingCapacity: true)
        var start = 0
        var end = bytes.count
        if end - start >= 2 && bytes[0] == 0x2A && bytes[1] == 0x2E {
            start = 2
        } else if end - start >= 1 && bytes[0] == 0x2E {
            start = 1
        }
        if end > start && bytes[end - 1] == 0x2E { end -= 1 }
        guard end > start else { return .emptyName }
        var labelLength = 0
        var labelAllDigits = true
        for i in start..<end {
            let b = bytes[i]
            if b >= 0x80 { return normalizeUnicode(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), into: &out) }
            if b == 0x2E {
                if labelLength == 0 { return .emptyLabel }
                labelLength = 0
                labelAllDigits = true
                out.append(b)
                continue
            }
            let lower = IndicatorHash.folded(b)
            let isDigit = lower &- 0x30 < 10
            guard lower &- 0x61 < 26 || isDigit || lower == 0x2D || lower == 0x5F else {
                return .badCharacter(UInt32(b))
            }
            labelLength += 1
            if !isDigit { labelAllDigits = false }
            if labelLength > maximumLabelLength { return .labelTooLong(labelLengthAt(bytes, from: i - labelLength + 1, end: end)) }
            out.append(lower)
        }
        if labelLength == 0 { return .emptyLabel }
        if out.count > maximumLength { return .nameTooLong(out.count) }
        if labelAllDigits { return .numericTopLabel }
        return nil
    }

    /// The normal form of a name as text, or the problem.
    public static func normalize(_ text: String) -> Result<String, IndicatorListProblem> {
        var out: [UInt8] = []
        var copy = text
        let problem = copy.withUTF8 { normalize(UnsafeRawBufferPointer($0), into: &out) }
        if let problem { return .failure(problem) }
        return .success(String(decoding: out, as: UTF8.self))
    }

    private static func labelLengthAt(_ bytes: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
        var i = from
        while i < end && bytes[i] != 0x2E { i += 1 }
        return i - from
    }

    /// The slow path: a name with non-ASCII bytes.
    static func normalizeUnicode(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) -> IndicatorListProblem? {
        out.removeAll(keepingCapacity: true)
        guard let text = String(validating: bytes, as: UTF8.self) else { return .notUTF8 }
        var labels: [[Unicode.Scalar]] = [[]]
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x2E, 0x3002, 0xFF0E, 0xFF61: labels.append([])
            default: labels[labels.count - 1].append(scalar)
            }
        }
        // A trailing full stop written in another script.
        if labels.count > 1 && labels[labels.count - 1].isEmpty { labels.removeLast() }
        for (index, label) in labels.enumerated() {
            guard !label.isEmpty else { return labels.count == 1 ? .emptyName : .emptyLabel }
            if index > 0 { out.append(0x2E) }
            if label.allSatisfy({ $0.isASCII }) {
                for scalar in label {
                    let lower = IndicatorHash.folded(UInt8(scalar.value))
                    guard lower &- 0x61 < 26 || lower &- 0x30 < 10 || lower == 0x2D || lower == 0x5F else {
                        return .badCharacter(scalar.value)
                    }
                    out.append(lower)
                }
                if label.count > maximumLabelLength { return .labelTooLong(label.count) }
                continue
            }
            var unicodeLabel = ""
            unicodeLabel.unicodeScalars.append(contentsOf: label)
            // Unicode's case mapping, then NFC (the standard library's own normaliser, the
            // one String comparison uses).
            let folded = String(decoding: unicodeLabel.lowercased()._nfcCodeUnits, as: UTF8.self)
            let scalars = Array(folded.unicodeScalars)
            for scalar in scalars where !isAllowedInLabel(scalar) { return .badCharacter(scalar.value) }
            guard let encoded = Punycode.encode(scalars) else { return .idna }
            let aLabel = Array(("xn--" + encoded).utf8)
            if aLabel.count > maximumLabelLength { return .labelTooLong(aLabel.count) }
            out.append(contentsOf: aLabel)
        }
        if out.count > maximumLength { return .nameTooLong(out.count) }
        if let last = labels.last, last.allSatisfy({ $0.value &- 0x30 < 10 }) { return .numericTopLabel }
        return nil
    }

    /// Letters, marks and digits of any script, and the ASCII a label may hold.
    static func isAllowedInLabel(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let b = UInt8(scalar.value)
            return b &- 0x61 < 26 || b &- 0x30 < 10 || b == 0x2D || b == 0x5F
        }
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber:
            return true
        default:
            return false
        }
    }
}
