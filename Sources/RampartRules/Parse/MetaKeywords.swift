/// `msg`, `sid`, `rev`, `gid`, `classtype`, `priority`, `reference`, `metadata`, `target`:
/// what the rule says about itself.
extension RuleBuilder {
    mutating func msg(_ raw: String?) throws(RuleProblem) {
        let (text, _) = try quotedValue(raw, mandatory: true, negation: false)
        var out = ""
        var escape = false
        for ch in text {
            if escape { out.append(ch); escape = false } else if ch == "\\" { escape = true } else { out.append(ch) }
        }
        rule.message = out
        sawMessage = true
    }

    mutating func sid(_ raw: String?) throws(RuleProblem) {
        if sawSID { throw problem(.conflict, "a rule may have only one sid") }
        rule.sid = UInt32(try number(try requireValue(raw), what: "sid", range: 1...Int64(UInt32.max)))
        sawSID = true
    }

    mutating func rev(_ raw: String?) throws(RuleProblem) {
        rule.rev = UInt32(try number(try requireValue(raw), what: "rev", range: 0...Int64(UInt32.max)))
    }

    mutating func gid(_ raw: String?) throws(RuleProblem) {
        rule.gid = UInt32(try number(try requireValue(raw), what: "gid", range: 0...Int64(UInt32.max)))
    }

    mutating func priority(_ raw: String?) throws(RuleProblem) {
        rule.priority = Int(try number(try requireValue(raw), what: "priority", range: 1...255))
        explicitPriority = true
    }

    mutating func classtype(_ raw: String?) throws(RuleProblem) {
        let name = try requireValue(raw)
        guard let f = name.utf8.first, (f >= 0x41 && f <= 0x5A) || (f >= 0x61 && f <= 0x7A),
              name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }) else {
            throw problem(.invalidValue, "'\(name.prefix(40))' is not a classtype name (a letter, then letters, digits, '-', '_')")
        }
        if sawClasstype { throw problem(.conflict, "a rule may have only one classtype") }
        sawClasstype = true
        // An unknown classtype is accepted with priority 3, as Suricata does (with a warning).
        let c = classifications.classification(named: name) ?? Classification(name: name, description: "Unknown Classtype", priority: 3)
        rule.classification = c
        if !explicitPriority { rule.priority = c.priority }
    }

    mutating func reference(_ raw: String?) throws(RuleProblem) {
        let t = try requireValue(raw)
        guard let comma = t.firstIndex(of: ",") else { throw problem(.invalidValue, "expected TYPE,ID (e.g. url,example.com/advisory)") }
        let type = String(t[..<comma]).trimmingBlanks
        var value = String(t[t.index(after: comma)...]).trimmingBlanks
        if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
        guard !type.isEmpty, type.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }) else {
            throw problem(.invalidValue, "reference type '\(type.prefix(40))' must be letters and digits")
        }
        guard !value.isEmpty else { throw problem(.invalidValue, "the reference has no ID after '\(type),'") }
        rule.references.append(RuleReference(type: type, value: value))
    }

    mutating func metadata(_ raw: String?) throws(RuleProblem) {
        for entry in RuleBuilder.arguments(try requireValue(raw)) where !entry.isEmpty {
            if let space = entry.firstIndex(where: { $0 == " " || $0 == "\t" }) {
                rule.metadata.append(RuleMetadata(key: String(entry[..<space]), value: String(entry[space...]).trimmingBlanks))
            } else {
                rule.metadata.append(RuleMetadata(key: entry, value: ""))
            }
        }
    }

    mutating func target(_ raw: String?) throws(RuleProblem) {
        guard let t = RuleTarget(rawValue: try requireValue(raw)) else { throw problem(.invalidValue, "expected src_ip or dest_ip") }
        rule.target = t
    }
}
