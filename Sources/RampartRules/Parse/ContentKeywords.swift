/// `content` and its modifiers: `nocase`, `offset`, `depth`, `distance`, `within`,
/// `startswith`, `endswith`, `fast_pattern`, `rawbytes`, with Suricata 7's checks.
extension RuleBuilder {
    /// Suricata's limit for offset/depth/distance/within values (DETECT_CONTENT_VALUE_MAX).
    static let contentValueMax: Int64 = 1 << 20

    /// Decodes a content string: `|41 42|` hex, `\"` `\;` `\\` `\:` escapes.
    static func contentBytes(_ text: String) -> Result<[UInt8], FieldError> {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var hex = false
        var escape = false
        var nibble: UInt8?
        for b in text.utf8 {
            if hex {
                if b == UInt8(ascii: "|") {
                    if nibble != nil { return .failure("incomplete hex byte before '|'") }
                    hex = false
                    continue
                }
                if b == 0x20 || b == UInt8(ascii: ",") { if nibble != nil { return .failure("hex bytes must be two digits") }; continue }
                let v: UInt8
                switch b {
                case 0x30...0x39: v = b - 0x30
                case 0x41...0x46: v = b - 0x41 + 10
                case 0x61...0x66: v = b - 0x61 + 10
                default: return .failure("'\(Character(Unicode.Scalar(b)))' is not a hex digit inside |...|")
                }
                if let hi = nibble { out.append(hi << 4 | v); nibble = nil } else { nibble = v }
                continue
            }
            if escape {
                guard b == UInt8(ascii: "\"") || b == UInt8(ascii: ";") || b == UInt8(ascii: "\\") || b == UInt8(ascii: ":") else {
                    return .failure("'\\\(Character(Unicode.Scalar(b)))' is not an escape; only \\\" \\; \\: and \\\\ are (use |..| hex for other bytes)")
                }
                out.append(b)
                escape = false
                continue
            }
            switch b {
            case UInt8(ascii: "\\"): escape = true
            case UInt8(ascii: "|"): hex = true
            case UInt8(ascii: "\""): return .failure("an unescaped '\"' inside the content (write \\\")")
            case UInt8(ascii: ";"): return .failure("an unescaped ';' inside the content (write \\;)")
            default: out.append(b)
            }
        }
        if hex { return .failure("a '|' hex section is not closed") }
        if escape { return .failure("the content ends with a lone '\\'") }
        if out.isEmpty { return .failure("the content is empty") }
        if out.count > 65535 { return .failure("the content is longer than 65535 bytes") }
        return .success(out)
    }

    mutating func content(_ raw: String?) throws(RuleProblem) {
        let (text, negated) = try quotedValue(raw, mandatory: true, negation: true)
        let bytes: [UInt8]
        switch RuleBuilder.contentBytes(text) {
        case .success(let b): bytes = b
        case .failure(let e): throw problem(.invalidValue, e.message)
        }
        if !negated, case .pending(_, let ts, _) = active {
            for t in ts { if let why = t.refusal(for: bytes) { throw problem(.conflict, why) } }
        }
        var c = ContentMatch(bytes: bytes)
        c.negated = negated
        let i = currentInspection()
        append(.content(c), to: i)
    }

