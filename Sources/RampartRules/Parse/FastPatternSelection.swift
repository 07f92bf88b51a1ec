/// Which content a multi-pattern prefilter looks for, chosen as Suricata 7's
/// `RetrieveFPForSig` does: the content marked `fast_pattern`; otherwise, among the buffers
/// with the best (lowest) prefilter priority that hold a non-negated content (or, when the
/// rule has only negated ones, a negated content), the longest content, and among equally
/// long ones the strongest by `patternStrength`, the first in rule order on a tie.
enum FastPatternSelection {
    static func choose(for rule: Rule) -> FastPatternChoice? {
        // Suricata looks at the payload first, then the other buffers in rule order.
        var order = rule.inspections.indices.filter { rule.inspections[$0].buffer == .payload }
        order += rule.inspections.indices.filter { rule.inspections[$0].buffer != .payload }
        order = order.filter { rule.inspections[$0].buffer.supportsFastPattern }

        for i in order {
            for (j, s) in rule.inspections[i].steps.enumerated() {
                if let c = s.content, c.fastPattern != .none { return choice(rule, i, j, explicit: true) }
            }
        }
        let hasPositive = order.contains { i in rule.inspections[i].steps.contains { $0.content.map { !$0.negated } ?? false } }
        func eligible(_ c: ContentMatch) -> Bool { hasPositive ? !c.negated : true }
        let withContent = order.filter { i in rule.inspections[i].steps.contains { $0.content.map(eligible) ?? false } }
        guard let best = withContent.map({ rule.inspections[$0].buffer.fastPatternPriority }).min() else { return nil }
        let lists = withContent.filter { rule.inspections[$0].buffer.fastPatternPriority == best }
        var maxLength = 0
        for i in lists { for s in rule.inspections[i].steps { if let c = s.content, eligible(c) { maxLength = max(maxLength, c.bytes.count) } } }
        var chosen: (Int, Int, Int)?
        for i in lists {
            for (j, s) in rule.inspections[i].steps.enumerated() {
                guard let c = s.content, eligible(c), c.bytes.count == maxLength else { continue }
                let strength = patternStrength(c.bytes)
                if chosen == nil || strength > chosen!.2 { chosen = (i, j, strength) }
            }
        }
        return chosen.map { choice(rule, $0.0, $0.1, explicit: false) }
    }

    static func choice(_ rule: Rule, _ i: Int, _ j: Int, explicit: Bool) -> FastPatternChoice {
        let steps = rule.inspections[i].steps
        let c = steps[j].content!
        var pattern = c.bytes
        var chopped = false
        if case .chop(let o, let l) = c.fastPattern {
            pattern = Array(c.bytes[o..<(o + l)])
            chopped = l < c.bytes.count
        }
        let followedByRelative = steps[(j + 1)...].contains(where: isRelative)
        let single = !c.negated && c.offset == nil && c.depth == nil && !c.isRelative && !c.startsWith && !c.endsWith
            && !followedByRelative && !chopped
        return FastPatternChoice(inspection: i, step: j, pattern: pattern, nocase: c.nocase,
                                 isSufficient: c.fastPattern == .only || single, explicit: explicit)
    }

    /// Whether a step is placed relative to the match before it.
    static func isRelative(_ s: MatchStep) -> Bool {
        switch s {
        case .content(let c): c.isRelative
        case .pcre(let p): p.relative
        case .byteTest(let t): t.relative
        case .byteJump(let j): j.relative
        case .byteExtract(let e): e.relative
        case .byteMath(let m): m.relative
        case .isDataAt(let d): d.relative
        case .base64Decode(let d): d.relative
        case .bufferSize: false
        }
    }

    /// Suricata's `PatternStrength`: each distinct byte scores 3 for a letter, 4 for another
    /// printable byte or 0x00/0x01/0xFF, 6 otherwise; a repeated byte scores 1.
    static func patternStrength(_ bytes: [UInt8]) -> Int {
        var seen = [Bool](repeating: false, count: 256)
        var s = 0
        for b in bytes {
            if seen[Int(b)] { s += 1; continue }
            seen[Int(b)] = true
            if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) { s += 3 } else if (b >= 0x20 && b <= 0x7E) || b == 0 || b == 1 || b == 0xFF { s += 4 } else { s += 6 }
        }
        return s
    }
}
