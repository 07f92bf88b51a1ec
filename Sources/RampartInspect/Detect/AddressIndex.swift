import RampartRules
import RampartWire

/// Rules found by an address instead of a pattern: Suricata's IP-only rules (a header and
/// nothing to inspect, as ET's reputation lists: `alert ip [hundreds of addresses] any ->
/// $HOME_NET any`). Each rule is indexed by the narrower of its source and destination sets;
/// a lookup is two binary searches, not a header check of every such rule.
struct AddressIndex: Sendable {
    /// Interval `i` covers `[starts[i], starts[i + 1])` and holds `rules[ruleStart[i] ..< ruleStart[i + 1]]`.
    let starts: [IPAddress]
    let ruleStart: [Int32]
    let rules: [Int32]

    init(_ entries: [(rule: Int32, set: AddressSet)]) {
        // Sweep the blocks' edges in address order, keeping the rules open at each point.
        var edges: [(at: IPAddress, rule: Int32, open: Bool)] = []
        for (rule, set) in entries {
            for b in set.blocks {
                edges.append((b.first, rule, true))
                if let after = AddressIndex.successor(b.last) { edges.append((after, rule, false)) }
            }
        }
        edges.sort { $0.at < $1.at }
        var open: [Int32: Int] = [:]
        var starts: [IPAddress] = []
        var ruleStart: [Int32] = [0]
        var rules: [Int32] = []
        var i = 0
        while i < edges.count {
            let at = edges[i].at
            while i < edges.count && edges[i].at == at {
                let e = edges[i]
                open[e.rule, default: 0] += e.open ? 1 : -1
                if open[e.rule] == 0 { open[e.rule] = nil }
                i += 1
            }
            starts.append(at)
            rules += open.keys.sorted()
            ruleStart.append(Int32(rules.count))
        }
        self.starts = starts
        self.ruleStart = ruleStart
        self.rules = rules
    }

    static func successor(_ a: IPAddress) -> IPAddress? {
        if a.low == .max { return a.high == .max ? nil : IPAddress(high: a.high + 1, low: 0) }
        return IPAddress(high: a.high, low: a.low + 1)
    }

    /// The rules whose indexed set holds `address`. O(log n).
    @inline(__always)
    func rules(containing address: IPAddress) -> Range<Int> {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if address < starts[mid] { hi = mid } else { lo = mid + 1 }
        }
        guard lo > 0 else { return 0..<0 }
        return Int(ruleStart[lo - 1])..<Int(ruleStart[lo])
    }

    /// A rough size of a set (the number of addresses, as a double), to pick the narrower side.
    static func size(_ set: AddressSet) -> Double {
        set.blocks.reduce(0) { total, b in
            total + (Double(b.last.high) - Double(b.first.high)) * 1.8446744073709552e19 + (Double(b.last.low) - Double(b.first.low)) + 1
        }
    }
}

/// The IP-only rules of one transport: indexed by source, by destination, and the few with
/// neither narrower than `any`. Evaluated on the first packet of each direction of a session,
/// as Suricata's IP-only engine does.
struct IPOnlyRules: Sendable {
    var bySource: AddressIndex
    var byDestination: AddressIndex
    var always: [Int32]
    var isEmpty: Bool { bySource.rules.isEmpty && byDestination.rules.isEmpty && always.isEmpty }
}
