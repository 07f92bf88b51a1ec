/// The rules one buffer is matched against at one point: a prefilter database of their fast
/// patterns, each pattern's rules, and the rules without a fast pattern (evaluated every
/// time: pcre-only, byte_test-only, flow-only rules).
final class RuleGroup: Sendable {
    let database: PatternDatabase?
    /// Pattern id → its rules: `patternRules[patternStart[id] ..< patternStart[id + 1]]`.
    let patternStart: [Int32]
    let patternRules: [Int32]
    /// Rules without a fast pattern in this group, by evaluation order.
    let always: [Int32]
    /// Patterns in the database.
    let patternCount: Int

    init(database: PatternDatabase?, patternStart: [Int32], patternRules: [Int32], always: [Int32], patternCount: Int) {
        self.database = database
        self.patternStart = patternStart
        self.patternRules = patternRules
        self.always = always
        self.patternCount = patternCount
    }

    var isEmpty: Bool { patternCount == 0 && always.isEmpty }
}

/// Builds a `RuleGroup`: patterns deduplicated (one id per distinct bytes-and-case), each
/// with the rules that chose it.
struct RuleGroupBuilder {
    var patternIDs: [PrefilterPattern: Int] = [:]
    var patterns: [PrefilterPattern] = []
    var rulesOfPattern: [[Int32]] = []
    var always: [Int32] = []

    var isEmpty: Bool { patterns.isEmpty && always.isEmpty }

    mutating func add(rule: Int32, pattern: [UInt8]?, caseless: Bool) {
        guard let pattern, !pattern.isEmpty else {
            always.append(rule)
            return
        }
        let key = PrefilterPattern(bytes: pattern, caseless: caseless, id: 0)
        if let id = patternIDs[key] {
            rulesOfPattern[id].append(rule)
        } else {
            let id = patterns.count
            patternIDs[key] = id
            patterns.append(PrefilterPattern(bytes: pattern, caseless: caseless, id: UInt32(id)))
            rulesOfPattern.append([rule])
        }
    }

    func build(engine: PrefilterEngine, order: (Int32) -> Int32) throws(PrefilterError) -> RuleGroup {
        var start: [Int32] = [0]
        var rules: [Int32] = []
        for list in rulesOfPattern {
            rules += list
            start.append(Int32(rules.count))
        }
        let database = patterns.isEmpty ? nil : try PatternDatabase(patterns, engine: engine)
        return RuleGroup(database: database, patternStart: start, patternRules: rules,
                         always: always.sorted { order($0) < order($1) }, patternCount: patterns.count)
    }
}
