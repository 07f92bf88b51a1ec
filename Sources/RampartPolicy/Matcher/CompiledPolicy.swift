import RampartWire

/// A policy compiled for lookup: immutable, shareable between workers. Each
/// `PolicyMatcher` layers its own tag map and decision cache on top.
///
/// Layout: every user rule has an index and a bit. Address space is cut into disjoint
/// intervals at every CIDR/range edge the policy mentions; each interval knows which rules'
/// source (and destination) ranges cover it and which zone network holds it. Tag
/// expressions (address groups and zones by tag) are evaluated per tagged address, once,
/// when its tags are set. Ports are cut into classes per transport the same way, and each
/// application has the bitset of rules that accept it.
///
/// ```swift
/// let compiled = CompiledPolicy(document)
/// let a = try PolicyMatcher(compiled: compiled, tags: tags)
/// ```
public final class CompiledPolicy: Sendable {
    /// Set when the policy exceeds the compile limits; the tables are then empty of ranges
    /// and `PolicyMatcher` refuses to start.
    public let tooComplex: String?
    static let maximumCoverage = 64_000_000
    static let maximumSweepWords = 800_000_000

    /// User rules (defaults excluded).
    let ruleCount: Int
    let words: Int
    /// User rules then the two defaults.
    public let rules: [RuleInfo]
    let ruleIndexByName: [String: Int]
    /// Every profile of the policy, by kind; `ruleProfiles` indexes them.
    public let profiles: PolicyProfiles
    /// Per rule (user rules then the two defaults, which carry none): its profiles.
    public let ruleProfiles: [RuleProfiles]
    let ruleFlags: [RuleMatchFlags]
    let zoneNames: [String]
    let defaultZone: UInt16
    /// The implicit `unassigned` zone (no `defaults.zone` given), or -1: traffic between
    /// two of its addresses is interzone.
    let implicitZone: Int

    let addressFlags: [RuleAddressFlags]
    /// Zone `z`'s masks at `[z * words ..< (z + 1) * words]`. `fromOK`: enabled rules whose
    /// from-zones admit `z`; `toOK`: rules whose to-zones admit it. `denseSource`: those of
    /// `fromOK` that match an address without naming it (source any or negated);
    /// `denseDestination` likewise.
    let fromOK: [UInt64]
    let toOK: [UInt64]
    let denseSource: [UInt64]
    let denseDestination: [UInt64]
    /// The decision each rule gives when final (packed `PolicyDecision`).
    let finalDecision: [UInt64]
    /// intrazone-default and interzone-default, packed.
    let defaultDecisions: [UInt64]

    // Tag expressions, deduplicated; atoms are ids into `policyTags`.
    let policyTagIndex: [Tag: Int32]
    /// Postfix programs: atom id >= 0, -1 not, -2 and, -3 or.
    let programs: [[Int32]]
    let sourceRulesOfExpression: [[Int32]]
    let destinationRulesOfExpression: [[Int32]]
    /// Zones with `vni` or `nodes`; left out of `zoneExpressions` and `intervalNetworkZone`.
    let tunnelZones: TunnelZones
    /// (zone, expression) in zone order.
    let zoneExpressions: [(zone: UInt16, expression: Int32)]
    /// Expressions that can only hold when the address has this tag (indexed by atom id).
    let expressionsAnchoredOn: [[Int32]]
    /// Expressions with no single required tag: evaluated for every tagged address.
    let unanchoredExpressions: [Int32]

    // Address intervals: interval k starts at (intervalHigh[k], intervalLow[k]).
    let intervalHigh: [UInt64]
    let intervalLow: [UInt64]
    /// Per interval: the rules whose source (destination) ranges cover it, as a raw list id.
    let intervalRawSource: [UInt32]
    let intervalRawDestination: [UInt32]
    let intervalNetworkZone: [UInt16]
    /// The interval holding each IPv4 /16's first address (65,536 entries, then the one
    /// holding 255.255.255.255).
    let ipv4Interval: [UInt32]
    let rawLists: RuleListStore
    /// Per interval: its ranges part in `sourceClasses` (`destinationClasses`).
    let intervalSourcePart: [UInt32]
    let intervalDestinationPart: [UInt32]
    /// Untagged addresses' final classes per interval, and the stores they index.
    let intervalSourceClass: [UInt32]
    let intervalDestinationClass: [UInt32]
    let sourceClasses: RuleListStore
    let destinationClasses: RuleListStore

    // Services: `portClass[transport * 65536 + port]` for tcp, udp, sctp.
    let portClass: [UInt32]
    let icmpClass: UInt32
    let otherClass: UInt32
    /// Service class bits; `extras` holds the mask of applications whose default ports include it.
    let serviceClasses: ClassStore

    /// `appBits[app * words ..< ...]`: rules whose applications admit `app` (any included).
    let appBits: [UInt64]
    /// Rules with applications any (for ids outside the catalog).
    let anyApplicationBits: [UInt64]

