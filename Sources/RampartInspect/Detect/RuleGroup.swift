import RampartRules

/// The rules one buffer is matched against at one point: a prefilter database of their fast
/// patterns, each pattern's rules, and the rules without a fast pattern (evaluated every
/// time: pcre-only, byte_test-only, flow-only rules).
final class RuleGroup: Sendable {
    let database: PatternDatabase?
    /// Pattern id → its rules: `patternRules[patternStart[id] ..< patternStart[id + 1]]`.
    let patternStart: [Int32]
    let patternRules: [Int32]
    /// Rules without a fast pattern in this group, by evaluation order: for every server
    /// port of the group, and (`alwaysByPort`) for a few ports only (`flags:S` scan rules
    /// on port 22, ...), found by the session's server port.
    let always: [Int32]
    let alwaysByPort: PortIndex
    /// Patterns in the database.
    let patternCount: Int

    init(database: PatternDatabase?, patternStart: [Int32], patternRules: [Int32], always: [Int32],
         alwaysByPort: PortIndex, patternCount: Int) {
        self.alwaysByPort = alwaysByPort
        self.database = database
        self.patternStart = patternStart
        self.patternRules = patternRules
        self.always = always
        self.patternCount = patternCount
    }

    var isEmpty: Bool { patternCount == 0 && always.isEmpty && alwaysByPort.rules.isEmpty }
}

/// Builds a `RuleGroup`: patterns deduplicated (one id per distinct bytes-and-case), each
/// with the rules that chose it.
struct RuleGroupBuilder {
    var patternIDs: [PrefilterPattern: Int] = [:]
    var patterns: [PrefilterPattern] = []
    var rulesOfPattern: [[Int32]] = []
    var always: [Int32] = []
    var alwaysByPort: [(Int32, PortSet)] = []

    var isEmpty: Bool { patterns.isEmpty && always.isEmpty && alwaysByPort.isEmpty }

    /// - Parameter serverPorts: the server ports the rule admits, when it is narrower than
    ///   every port (a rule without a fast pattern is then found by port).
    mutating func add(rule: Int32, pattern original: [UInt8]?, caseless: Bool, serverPorts: PortSet? = nil) {
        // Vectorscan's literal compiler takes a pattern that starts with NUL for an empty one:
        // the prefilter looks for the rest (same end, a little less selective); full
        // evaluation still checks the whole content.
        let pattern = original.map { Array($0.drop(while: { $0 == 0 })) }
        guard let pattern, !pattern.isEmpty else {
            if let ports = serverPorts, !ports.isAny {
                alwaysByPort.append((rule, ports))
            } else {
                always.append(rule)
            }
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
                         always: always.sorted { order($0) < order($1) }, alwaysByPort: PortIndex(alwaysByPort),
                         patternCount: patterns.count)
    }
}

/// Rules by server port: sorted disjoint port intervals, each with the rules that admit it.
struct PortIndex: Sendable {
    let starts: [UInt16]
    let ruleStart: [Int32]
    let rules: [Int32]

    init(_ entries: [(Int32, PortSet)]) {
        var edges: [(at: Int, rule: Int32, open: Bool)] = []
        for (rule, set) in entries {
            for r in set.ranges {
                edges.append((Int(r.lowerBound), rule, true))
                edges.append((Int(r.upperBound) + 1, rule, false))
            }
        }
        edges.sort { $0.at < $1.at }
        var open: [Int32: Int] = [:]
        var starts: [UInt16] = []
        var ruleStart: [Int32] = [0]
        var rules: [Int32] = []
        var i = 0
        while i < edges.count {
            let at = edges[i].at
            while i < edges.count && edges[i].at == at {
                open[edges[i].rule, default: 0] += edges[i].open ? 1 : -1
                if open[edges[i].rule] == 0 { open[edges[i].rule] = nil }
                i += 1
            }
            guard at <= Int(UInt16.max) else { break }
            starts.append(UInt16(at))
            rules += open.keys.sorted()
            ruleStart.append(Int32(rules.count))
        }
        self.starts = starts
        self.ruleStart = ruleStart
        self.rules = rules
    }

    /// The rules admitting `port`. O(log n).
    @inline(__always)
    func rules(for port: UInt16) -> Range<Int> {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if port < starts[mid] { hi = mid } else { lo = mid + 1 }
        }
        guard lo > 0 else { return 0..<0 }
        return Int(ruleStart[lo - 1])..<Int(ruleStart[lo])
    }
}