    mutating func nocase() throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        if c.nocase { throw problem(.conflict, "the content already has nocase") }
        c.nocase = true
        setContent(c, at: p)
    }

    mutating func rawbytes() throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        if rule.inspections[p.inspection].buffer != .payload {
            throw problem(.conflict, "rawbytes applies only to payload content")
        }
        c.rawBytes = true
        setContent(c, at: p)
    }

    private func checkNotFastPatternOnly(_ c: ContentMatch) throws(RuleProblem) {
        if c.fastPattern == .only { throw problem(.conflict, "cannot go with fast_pattern:only on the same content") }
        if c.negated && c.fastPattern != .none { throw problem(.conflict, "a negated content with fast_pattern cannot have position modifiers") }
    }

    mutating func offsetOrDepth(_ raw: String?, isDepth: Bool) throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        let name = isDepth ? "depth" : "offset"
        if (isDepth && c.depth != nil) || (!isDepth && c.offset != nil) { throw problem(.conflict, "the content already has a \(name)") }
        if c.startsWith { throw problem(.conflict, "cannot go with startswith on the same content") }
        if c.isRelative { throw problem(.conflict, "\(name) (absolute) cannot go with distance/within (relative) on the same content") }
        try checkNotFastPatternOnly(c)
        let v = try value(try requireValue(raw), what: name, range: 0...65535)
        if isDepth, case .literal(let d) = v, d < c.bytes.count {
            throw problem(.invalidValue, "depth \(d) is smaller than the content's \(c.bytes.count) bytes, so it can never match")
        }
        if isDepth { c.depth = v } else { c.offset = v }
        setContent(c, at: p)
    }

    mutating func distanceOrWithin(_ raw: String?, isWithin: Bool) throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        let name = isWithin ? "within" : "distance"
        if (isWithin && c.within != nil) || (!isWithin && c.distance != nil) { throw problem(.conflict, "the content already has a \(name)") }
        if c.offset != nil || c.depth != nil || c.startsWith {
            throw problem(.conflict, "\(name) (relative) cannot go with offset/depth/startswith (absolute) on the same content")
        }
        try checkNotFastPatternOnly(c)
        let v = try value(try requireValue(raw), what: name, range: -RuleBuilder.contentValueMax...RuleBuilder.contentValueMax)
        if isWithin, case .literal(let w) = v, w < c.bytes.count {
            throw problem(.invalidValue, "within \(w) is smaller than the content's \(c.bytes.count) bytes, so it can never match")
        }
        if let prev = previousMatch(in: p.inspection, before: p.step),
           case .content(let pc) = rule.inspections[p.inspection].steps[prev], pc.fastPattern == .only {
            throw problem(.conflict, "the previous content has fast_pattern:only; no relative keyword may follow it")
        }
        if isWithin { c.within = v } else { c.distance = v }
        setContent(c, at: p)
    }

    mutating func startswith() throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        if c.depth != nil || c.startsWith { throw problem(.conflict, "the content already has a depth or startswith") }
        if c.offset != nil { throw problem(.conflict, "cannot go with offset on the same content") }
        if c.isRelative { throw problem(.conflict, "cannot go with distance/within on the same content") }
        try checkNotFastPatternOnly(c)
        c.startsWith = true
        setContent(c, at: p)
    }

    mutating func endswith() throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        c.endsWith = true
        setContent(c, at: p)
    }

    mutating func fastPattern(_ raw: String?) throws(RuleProblem) {
        let p = try lastContent()
        var c = content(at: p)
        if c.negated && (c.isRelative || c.offset != nil || c.depth != nil) {
            throw problem(.conflict, "cannot be used on a negated content that has position modifiers")
        }
        if c.fastPattern != .none { throw problem(.conflict, "the content already has fast_pattern") }
        let arg = raw?.trimmingBlanks ?? ""
        if arg.isEmpty {
            for insp in rule.inspections {
                for s in insp.steps { if let o = s.content, o.fastPattern != .none { throw problem(.conflict, "only one content of a rule may have fast_pattern") } }
            }
            c.fastPattern = .chosen
        } else if arg == "only" {
            if c.negated || c.isRelative || c.offset != nil || c.depth != nil {
                throw problem(.conflict, "fast_pattern:only cannot be used on a negated content or with distance, within, offset or depth")
            }
            c.fastPattern = .only
        } else {
            let parts = arg.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingBlanks }
            guard parts.count == 2, let o = Int(parts[0]), let l = Int(parts[1]), o >= 0, l > 0, o <= 65535, l <= 65535 else {
                throw problem(.invalidValue, "expected fast_pattern, fast_pattern:only or fast_pattern:OFFSET,LENGTH; found '\(arg.prefix(40))'")
            }
            guard o + l <= c.bytes.count else {
                throw problem(.invalidValue, "fast_pattern:\(o),\(l) runs past the content's \(c.bytes.count) bytes")
            }
            c.fastPattern = .chop(offset: o, length: l)
        }
        setContent(c, at: p)
    }

    /// A value that must (or may) be double-quoted, with `!` before it when `negation`.
    func quotedValue(_ raw: String?, mandatory: Bool, negation: Bool) throws(RuleProblem) -> (String, Bool) {
        var v = Substring(try requireValue(raw))
        var negated = false
        if negation, v.first == "!" {
            negated = true
            v = v.dropFirst()
            while v.first == " " || v.first == "\t" { v = v.dropFirst() }
        }
        if v.first == "\"" {
            guard v.count >= 2, v.last == "\"" else {
                throw problem(.syntax, "the value opens a '\"' it does not close (a missing ';' or an unescaped quote?)")
            }
            v = v.dropFirst().dropLast()
            if v.isEmpty { throw problem(.invalidValue, "the value is empty") }
        } else if mandatory {
            throw problem(.syntax, "the value must be double-quoted")
        }
        return (String(v), negated)
    }

    func requireValue(_ raw: String?) throws(RuleProblem) -> String {
        guard let raw, !raw.trimmingBlanks.isEmpty else { throw problem(.syntax, "needs a value (\(keyword):VALUE;)") }
        return raw.trimmingBlanks
    }
}
