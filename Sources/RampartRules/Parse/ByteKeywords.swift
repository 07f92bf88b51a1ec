/// `byte_test`, `byte_jump`, `byte_extract`, `byte_math`, `isdataat`, `base64_decode`:
/// keywords that read numbers or positions from the buffer. Without a sticky buffer, a
/// relative one goes to the buffer of the match before it, else to the payload.
extension RuleBuilder {
    /// The comma-separated arguments of a value, blanks trimmed (cut on UTF-8 bytes).
    static func arguments(_ text: String) -> [String] {
        text.utf8.split(separator: 0x2C, omittingEmptySubsequences: false).map { part in
            var lo = part.startIndex, hi = part.endIndex
            while lo < hi, part[lo] == 0x20 || part[lo] == 0x09 { lo = part.index(after: lo) }
            while hi > lo, part[part.index(before: hi)] == 0x20 || part[part.index(before: hi)] == 0x09 { hi = part.index(before: hi) }
            return String(text[lo..<hi])
        }
    }

    /// The inspection a byte keyword or `isdataat` goes to.
    mutating func inspectionForPositional(relative: Bool) -> Int {
        if hasSticky { return currentInspection() }
        if relative, let p = lastStep(of: [.content, .pcre, .byteKeyword, .isDataAt]) { return p.inspection }
        return inspection(for: .payload, transforms: [], reuse: true)
    }

    /// Reads `big|little|dce|string|dec|hex|oct` flags into `reading`; returns false for other words.
    mutating func readingFlag(_ word: String, _ reading: inout ByteReading, base: inout NumberBase?) throws(RuleProblem) -> Bool {
        switch word.lowercased() {
        case "big": reading.endian = .big
        case "little": reading.endian = .little
        case "dce":
            try requireApplication(.dcerpc, for: "\(keyword) with dce")
            reading.endian = .dce
        case "string": if reading.stringBase == nil { reading.stringBase = .decimal }
        case "dec": base = .decimal
        case "hex": base = .hexadecimal
        case "oct": base = .octal
        default: return false
        }
        return true
    }

    func finishReading(_ reading: inout ByteReading, base: NumberBase?) throws(RuleProblem) {
        if let base {
            guard reading.stringBase != nil else { throw problem(.conflict, "a base (dec, hex, oct) needs 'string'") }
            reading.stringBase = base
        }
        if case .literal(let n) = reading.count {
            let limit: Int64 = reading.stringBase == nil ? 8 : 23
            // Suricata 7 accepts 0 (see `ByteReading.count`).
            guard n >= 0, n <= limit else {
                throw problem(.invalidValue, reading.stringBase == nil
                    ? "can read up to 8 bytes without 'string', not \(n)"
                    : "can read up to 23 digits with 'string', not \(n)")
            }
        }
    }

    func bitmask(_ text: String) throws(RuleProblem) -> UInt32 {
        UInt32(try number(text, what: "bitmask", range: 0...Int64(UInt32.max)))
    }

    mutating func byteTest(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count >= 4 else { throw problem(.invalidValue, "expected COUNT,[!]OPERATOR,VALUE,OFFSET[,flags]") }
        var reading = ByteReading(count: try value(args[0], what: "the byte count", range: 0...23))
        var opText = Substring(args[1])
        var negated = false
        if opText.first == "!" { negated = true; opText = opText.dropFirst(); opText = Substring(String(opText).trimmingBlanks) }
        let op: ByteTest.Operator
        if opText.isEmpty && negated { op = .equal } else {
            guard let o = ByteTest.Operator(rawValue: String(opText)) else {
                throw problem(.invalidValue, "unknown operator '\(args[1])' (expected < > = <= >= & ^, with ! before to negate)")
            }
            op = o
        }
        let testValue = try value(args[2], what: "the test value", range: Int64.min...Int64.max)
        let offset = try value(args[3], what: "the offset", range: Int64(Int32.min)...Int64(Int32.max))
        var t = ByteTest(reading: reading, op: op, negated: negated, value: testValue, offset: offset)
        var base: NumberBase?
        for a in args.dropFirst(4) {
            if a == "relative" { t.relative = true; continue }
            if try readingFlag(a, &reading, base: &base) { continue }
            if a.lowercased().hasPrefix("bitmask") {
                t.bitmask = try bitmask(String(a.dropFirst("bitmask".count)))
                continue
            }
            throw problem(.invalidValue, "unknown option '\(a)' (relative, big, little, dce, string, dec, hex, oct, bitmask N)")
        }
        try finishReading(&reading, base: base)
        t.reading = reading
        let i = inspectionForPositional(relative: t.relative)
        append(.byteTest(t), to: i)
    }