    public convenience init(_ document: PolicyDocument) {
        self.init(document: document)
    }

    /// Compiles in one step per dimension (each in `CompiledPolicy+Steps.swift`): rules,
    /// zones, tag expressions, address intervals, services, applications, then the classes
    /// of untagged addresses, which need the intervals and the expressions.
    init(document doc: PolicyDocument) {
        let ruleTable = RuleTable(doc)
        ruleCount = ruleTable.count
        words = ruleTable.words
        rules = ruleTable.rules
        ruleIndexByName = ruleTable.indexByName
        profiles = doc.profiles
        ruleProfiles = doc.rules.map(\.profiles) + [.none, .none]
        ruleFlags = ruleTable.flags
        addressFlags = ruleTable.addressFlags
        finalDecision = ruleTable.finalDecisions
        defaultDecisions = ruleTable.defaultDecisions
        zoneNames = doc.zones.map(\.name)
        defaultZone = UInt16(clamping: doc.defaultZone)
        implicitZone = doc.implicitZone ?? -1

        let zones = ZoneMasks(doc, words: words)
        fromOK = zones.fromOK
        toOK = zones.toOK
        denseSource = zones.denseSource
        denseDestination = zones.denseDestination

        let expressions = ExpressionTable(doc)
        policyTagIndex = expressions.tagIndex
        programs = expressions.programs
        sourceRulesOfExpression = expressions.sourceRules
        destinationRulesOfExpression = expressions.destinationRules
        zoneExpressions = expressions.zoneExpressions
        expressionsAnchoredOn = expressions.anchoredOn
        unanchoredExpressions = expressions.unanchored

        let sweep = AddressSweep(doc, words: words, tunnelZones: expressions.tunnelZones)
        tooComplex = sweep.tooComplex
        intervalHigh = sweep.high
        intervalLow = sweep.low
        intervalRawSource = sweep.rawSource
        intervalRawDestination = sweep.rawDestination
        intervalNetworkZone = sweep.networkZone
        rawLists = sweep.raw

        let services = ServiceTable(doc, words: words)
        portClass = services.portClass
        icmpClass = services.icmpClass
        otherClass = services.otherClass
        serviceClasses = services.classes

        let applications = ApplicationTable(doc, words: words)
        appBits = applications.bits
        anyApplicationBits = applications.anyBits

        let classes = IntervalClasses(doc, sweep: sweep, expressions: expressions, defaultZone: defaultZone)
        tunnelZones = classes.tunnelZones
        intervalSourcePart = classes.sourcePart
        intervalDestinationPart = classes.destinationPart
        intervalSourceClass = classes.sourceClass
        intervalDestinationClass = classes.destinationClass
        sourceClasses = classes.sourceClasses
        destinationClasses = classes.destinationClasses
        ipv4Interval = classes.ipv4Interval
    }

    /// The profiles of rule `index` (`PolicyDecision.ruleIndex`, `Session.ruleIndex`); none
    /// for the defaults and for an index out of range (-1: not decided yet).
    @inlinable
    public func profiles(ofRule index: Int32) -> RuleProfiles {
        let i = Int(index)
        return i >= 0 && i < ruleProfiles.count ? ruleProfiles[i] : .none
    }

    /// The set bits of a bitset, ascending.
    static func list(of bits: [UInt64]) -> [Int32] {
        var out: [Int32] = []
        for (w, word) in bits.enumerated() {
            var x = word
            while x != 0 {
                out.append(Int32(w * 64 + x.trailingZeroBitCount))
                x &= x &- 1
            }
        }
        return out
    }

    /// The raw range list plus the rules of every matched expression, sorted, no repeats.
    static func merge(_ raw: ArraySlice<Int32>, _ matched: [Int32], _ rulesOf: [[Int32]]) -> [Int32] {
        if matched.isEmpty { return Array(raw) }
        var out = Array(raw)
        for e in matched { out += rulesOf[Int(e)] }
        out.sort()
        var unique: [Int32] = []
        unique.reserveCapacity(out.count)
        for x in out where unique.last != x { unique.append(x) }
        return unique
    }

    /// The ascending `list` without the entries of the ascending `minus`.
    static func subtract(_ list: [Int32], _ minus: ArraySlice<Int32>) -> [Int32] {
        if list.isEmpty || minus.isEmpty { return list }
        var out: [Int32] = []
        out.reserveCapacity(list.count)
        var j = minus.startIndex
        for x in list {
            while j < minus.endIndex && minus[j] < x { j += 1 }
            if j == minus.endIndex || minus[j] != x { out.append(x) }
        }
        return out
    }

