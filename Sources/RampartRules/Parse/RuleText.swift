/// A rule's text cut into its seven header fields and its options, with the column of each,
/// as Suricata's `SigParseBasics` and `SigParseOptions` cut it: header fields are separated
/// by blanks (a `[...]` list may hold blanks), options by `;` not preceded by `\`.
struct RuleText {
    struct Field {
        var text: String
        var column: Int
    }

    struct Option {
        var name: String
        /// Everything after the first `:`, trailing blanks removed; nil without `:`.
        var value: String?
        var column: Int
    }

    var action: Field
    var proto: Field
    var source: Field
    var sourcePorts: Field
    var direction: Field
    var destination: Field
    var destinationPorts: Field
    var options: [Option]

    /// Splits `text` (one rule, continuation lines already joined).
    static func split(_ text: String) -> Result<RuleText, RuleProblem> {
        let bytes = Array(text.utf8)
        for (i, b) in bytes.enumerated() where (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F {
            return .failure(RuleProblem(.syntax, keyword: nil, "control character 0x\(String(b, radix: 16)) in the rule; only printable text, tabs and line ends are allowed", column: i + 1))
        }
        var i = 0
        func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        func skipBlanks() { while i < bytes.count && isBlank(bytes[i]) { i += 1 } }

        /// One header field: up to a blank outside brackets.
        func field(_ what: String) -> Result<Field, RuleProblem> {
            skipBlanks()
            let start = i
            var depth = 0
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "[") { depth += 1 } else if b == UInt8(ascii: "]") { depth -= 1 } else if isBlank(b) && depth <= 0 { break }
                if b == UInt8(ascii: "(") && depth <= 0 && i == start { break }
                i += 1
            }
            if start == i {
                return .failure(RuleProblem(.header, keyword: nil, "expected the \(what) (a rule is: action protocol source sport direction destination dport (options))", column: start + 1))
            }
            if depth != 0 {
                return .failure(RuleProblem(.header, keyword: nil, "unbalanced brackets in the \(what) '\(String(decoding: bytes[start..<i], as: UTF8.self))'", column: start + 1))
            }
            return .success(Field(text: String(decoding: bytes[start..<i], as: UTF8.self), column: start + 1))
        }

        let names = ["action", "protocol", "source address", "source port", "direction", "destination address", "destination port"]
        var fields: [Field] = []
        for n in names {
            switch field(n) {
            case .success(let f): fields.append(f)
            case .failure(let p): return .failure(p)
            }
        }
        skipBlanks()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "(") else {
            return .failure(RuleProblem(.syntax, keyword: nil, "expected '(' to open the options after the destination port", column: i + 1))
        }
        i += 1
        var end = bytes.count
        while end > i && isBlank(bytes[end - 1]) { end -= 1 }
        guard end > i, bytes[end - 1] == UInt8(ascii: ")") else {
            return .failure(RuleProblem(.syntax, keyword: nil, "expected ')' to close the options at the end of the rule", column: end + 1))
        }
        end -= 1
        var options: [Option] = []
        while true {
            while i < end && isBlank(bytes[i]) { i += 1 }
            if i >= end { break }
            let start = i
            var semi = -1
            var j = i
            while j < end {
                if bytes[j] == UInt8(ascii: ";") && !(j > start && bytes[j - 1] == UInt8(ascii: "\\")) { semi = j; break }
                j += 1
            }
            if semi < 0 {
                let name = String(decoding: bytes[start..<min(end, start + 40)], as: UTF8.self)
                return .failure(RuleProblem(.syntax, keyword: nil, "expected ';' to end the option starting '\(name)'", column: start + 1))
            }
            var colon = -1
            for k in start..<semi where bytes[k] == UInt8(ascii: ":") { colon = k; break }
            let nameEnd = colon >= 0 ? colon : semi
            var ne = nameEnd
            while ne > start && isBlank(bytes[ne - 1]) { ne -= 1 }
            let name = String(decoding: bytes[start..<ne], as: UTF8.self)
            var value: String?
            if colon >= 0 {
                var ve = semi
                while ve > colon + 1 && isBlank(bytes[ve - 1]) { ve -= 1 }
                value = String(decoding: bytes[(colon + 1)..<ve], as: UTF8.self)
            }
            if name.isEmpty {
                return .failure(RuleProblem(.syntax, keyword: nil, "expected a keyword before ':' or ';'", column: start + 1))
            }
            options.append(Option(name: name, value: value, column: start + 1))
            i = semi + 1
        }
        return .success(RuleText(action: fields[0], proto: fields[1], source: fields[2], sourcePorts: fields[3],
                                 direction: fields[4], destination: fields[5], destinationPorts: fields[6],
                                 options: options))
    }
}