    mutating func byteJump(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count >= 2 else { throw problem(.invalidValue, "expected COUNT,OFFSET[,flags]") }
        var reading = ByteReading(count: try value(args[0], what: "the byte count", range: 0...23))
        let offset = try value(args[1], what: "the offset", range: -65535...65535)
        var j = ByteJump(reading: reading, offset: offset)
        var base: NumberBase?
        for a in args.dropFirst(2) {
            let lower = a.lowercased()
            switch lower {
            case "relative": j.relative = true
            case "align": j.align = true
            case "from_beginning":
                if j.origin == .end { throw problem(.conflict, "from_beginning and from_end cannot go together") }
                j.origin = .beginning
            case "from_end":
                if j.origin == .beginning { throw problem(.conflict, "from_beginning and from_end cannot go together") }
                j.origin = .end
            default:
                if try readingFlag(a, &reading, base: &base) { continue }
                if lower.hasPrefix("multiplier ") {
                    j.multiplier = Int(try number(String(a.dropFirst(11)), what: "multiplier", range: 1...65535))
                } else if lower.hasPrefix("post_offset ") {
                    j.postOffset = Int(try number(String(a.dropFirst(12)), what: "post_offset", range: -65535...65535))
                } else {
                    throw problem(.invalidValue, "unknown option '\(a)' (relative, multiplier N, big, little, dce, string, dec, hex, oct, align, from_beginning, from_end, post_offset N)")
                }
            }
        }
        try finishReading(&reading, base: base)
        j.reading = reading
        let i = inspectionForPositional(relative: j.relative)
        append(.byteJump(j), to: i)
    }

    mutating func byteExtract(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count >= 3 else { throw problem(.invalidValue, "expected COUNT,OFFSET,NAME[,flags]") }
        var reading = ByteReading(count: .literal(try number(args[0], what: "the byte count", range: 1...23)))
        let offset = Int(try number(args[1], what: "the offset", range: -65535...65535))
        let name = args[2]
        var e = ByteExtract(reading: reading, offset: offset, variable: 0)
        var base: NumberBase?
        for a in args.dropFirst(3) {
            let lower = a.lowercased()
            if lower == "relative" { e.relative = true; continue }
            if try readingFlag(a, &reading, base: &base) { continue }
            if lower.hasPrefix("multiplier ") {
                e.multiplier = Int(try number(String(a.dropFirst(11)), what: "multiplier", range: 1...65535))
            } else if lower.hasPrefix("align ") {
                let n = Int(try number(String(a.dropFirst(6)), what: "align", range: 2...4))
                guard n == 2 || n == 4 else { throw problem(.invalidValue, "align must be 2 or 4") }
                e.align = n
            } else {
                throw problem(.invalidValue, "unknown option '\(a)' (relative, multiplier N, big, little, dce, string, dec, hex, oct, align N)")
            }
        }
        try finishReading(&reading, base: base)
        if reading.stringBase == .hexadecimal, case .literal(let n) = reading.count, n > 14 {
            throw problem(.invalidValue, "can extract at most 14 hexadecimal digits")
        }
        e.reading = reading
        e.variable = try defineVariable(name)
        let i = inspectionForPositional(relative: e.relative)
        append(.byteExtract(e), to: i)
    }