    /// The rule bits of services matching (protocol, port), and the applications whose
    /// default ports include it.
    static func serviceBits(_ doc: PolicyDocument, R: Int, W: Int, ipProtocol: UInt8, port: UInt16) -> ([UInt64], UInt64) {
        let apps = defaultApplications(ipProtocol: ipProtocol, port: port)
        var bits = [UInt64](repeating: 0, count: W)
        for (i, r) in doc.rules.enumerated() {
            switch r.services {
            case .any: bits.setBit(i)
            case .applicationDefault:
                // Could match only if the port is a default port of one of the rule's applications.
                if apps & applicationMask(r.applications) != 0 { bits.setBit(i) }
            case .ports(let specs): if specs.contains(where: { $0.matches(ipProtocol: ipProtocol, port: port) }) { bits.setBit(i) }
            }
        }
        return (bits, apps)
    }

    /// The catalog applications whose default ports include (protocol, port), as a bitmask.
    static func defaultApplications(ipProtocol: UInt8, port: UInt16) -> UInt64 {
        var apps: UInt64 = 0
        for (a, e) in ApplicationCatalog.entries.enumerated() where a < 64 {
            let hit = e.defaultPorts.contains { d in
                d.transport.includes(ipProtocol) && (d.ports.isEmpty || d.ports.contains { $0.contains(port) })
            }
            if hit { apps |= 1 << UInt64(a) }
        }
        return apps
    }

    /// The catalog applications as a bitmask; nil (any) is every application.
    static func applicationMask(_ apps: [ApplicationID]?) -> UInt64 {
        guard let apps else { return ~0 }
        var m: UInt64 = 0
        for a in apps where a.rawValue < 64 { m |= 1 << UInt64(a.rawValue) }
        return m
    }

    static func zoneFor(networkZone: UInt16, matched: [Int32], zoneExpressions: [(zone: UInt16, expression: Int32)], defaultZone: UInt16) -> UInt16 {
        var zone = networkZone
        for (z, e) in zoneExpressions {
            if z >= zone { break }
            if matched.contains(e) { zone = z; break }
        }
        return zone == 0xFFFF ? defaultZone : zone
    }

    static func emit(_ e: TagExpression, into prog: inout [Int32], tagID: (Tag) -> Int32) {
        switch e {
        case .tag(let t): prog.append(tagID(t))
        case .not(let x): emit(x, into: &prog, tagID: tagID); prog.append(-1)
        case .and(let a, let b): emit(a, into: &prog, tagID: tagID); emit(b, into: &prog, tagID: tagID); prog.append(-2)
        case .or(let a, let b): emit(a, into: &prog, tagID: tagID); emit(b, into: &prog, tagID: tagID); prog.append(-3)
        }
    }

    static func run(_ prog: [Int32], _ has: (Int32) -> Bool) -> Bool {
        var stack: [Bool] = []
        stack.reserveCapacity(8)
        for op in prog {
            switch op {
            case -1: if let v = stack.popLast() { stack.append(!v) }
            case -2: if let b = stack.popLast(), let a = stack.popLast() { stack.append(a && b) }
            case -3: if let b = stack.popLast(), let a = stack.popLast() { stack.append(a || b) }
            default: stack.append(has(op))
            }
        }
        return stack.last ?? false
    }

    /// A tag the expression cannot hold without, preferring the most selective prefixes.
    static func anchor(of e: TagExpression) -> Tag? {
        var required: [Tag] = []
        func collect(_ x: TagExpression) {
            switch x {
            case .tag(let t): required.append(t)
            case .and(let a, let b): collect(a); collect(b)
            default: break
            }
        }
        collect(e)
        func rank(_ t: Tag) -> Int {
            switch t.prefix {
            case "label": return 0
            case "workload", "serviceaccount": return 1
            case "node": return 2
            case "ns": return 3
            case "cluster": return 5
            default: return 4
            }
        }
        return required.min { rank($0) < rank($1) }
    }

    /// Approximate bytes held by the compiled tables.
    public var memoryEstimate: Int {
        let arrays = (fromOK.count * 4 + appBits.count) * 8 + addressFlags.count * 9
            + (intervalHigh.count * 2) * 8 + intervalRawSource.count * 18 + portClass.count * 4 + ipv4Interval.count * 4
        let exprs = programs.reduce(0) { $0 + $1.count * 4 } + sourceRulesOfExpression.reduce(0) { $0 + $1.count * 4 }
            + destinationRulesOfExpression.reduce(0) { $0 + $1.count * 4 }
        return arrays + exprs + rawLists.memoryEstimate + sourceClasses.memoryEstimate
            + destinationClasses.memoryEstimate + serviceClasses.memoryEstimate
    }
}

extension IPAddress {
    /// The next address, or nil after the last one.
    var successor: IPAddress? {
        if low == .max {
            if high == .max { return nil }
            return IPAddress(high: high &+ 1, low: 0)
        }
        return IPAddress(high: high, low: low &+ 1)
    }
}
