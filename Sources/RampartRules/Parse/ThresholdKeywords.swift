/// `threshold`, `detection_filter`, `tag`: how many alerts a rule writes, and what it logs
/// after one.
extension RuleBuilder {
    /// `key value` pairs separated by commas, each key once.
    func pairs(_ raw: String?, keys: Set<String>) throws(RuleProblem) -> [String: String] {
        var out: [String: String] = [:]
        for a in RuleBuilder.arguments(try requireValue(raw)) {
            let parts = a.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard parts.count == 2, keys.contains(parts[0]) else {
                throw problem(.invalidValue, "expected '\(keys.sorted().joined(separator: "|")) VALUE', found '\(a)'")
            }
            if out[parts[0]] != nil { throw problem(.conflict, "'\(parts[0])' is given twice") }
            out[parts[0]] = parts[1]
        }
        return out
    }

    func track(_ s: String?) throws(RuleProblem) -> ThresholdTrack {
        guard let s else { throw problem(.invalidValue, "needs 'track by_src|by_dst|by_both|by_rule'") }
        guard let t = ThresholdTrack(rawValue: s) else { throw problem(.invalidValue, "unknown track '\(s)' (by_src, by_dst, by_both, by_rule)") }
        return t
    }

    func countAndSeconds(_ p: [String: String]) throws(RuleProblem) -> (UInt32, UInt32) {
        guard let c = p["count"], let s = p["seconds"] else { throw problem(.invalidValue, "needs 'count N' and 'seconds T'") }
        let count = UInt32(try number(c, what: "count", range: 1...Int64(UInt32.max)))
        let seconds = UInt32(try number(s, what: "seconds", range: 0...Int64(UInt32.max)))
        return (count, seconds)
    }

    mutating func threshold(_ raw: String?) throws(RuleProblem) {
        if rule.threshold != nil { throw problem(.conflict, "a rule may have only one threshold") }
        if rule.detectionFilter != nil { throw problem(.conflict, "threshold and detection_filter cannot go together") }
        let p = try pairs(raw, keys: ["type", "track", "count", "seconds"])
        guard let k = p["type"], let kind = Threshold.Kind(rawValue: k) else {
            throw problem(.invalidValue, "needs 'type limit|threshold|both'")
        }
        let (count, seconds) = try countAndSeconds(p)
        rule.threshold = Threshold(kind: kind, track: try track(p["track"]), count: count, seconds: seconds)
    }

    mutating func detectionFilter(_ raw: String?) throws(RuleProblem) {
        if rule.detectionFilter != nil { throw problem(.conflict, "a rule may have only one detection_filter") }
        if rule.threshold != nil { throw problem(.conflict, "threshold and detection_filter cannot go together") }
        let p = try pairs(raw, keys: ["track", "count", "seconds"])
        let (count, seconds) = try countAndSeconds(p)
        rule.detectionFilter = DetectionFilter(track: try track(p["track"]), count: count, seconds: seconds)
    }

    mutating func tag(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard let scope = SessionTag.Scope(rawValue: args[0]) else { throw problem(.invalidValue, "expected session or host, found '\(args[0])'") }
        var t = SessionTag(scope: scope)
        if args.count > 1 {
            guard args.count >= 3, let metric = SessionTag.Metric(rawValue: args[2]) else {
                throw problem(.invalidValue, "expected session|host[,COUNT,packets|seconds|bytes[,src|dst]]")
            }
            t.count = UInt32(try number(args[1], what: "count", range: 0...Int64(UInt32.max)))
            t.metric = metric
            if args.count == 4 {
                guard args[3] == "src" || args[3] == "dst" else { throw problem(.invalidValue, "expected src or dst, found '\(args[3])'") }
                t.hostDirection = args[3]
            } else if args.count > 4 {
                throw problem(.invalidValue, "too many options")
            }
        }
        rule.tags.append(t)
    }
}