    mutating func byteMath(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        var count: Int64?, offset: Int64?, op: ByteMath.Operator?, rvalue: String?, result: String?
        var reading = ByteReading(count: .literal(1))
        var relative = false
        var mask: UInt32?
        var base: NumberBase?
        for a in args {
            let parts = a.split(separator: " ", maxSplits: 1).map { String($0).trimmingBlanks }
            guard let first = parts.first else { throw problem(.invalidValue, "an empty option between commas") }
            let key = first.lowercased(), val = parts.count > 1 ? parts[1] : ""
            switch key {
            case "bytes": count = try number(val, what: "bytes", range: 1...10)
            case "offset": offset = try number(val, what: "offset", range: -65535...65535)
            case "oper":
                guard let o = ByteMath.Operator(rawValue: val) else { throw problem(.invalidValue, "unknown oper '\(val)' (+ - * / << >>)") }
                op = o
            case "rvalue": rvalue = val
            case "result": result = val
            case "relative": relative = true
            case "endian":
                guard try readingFlag(val, &reading, base: &base), val != "string" else { throw problem(.invalidValue, "endian must be big, little or dce") }
            case "dce": _ = try readingFlag("dce", &reading, base: &base)
            case "string":
                reading.stringBase = .decimal
                if !val.isEmpty { guard try readingFlag(val, &reading, base: &base) else { throw problem(.invalidValue, "string base must be dec, hex or oct") } }
            case "bitmask": mask = try bitmask(val)
            default: throw problem(.invalidValue, "unknown option '\(a)' (bytes, offset, oper, rvalue, result, relative, endian, dce, string, bitmask)")
            }
        }
        guard let count, let offset, let op, let rvalue, let result else {
            throw problem(.invalidValue, "needs bytes, offset, oper, rvalue and result")
        }
        reading.count = .literal(count)
        try finishReading(&reading, base: base)
        let rv = try value(rvalue, what: "rvalue", range: 0...Int64(UInt32.max))
        var m = ByteMath(reading: reading, offset: Int(offset), op: op, rvalue: rv, variable: 0)
        m.relative = relative
        m.bitmask = mask
        m.variable = try defineVariable(result)
        let i = inspectionForPositional(relative: relative)
        append(.byteMath(m), to: i)
    }

    mutating func isDataAt(_ raw: String?) throws(RuleProblem) {
        var text = Substring(try requireValue(raw))
        var negated = false
        if text.first == "!" { negated = true; text = text.dropFirst() }
        let args = RuleBuilder.arguments(String(text))
        guard !args.isEmpty, !args[0].isEmpty else { throw problem(.invalidValue, "expected [!]N[,relative]") }
        var d = IsDataAt(position: try value(args[0], what: "the position", range: 0...65535))
        d.negated = negated
        for a in args.dropFirst() {
            switch a {
            case "relative": d.relative = true
            case "rawbytes": break
            default: throw problem(.invalidValue, "unknown option '\(a)' (relative, rawbytes)")
            }
        }
        // `isdataat:!1,relative` right after a content is Suricata's "ends with".
        if d.relative && d.negated && d.position == .literal(1),
           let p = hasSticky ? lastStep(of: [.content, .pcre]) : lastStep(of: [.content, .pcre, .byteKeyword, .isDataAt]),
           rule.inspections[p.inspection].steps[p.step].content != nil {
            var c = content(at: p)
            c.endsWith = true
            setContent(c, at: p)
            return
        }
        let i = inspectionForPositional(relative: d.relative)
        append(.isDataAt(d), to: i)
    }

    mutating func base64Decode(_ raw: String?) throws(RuleProblem) {
        var d = Base64Decode()
        if let raw, !raw.trimmingBlanks.isEmpty {
            for a in RuleBuilder.arguments(raw) {
                let parts = a.split(separator: " ", maxSplits: 1).map { String($0).trimmingBlanks }
                switch parts.first ?? "" {
                case "bytes" where parts.count == 2: d.bytes = Int(try number(parts[1], what: "bytes", range: 1...65535))
                case "offset" where parts.count == 2: d.offset = Int(try number(parts[1], what: "offset", range: 0...65535))
                case "relative": d.relative = true
                default: throw problem(.invalidValue, "unknown option '\(a)' (bytes N, offset N, relative)")
                }
            }
        }
        let i = inspectionForPositional(relative: d.relative)
        append(.base64Decode(d), to: i)
    }
}
