import CPCRE2

/// `pcre:[!]"/EXPRESSION/FLAGS"` — PCRE flags `i m s x A E G`, Suricata's `R` (relative),
/// `O` (configured match limits), `B` (raw bytes, no effect), and the buffer flags that put the
/// expression on an HTTP buffer: `U` uri, `I` raw uri, `H` header, `D` raw header, `M` method,
/// `C` cookie, `P` request body, `Q` file data, `S` status code, `Y` status message,
/// `V` user agent, `W` host, `Z` raw host. Suricata 7 has no `K` (Snort's raw cookie).
extension RuleBuilder {
    static let pcreBufferFlags: [Character: InspectionBuffer] = [
        "U": .httpURI, "I": .httpURIRaw, "H": .httpHeader, "D": .httpHeaderRaw, "M": .httpMethod,
        "C": .httpCookie, "P": .httpRequestBody, "Q": .fileData, "S": .httpStatCode, "Y": .httpStatMessage,
        "V": .httpUserAgent, "W": .httpHost, "Z": .httpHostRaw,
    ]

    mutating func pcre(_ raw: String?) throws(RuleProblem) {
        let (text, negated) = try quotedValue(raw, mandatory: false, negation: true)
        guard text.first == "/", let last = text.lastIndex(of: "/"), last != text.startIndex else {
            throw problem(.invalidValue, "expected \"/EXPRESSION/FLAGS\"")
        }
        let expression = String(text[text.index(after: text.startIndex)..<last])
        let flags = text[text.index(after: last)...]
        if expression.isEmpty { throw problem(.invalidValue, "the expression between the slashes is empty") }
        var m = PCREMatch(expression: expression)
        m.negated = negated
        var buffer: InspectionBuffer?
        for f in flags {
            switch f {
            case "i": m.caseless = true
            case "m": m.multiline = true
            case "s": m.dotAll = true
            case "x": m.extended = true
            case "A": m.anchored = true
            case "E": m.dollarEndOnly = true
            case "G": m.ungreedy = true
            case "O": m.overrideMatchLimits = true
            case "R": m.relative = true
            case "B":
                if hasSticky || buffer != nil { throw problem(.conflict, "flag 'B' (raw bytes) does not go with a buffer") }
                m.rawBytes = true
            default:
                guard let b = RuleBuilder.pcreBufferFlags[f] else {
                    throw problem(.invalidValue, "unknown flag '\(f)' (Suricata 7: i m s x A E G R O B U I H D M C P Q S Y V W Z)")
                }
                if buffer != nil { throw problem(.conflict, "only one buffer flag may be given (found '\(f)' after another)") }
                if m.rawBytes && f != "D" && f != "P" && f != "Q" && f != "Y" && f != "S" { throw problem(.conflict, "flag '\(f)' does not go with 'B'") }
                buffer = b
            }
        }
        if buffer == .httpHost && !m.caseless && RuleBuilder.hasUppercase(expression) {
            throw problem(.conflict, "the host buffer (W) is lower-cased; write the expression in lower case")
        }
        if let problemText = RuleBuilder.compileCheck(m) { throw problem(.regex, problemText) }

        let i: Int
        if hasSticky {
            if let b = buffer {
                let current: InspectionBuffer
                switch active {
                case .pending(let pb, _, _): current = pb
                case .open(let oi): current = rule.inspections[oi].buffer
                case .none: current = .payload
                }
                if b.list != current.list {
                    throw problem(.conflict, "flag for \(b.rawValue) inside the sticky buffer \(current.rawValue); reset with pkt_data or use the \(b.rawValue) sticky buffer")
                }
            }
            i = currentInspection()
        } else if let b = buffer {
            // Suricata makes the rule an HTTP/1 rule for every buffer flag.
            try requireApplication(.http1, for: "pcre flag for \(b.rawValue)")
            i = inspection(for: b, transforms: [], reuse: true)
        } else {
            i = inspection(for: .payload, transforms: [], reuse: true)
        }
        if m.relative && !hasSticky && rule.inspections[i].steps.lastIndex(where: { $0.content != nil || { if case .pcre = $0 { return true }; return false }($0) }) == nil {
            throw problem(.conflict, "a relative pcre (R) needs a content or pcre before it in the same buffer")
        }
        append(.pcre(m), to: i)
    }

    static func hasUppercase(_ re: String) -> Bool {
        var meta = false, hex = 0
        for b in re.utf8 {
            if hex > 0 { hex -= 1; continue }
            if meta { meta = false; if b == UInt8(ascii: "x") { hex = 2 }; continue }
            if b == UInt8(ascii: "\\") { meta = true } else if b >= 0x41 && b <= 0x5A { return true }
        }
        return false
    }

    /// Compiles the expression with PCRE2 as Suricata does (no auto-capture unless a
    /// back-reference needs it) and returns PCRE2's error with its offset, or nil.
    static func compileCheck(_ m: PCREMatch) -> String? {
        var options: UInt32 = 0
        if m.caseless { options |= UInt32(PCRE2_CASELESS) }
        if m.multiline { options |= UInt32(PCRE2_MULTILINE) }
        if m.dotAll { options |= UInt32(PCRE2_DOTALL) }
        if m.extended { options |= UInt32(PCRE2_EXTENDED) }
        if m.anchored { options |= UInt32(PCRE2_ANCHORED) }
        if m.dollarEndOnly { options |= UInt32(PCRE2_DOLLAR_ENDONLY) }
        if m.ungreedy { options |= UInt32(PCRE2_UNGREEDY) }
        let bytes = Array(m.expression.utf8)
        func attempt(_ opts: UInt32) -> (Int32, Int) {
            var code: Int32 = 0
            var offset = 0
            let compiled = bytes.withUnsafeBufferPointer { p in
                pcre2_compile_8(p.baseAddress, p.count, opts, &code, &offset, nil)
            }
            if let compiled {
                pcre2_code_free_8(compiled)
                return (0, 0)
            }
            return (code, offset)
        }
        var (code, offset) = attempt(options | UInt32(PCRE2_NO_AUTO_CAPTURE))
        if code == 115 { (code, offset) = attempt(options) }  // reference to a numbered group
        if code == 0 { return nil }
        var message = [UInt8](repeating: 0, count: 256)
        let n = message.withUnsafeMutableBufferPointer { pcre2_get_error_message_8(code, $0.baseAddress, 256) }
        let text = n > 0 ? String(decoding: message[0..<Int(n)], as: UTF8.self) : "error \(code)"
        return "PCRE2 cannot compile the expression at offset \(offset): \(text)"
    }
}
