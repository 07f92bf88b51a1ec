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

    init(document doc: PolicyDocument) {
        let R = doc.rules.count
        let W = max(1, (R + 63) / 64)
        ruleCount = R
        words = W
        var infos: [RuleInfo] = []
        var flags: [RuleMatchFlags] = []
        var byName: [String: Int] = [:]
        for (i, r) in doc.rules.enumerated() {
            infos.append(RuleInfo(index: i, name: r.name, action: r.action, logAtStart: r.log.atStart, logAtEnd: r.log.atEnd,
                                  isDisabled: r.disabled, isDefault: false))
            flags.append(RuleMatchFlags(r))
            byName[r.name] = i
        }
        for (k, d) in [doc.intrazone, doc.interzone].enumerated() {
            infos.append(RuleInfo(index: R + k, name: d.name, action: d.action, logAtStart: d.log.atStart, logAtEnd: d.log.atEnd,
                                  isDisabled: false, isDefault: true))
            byName[d.name] = R + k
        }
        rules = infos
        defaultDecisions = [infos[R], infos[R + 1]].map {
            PolicyDecision(ruleIndex: Int32($0.index), action: $0.action, isFinal: true, logAtStart: $0.logAtStart, logAtEnd: $0.logAtEnd).packed
        }
        ruleFlags = flags
        ruleIndexByName = byName
        zoneNames = doc.zones.map(\.name)
        defaultZone = UInt16(clamping: doc.defaultZone)
        implicitZone = doc.implicitZone ?? -1
        let Z = doc.zones.count

        var enabled = [UInt64](repeating: 0, count: W)
        var fromMask = [UInt64](repeating: 0, count: W * max(Z, 1))
        var toMask = fromMask
        var anyFrom = [UInt64](repeating: 0, count: W)
        var anyTo = anyFrom
        var srcDense = anyFrom, dstDense = anyFrom
        var aflags = [RuleAddressFlags](repeating: [], count: R)
        var decisions: [UInt64] = []
        for (i, r) in doc.rules.enumerated() {
            if !r.disabled { enabled.setBit(i) }
            aflags[i] = RuleAddressFlags(r)
            if r.source.isAny || r.source.negate { srcDense.setBit(i) }
            if r.destination.isAny || r.destination.negate { dstDense.setBit(i) }
            if let zs = r.fromZones { for z in zs where z < Z { fromMask.setBit(z * W * 64 + i) } } else { anyFrom.setBit(i) }
            if let zs = r.toZones { for z in zs where z < Z { toMask.setBit(z * W * 64 + i) } } else { anyTo.setBit(i) }
            decisions.append(PolicyDecision(ruleIndex: Int32(i), action: r.action, isFinal: true,
                                            logAtStart: r.log.atStart, logAtEnd: r.log.atEnd).packed)
        }
        var dsMask = fromMask, ddMask = toMask
        for z in 0..<Z {
            for w in 0..<W {
                fromMask[z * W + w] = (fromMask[z * W + w] | anyFrom[w]) & enabled[w]
                toMask[z * W + w] |= anyTo[w]
                dsMask[z * W + w] = fromMask[z * W + w] & srcDense[w]
                ddMask[z * W + w] = toMask[z * W + w] & dstDense[w]
            }
        }
        addressFlags = aflags
        fromOK = fromMask
        toOK = toMask
        denseSource = dsMask
        denseDestination = ddMask
        finalDecision = decisions

        // Tag expressions.
        var exprIndex: [TagExpression: Int32] = [:]
        var exprs: [TagExpression] = []
        var srcOfExpr: [[Int32]] = []
        var dstOfExpr: [[Int32]] = []
        func exprID(_ e: TagExpression) -> Int32 {
            if let id = exprIndex[e] { return id }
            let id = Int32(exprs.count)
            exprIndex[e] = id
            exprs.append(e)
            srcOfExpr.append([])
            dstOfExpr.append([])
            return id
        }
        var zoneExprs: [(zone: UInt16, expression: Int32)] = []
        var tunnel = TunnelZones()
        for (z, zone) in doc.zones.enumerated() {
            if zone.isTunnelZone && z != doc.defaultZone && tunnel.zones.count < 64 {
                let bit: UInt64 = 1 << UInt64(tunnel.zones.count)
                tunnel.zones.append(UInt16(z))
                tunnel.vnis.append(Array(Set(zone.vni)).sorted())
                tunnel.nodes.append(zone.nodes)
                tunnel.expressions.append(zone.tags.map(exprID) ?? -1)
                if zone.networks.isEmpty && zone.tags == nil { tunnel.universal |= bit }
                continue
            }
            if let e = zone.tags { zoneExprs.append((UInt16(z), exprID(e))) }
        }
        for (i, r) in doc.rules.enumerated() {
            if !r.source.isAny { for e in r.source.set.expressions { srcOfExpr[Int(exprID(e))].append(Int32(i)) } }
            if !r.destination.isAny { for e in r.destination.set.expressions { dstOfExpr[Int(exprID(e))].append(Int32(i)) } }
        }
        var tagIndex: [Tag: Int32] = [:]
        var tagList: [Tag] = []
        func tagID(_ t: Tag) -> Int32 {
            if let id = tagIndex[t] { return id }
            let id = Int32(tagList.count)
            tagIndex[t] = id
            tagList.append(t)
            return id
        }
        var progs: [[Int32]] = []
        var anchored: [[Int32]] = []
        var unanchored: [Int32] = []
        for (k, e) in exprs.enumerated() {
            var prog: [Int32] = []
            CompiledPolicy.emit(e, into: &prog, tagID: tagID)
            progs.append(prog)
            if let anchor = CompiledPolicy.anchor(of: e) {
                let id = Int(tagID(anchor))
                while anchored.count <= id { anchored.append([]) }
                anchored[id].append(Int32(k))
            } else {
                unanchored.append(Int32(k))
            }
        }
        while anchored.count < tagList.count { anchored.append([]) }
        policyTagIndex = tagIndex
        programs = progs
        sourceRulesOfExpression = srcOfExpr
        destinationRulesOfExpression = dstOfExpr
        zoneExpressions = zoneExprs
        expressionsAnchoredOn = anchored
        unanchoredExpressions = unanchored

        // Address intervals by sweeping every range edge.
        var points: [IPAddress] = [.zero]
        func addEdges(_ r: AddressRange) {
            points.append(r.first)
            if let next = r.last.successor { points.append(next) }
        }
        for zone in doc.zones { zone.networks.forEach(addEdges) }
        for r in doc.rules {
            if !r.source.isAny { r.source.set.ranges.forEach(addEdges) }
            if !r.destination.isAny { r.destination.set.ranges.forEach(addEdges) }
        }
        points.sort()
        var unique: [IPAddress] = []
        unique.reserveCapacity(points.count)
        for p in points where unique.last != p { unique.append(p) }
        let K = unique.count
        func intervalOf(_ a: IPAddress) -> Int {
            var lo = 0, hi = K - 1
            while lo < hi {
                let mid = (lo + hi + 1) >> 1
                if a < unique[mid] { hi = mid - 1 } else { lo = mid }
            }
            return lo
        }
        // Events bucketed by interval: (kind, id, +1/-1); kind 0 source rule, 1 destination rule, 2 zone.
        var events = [[(UInt8, Int32, Int32)]](repeating: [], count: K + 1)
        // Upper bound on the list entries the sweep will produce, to refuse policies whose
        // compiled form would not fit (overlapping wide ranges in very many rules).
        var coverage = 0
        let sweepCount: Int
        func addRange(_ r: AddressRange, kind: UInt8, id: Int) {
            let a = intervalOf(r.first)
            events[a].append((kind, Int32(id), 1))
            if let next = r.last.successor {
                let b = intervalOf(next)
                events[b].append((kind, Int32(id), -1))
                if kind != 2 { coverage &+= b - a }
            } else if kind != 2 {
                coverage &+= K - a
            }
        }
        let tunnelZoneIndexes = Set(tunnel.zones.map(Int.init))
        for (z, zone) in doc.zones.enumerated() where !tunnelZoneIndexes.contains(z) {
            for r in zone.networks { addRange(r, kind: 2, id: z) }
        }
        for (i, rule) in doc.rules.enumerated() {
            if !rule.source.isAny { for r in rule.source.set.ranges { addRange(r, kind: 0, id: i) } }
            if !rule.destination.isAny { for r in rule.destination.set.ranges { addRange(r, kind: 1, id: i) } }
        }
        if coverage > CompiledPolicy.maximumCoverage || K &* W > CompiledPolicy.maximumSweepWords {
            tooComplex = "the policy is too large to compile: \(K) address intervals and \(R) rules cover \(coverage) interval-rule pairs (limits \(CompiledPolicy.maximumCoverage) pairs, \(CompiledPolicy.maximumSweepWords / 64) interval-rules); use tag groups instead of long overlapping address lists"
            events = [[(UInt8, Int32, Int32)]](repeating: [], count: K + 1)
            sweepCount = 1
        } else {
            tooComplex = nil
            sweepCount = K
        }
        var srcCount = [Int32](repeating: 0, count: R)
        var dstCount = [Int32](repeating: 0, count: R)
        var zoneCount = [Int32](repeating: 0, count: Z)
        var curSrc = [UInt64](repeating: 0, count: W)
        var curDst = curSrc
        var raw = RuleListStore()
        var iHigh: [UInt64] = [], iLow: [UInt64] = []
        var iRawSrc: [UInt32] = [], iRawDst: [UInt32] = [], iZone: [UInt16] = []
        for k in 0..<sweepCount {
            for (kind, id, delta) in events[k] {
                let i = Int(id)
                switch kind {
                case 0:
                    srcCount[i] += delta
                    if srcCount[i] > 0 { curSrc.setBit(i) } else { curSrc[i >> 6] &= ~(1 << UInt64(i & 63)) }
                case 1:
                    dstCount[i] += delta
                    if dstCount[i] > 0 { curDst.setBit(i) } else { curDst[i >> 6] &= ~(1 << UInt64(i & 63)) }
                default:
                    zoneCount[i] += delta
                }
            }
            iHigh.append(unique[k].high)
            iLow.append(unique[k].low)
            iRawSrc.append(raw.part(CompiledPolicy.list(of: curSrc)))
            iRawDst.append(raw.part(CompiledPolicy.list(of: curDst)))
            iZone.append(UInt16(clamping: zoneCount.firstIndex { $0 > 0 } ?? 0xFFFF))
        }
        intervalHigh = iHigh
        intervalLow = iLow
        intervalRawSource = iRawSrc
        intervalRawDestination = iRawDst
        intervalNetworkZone = iZone
        rawLists = raw
        tunnel.intervalMask = [UInt64](repeating: 0, count: max(sweepCount, 1))
        for (i, z) in tunnel.zones.enumerated() where sweepCount == K {
            for r in doc.zones[Int(z)].networks {
                let a = intervalOf(r.first)
                let b = r.last.successor.map(intervalOf) ?? K
                for k in a..<max(a, b) { tunnel.intervalMask[k] |= 1 << UInt64(i) }
            }
        }

        // Services: cut each transport's ports at every edge rules and application defaults
        // use, then sweep the ports once, tracking which rules' port ranges cover each piece.
        var serviceStore = ClassStore(words: W)
        var table = [UInt32](repeating: 0, count: 3 * 65536)
        var anyService = [UInt64](repeating: 0, count: W)
        var appDefaultRules: [(Int, UInt64)] = []
        for (i, r) in doc.rules.enumerated() {
            switch r.services {
            case .any: anyService.setBit(i)
            case .applicationDefault: appDefaultRules.append((i, CompiledPolicy.applicationMask(r.applications)))
            case .ports: break
            }
        }
        // Application-default rules that could match where the port is a default of `apps`.
        var appDefaultBitsCache: [UInt64: [UInt64]] = [:]
        func appDefaultBits(_ apps: UInt64) -> [UInt64] {
            if let b = appDefaultBitsCache[apps] { return b }
            var b = [UInt64](repeating: 0, count: W)
            for (i, mask) in appDefaultRules where mask & apps != 0 { b.setBit(i) }
            appDefaultBitsCache[apps] = b
            return b
        }
        let transports: [ServiceProtocol] = [.tcp, .udp, .sctp]
        for (t, transport) in transports.enumerated() {
            let ipProto: UInt8 = transport == .tcp ? 6 : transport == .udp ? 17 : 132
            var starts = [[Int32]](repeating: [], count: 65537)
            var ends = [[Int32]](repeating: [], count: 65537)
            var edge = [Bool](repeating: false, count: 65537)
            edge[0] = true
            for (i, r) in doc.rules.enumerated() {
                guard case .ports(let specs) = r.services else { continue }
                for s in specs where s.transport == transport {
                    let ranges = s.ports.isEmpty ? [0...UInt16.max] : s.ports
                    for p in ranges {
                        starts[Int(p.lowerBound)].append(Int32(i))
                        ends[Int(p.upperBound) + 1].append(Int32(i))
                        edge[Int(p.lowerBound)] = true
                        edge[Int(p.upperBound) + 1] = true
                    }
                }
            }
            for e in ApplicationCatalog.entries {
                for d in e.defaultPorts where d.transport == transport {
                    for p in d.ports { edge[Int(p.lowerBound)] = true; edge[Int(p.upperBound) + 1] = true }
                }
            }
            var count = [Int32](repeating: 0, count: R)
            var covered = [UInt64](repeating: 0, count: W)
            var current: UInt32 = 0
            for port in 0..<65536 {
                for i in ends[port] {
                    count[Int(i)] -= 1
                    if count[Int(i)] == 0 { covered[Int(i) >> 6] &= ~(1 << UInt64(i & 63)) }
                }
                for i in starts[port] {
                    count[Int(i)] += 1
                    covered.setBit(Int(i))
                }
                if edge[port] {
                    let apps = CompiledPolicy.defaultApplications(ipProtocol: ipProto, port: UInt16(port))
                    var bits = appDefaultBits(apps)
                    for w in 0..<W { bits[w] |= covered[w] | anyService[w] }
                    current = serviceStore.intern(bits, zone: UInt16(t), extra: apps)
                }
                table[t * 65536 + port] = current
            }
        }
        let (icmpBits, icmpApps) = CompiledPolicy.serviceBits(doc, R: R, W: W, ipProtocol: 1, port: 0)
        icmpClass = serviceStore.intern(icmpBits, zone: 3, extra: icmpApps)
        let (otherBits, otherApps) = CompiledPolicy.serviceBits(doc, R: R, W: W, ipProtocol: 0, port: 0)
        otherClass = serviceStore.intern(otherBits, zone: 4, extra: otherApps)
        portClass = table
        serviceClasses = serviceStore

        // Applications.
        let A = ApplicationCatalog.count
        var apps = [UInt64](repeating: 0, count: A * W)
        var anyApps = [UInt64](repeating: 0, count: W)
        for (i, r) in doc.rules.enumerated() {
            if let list = r.applications {
                for a in list where Int(a.rawValue) < A { apps.setBit(Int(a.rawValue) * W * 64 + i) }
            } else {
                anyApps.setBit(i)
                for a in 0..<A { apps.setBit(a * W * 64 + i) }
            }
        }
        appBits = apps
        anyApplicationBits = anyApps

        // Untagged addresses: final classes per interval.
        // Entry flags (see `RuleListStore`): a source entry can match alone when the rule's
        // destination is any or negated, is negated when the rule's source is, and has
        // otherNegated when the destination is.
        var srcEntryFlags = [UInt8](repeating: 0, count: R), dstEntryFlags = srcEntryFlags
        for (i, r) in doc.rules.enumerated() {
            let alone = UInt8(RuleListStore.matchesAlone), negated = UInt8(RuleListStore.negated)
            if r.destination.isAny || r.destination.negate { srcEntryFlags[i] |= alone }
            if r.source.negate { srcEntryFlags[i] |= negated }
            if r.destination.negate { srcEntryFlags[i] |= UInt8(RuleListStore.otherNegated) }
            if r.source.negate { dstEntryFlags[i] |= UInt8(RuleListStore.otherNegated) }
            if r.source.isAny || r.source.negate { dstEntryFlags[i] |= alone }
            if r.destination.negate { dstEntryFlags[i] |= negated }
        }
        var srcClasses = RuleListStore(entryFlags: srcEntryFlags)
        var dstClasses = RuleListStore(entryFlags: dstEntryFlags)
        var iSrcClass: [UInt32] = [], iDstClass: [UInt32] = []
        var iSrcPart: [UInt32] = [], iDstPart: [UInt32] = []
        iSrcClass.reserveCapacity(K)
        iDstClass.reserveCapacity(K)
        let emptyMatches = (0..<exprs.count).filter { CompiledPolicy.run(progs[$0]) { _ in false } }.map { Int32($0) }
        let emptySource = CompiledPolicy.merge([], emptyMatches, srcOfExpr)
        let emptyDestination = CompiledPolicy.merge([], emptyMatches, dstOfExpr)
        tunnel.untagged = tunnel.tagMask(matched: emptyMatches)
        tunnelZones = tunnel
        for k in 0..<sweepCount {
            let zone = CompiledPolicy.zoneFor(networkZone: iZone[k], matched: emptyMatches, zoneExpressions: zoneExprs, defaultZone: defaultZone)
            iSrcPart.append(srcClasses.part(Array(raw.list(iRawSrc[k]))))
            iDstPart.append(dstClasses.part(Array(raw.list(iRawDst[k]))))
            iSrcClass.append(srcClasses.intern(rangesPart: iSrcPart[k], tagRules: CompiledPolicy.subtract(emptySource, raw.list(iRawSrc[k])), zone: zone))
            iDstClass.append(dstClasses.intern(rangesPart: iDstPart[k], tagRules: CompiledPolicy.subtract(emptyDestination, raw.list(iRawDst[k])), zone: zone))
        }
        intervalSourcePart = iSrcPart
        intervalDestinationPart = iDstPart
        // IPv4 /16 → interval, to narrow the binary search (see `PolicyMatcher.ipv4Interval`).
        var v4 = [UInt32](repeating: 0, count: 65537)
        var k = 0
        for p in 0...65536 {
            let a = p == 65536 ? IPAddress(ipv4: .max) : IPAddress(ipv4: UInt32(p) << 16)
            while k + 1 < iHigh.count && IPAddress(high: iHigh[k + 1], low: iLow[k + 1]) <= a { k += 1 }
            v4[p] = UInt32(k)
        }
        ipv4Interval = v4
        intervalSourceClass = iSrcClass
        intervalDestinationClass = iDstClass
        sourceClasses = srcClasses
        destinationClasses = dstClasses
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
