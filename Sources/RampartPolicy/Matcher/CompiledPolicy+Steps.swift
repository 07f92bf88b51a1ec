import RampartWire

/// The steps of `CompiledPolicy.init`, one per dimension of a rule. Each is a value built
/// from the document (and the steps before it) and then only read.
extension CompiledPolicy {
    /// Rules in order, then the two defaults: names, flags and the decision each gives.
    struct RuleTable {
        let count: Int
        /// 64-bit words of a rule bitset.
        let words: Int
        let rules: [RuleInfo]
        let indexByName: [String: Int]
        let flags: [RuleMatchFlags]
        let addressFlags: [RuleAddressFlags]
        let finalDecisions: [UInt64]
        let defaultDecisions: [UInt64]

        init(_ doc: PolicyDocument) {
            count = doc.rules.count
            words = max(1, (count + 63) / 64)
            var infos: [RuleInfo] = []
            var byName: [String: Int] = [:]
            for (i, r) in doc.rules.enumerated() {
                infos.append(RuleInfo(index: i, name: r.name, action: r.action, logAtStart: r.log.atStart, logAtEnd: r.log.atEnd,
                                      isDisabled: r.disabled, isDefault: false))
                byName[r.name] = i
            }
            for (k, d) in [doc.intrazone, doc.interzone].enumerated() {
                infos.append(RuleInfo(index: count + k, name: d.name, action: d.action, logAtStart: d.log.atStart, logAtEnd: d.log.atEnd,
                                      isDisabled: false, isDefault: true))
                byName[d.name] = count + k
            }
            rules = infos
            indexByName = byName
            flags = doc.rules.map(RuleMatchFlags.init)
            addressFlags = doc.rules.map(RuleAddressFlags.init)
            finalDecisions = doc.rules.enumerated().map { i, r in
                PolicyDecision(ruleIndex: Int32(i), action: r.action, isFinal: true, logAtStart: r.log.atStart, logAtEnd: r.log.atEnd).packed
            }
            defaultDecisions = [infos[count], infos[count + 1]].map {
                PolicyDecision(ruleIndex: Int32($0.index), action: $0.action, isFinal: true, logAtStart: $0.logAtStart, logAtEnd: $0.logAtEnd).packed
            }
        }
    }

    /// Per zone, the enabled rules its from- and to-zones admit, and of those the ones that
    /// match an address without naming it (`CompiledPolicy.fromOK` and the others).
    struct ZoneMasks {
        let fromOK: [UInt64]
        let toOK: [UInt64]
        let denseSource: [UInt64]
        let denseDestination: [UInt64]

        init(_ doc: PolicyDocument, words W: Int) {
            let Z = doc.zones.count
            var enabled = [UInt64](repeating: 0, count: W)
            var fromMask = [UInt64](repeating: 0, count: W * max(Z, 1))
            var toMask = fromMask
            var anyFrom = [UInt64](repeating: 0, count: W)
            var anyTo = anyFrom
            var srcDense = anyFrom, dstDense = anyFrom
            for (i, r) in doc.rules.enumerated() {
                if !r.disabled { enabled.setBit(i) }
                if r.source.isAny || r.source.negate { srcDense.setBit(i) }
                if r.destination.isAny || r.destination.negate { dstDense.setBit(i) }
                if let zs = r.fromZones { for z in zs where z < Z { fromMask.setBit(z * W * 64 + i) } } else { anyFrom.setBit(i) }
                if let zs = r.toZones { for z in zs where z < Z { toMask.setBit(z * W * 64 + i) } } else { anyTo.setBit(i) }
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
            fromOK = fromMask
            toOK = toMask
            denseSource = dsMask
            denseDestination = ddMask
        }
    }

    /// Tag expressions (address groups and zones by tag), deduplicated and compiled to
    /// postfix programs over policy tag ids, with the rules and zones that name each; and
    /// the tunnel zones (`vni`/`nodes`), which are kept apart from the address zones.
    struct ExpressionTable {
        let tagIndex: [Tag: Int32]
        let programs: [[Int32]]
        let sourceRules: [[Int32]]
        let destinationRules: [[Int32]]
        let zoneExpressions: [(zone: UInt16, expression: Int32)]
        let anchoredOn: [[Int32]]
        let unanchored: [Int32]
        /// Zones, VNIs, nodes, expressions and universality; interval masks come with the
        /// sweep and the untagged mask with the classes.
        let tunnelZones: TunnelZones

        init(_ doc: PolicyDocument) {
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
            var tags: [Tag: Int32] = [:]
            var tagList: [Tag] = []
            func tagID(_ t: Tag) -> Int32 {
                if let id = tags[t] { return id }
                let id = Int32(tagList.count)
                tags[t] = id
                tagList.append(t)
                return id
            }
            var progs: [[Int32]] = []
            var anchored: [[Int32]] = []
            var floating: [Int32] = []
            for (k, e) in exprs.enumerated() {
                var prog: [Int32] = []
                CompiledPolicy.emit(e, into: &prog, tagID: tagID)
                progs.append(prog)
                if let anchor = CompiledPolicy.anchor(of: e) {
                    let id = Int(tagID(anchor))
                    while anchored.count <= id { anchored.append([]) }
                    anchored[id].append(Int32(k))
                } else {
                    floating.append(Int32(k))
                }
            }
            while anchored.count < tagList.count { anchored.append([]) }
            tagIndex = tags
            programs = progs
            sourceRules = srcOfExpr
            destinationRules = dstOfExpr
            zoneExpressions = zoneExprs
            anchoredOn = anchored
            unanchored = floating
            tunnelZones = tunnel
        }

        /// The expressions that hold for an address with no tags.
        var matchingUntagged: [Int32] {
            (0..<programs.count).filter { CompiledPolicy.run(programs[$0]) { _ in false } }.map { Int32($0) }
        }
    }

    /// Address space cut into disjoint intervals at every range edge the policy names; per
    /// interval, the rules whose source (destination) ranges cover it and the zone whose
    /// networks hold it. Refused (`tooComplex`) past the compile limits.
    struct AddressSweep {
        let tooComplex: String?
        /// How many intervals were swept: all, or 1 when the policy was refused.
        let count: Int
        let high: [UInt64]
        let low: [UInt64]
        let rawSource: [UInt32]
        let rawDestination: [UInt32]
        let networkZone: [UInt16]
        let raw: RuleListStore
        /// The expression table's tunnel zones with their interval masks.
        let tunnelZones: TunnelZones

        init(_ doc: PolicyDocument, words W: Int, tunnelZones: TunnelZones) {
            let R = doc.rules.count, Z = doc.zones.count
            var edges: [IPAddress] = [.zero]
            func addEdges(_ r: AddressRange) {
                edges.append(r.first)
                if let next = r.last.successor { edges.append(next) }
            }
            for zone in doc.zones { zone.networks.forEach(addEdges) }
            for r in doc.rules {
                if !r.source.isAny { r.source.set.ranges.forEach(addEdges) }
                if !r.destination.isAny { r.destination.set.ranges.forEach(addEdges) }
            }
            edges.sort()
            var unique: [IPAddress] = []
            unique.reserveCapacity(edges.count)
            for p in edges where unique.last != p { unique.append(p) }
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
            let tunnelZoneIndexes = Set(tunnelZones.zones.map(Int.init))
            for (z, zone) in doc.zones.enumerated() where !tunnelZoneIndexes.contains(z) {
                for r in zone.networks { addRange(r, kind: 2, id: z) }
            }
            for (i, rule) in doc.rules.enumerated() {
                if !rule.source.isAny { for r in rule.source.set.ranges { addRange(r, kind: 0, id: i) } }
                if !rule.destination.isAny { for r in rule.destination.set.ranges { addRange(r, kind: 1, id: i) } }
            }
            let sweepCount: Int
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
            var lists = RuleListStore()
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
                iRawSrc.append(lists.part(CompiledPolicy.list(of: curSrc)))
                iRawDst.append(lists.part(CompiledPolicy.list(of: curDst)))
                iZone.append(UInt16(clamping: zoneCount.firstIndex { $0 > 0 } ?? 0xFFFF))
            }
            var tunnel = tunnelZones
            tunnel.intervalMask = [UInt64](repeating: 0, count: max(sweepCount, 1))
            for (i, z) in tunnel.zones.enumerated() where sweepCount == K {
                for r in doc.zones[Int(z)].networks {
                    let a = intervalOf(r.first)
                    let b = r.last.successor.map(intervalOf) ?? K
                    for k in a..<max(a, b) { tunnel.intervalMask[k] |= 1 << UInt64(i) }
                }
            }
            count = sweepCount
            high = iHigh
            low = iLow
            rawSource = iRawSrc
            rawDestination = iRawDst
            networkZone = iZone
            raw = lists
            self.tunnelZones = tunnel
        }
    }

    /// Services: each transport's ports cut at every edge rules and application defaults
    /// use, then swept once, tracking which rules' port ranges cover each piece; every
    /// piece gets a class (the rules it admits, and the applications it is a default of).
    struct ServiceTable {
        /// `portClass[transport * 65536 + port]` for tcp, udp, sctp.
        let portClass: [UInt32]
        let icmpClass: UInt32
        let otherClass: UInt32
        let classes: ClassStore

        init(_ doc: PolicyDocument, words W: Int) {
            let R = doc.rules.count
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
            classes = serviceStore
        }
    }

    /// Per application of the catalog, the rules that admit it (`applications: any`
    /// included), and the rules that admit any.
    struct ApplicationTable {
        let bits: [UInt64]
        let anyBits: [UInt64]

        init(_ doc: PolicyDocument, words W: Int) {
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
            bits = apps
            anyBits = anyApps
        }
    }

    /// The final classes of untagged addresses, per interval: its ranges' rules plus the
    /// rules of the expressions an address without tags satisfies, and its zone. Also the
    /// IPv4 /16 → interval index that narrows the lookup's binary search.
    struct IntervalClasses {
        let sourcePart: [UInt32]
        let destinationPart: [UInt32]
        let sourceClass: [UInt32]
        let destinationClass: [UInt32]
        let sourceClasses: RuleListStore
        let destinationClasses: RuleListStore
        let ipv4Interval: [UInt32]
        /// The sweep's tunnel zones with the mask untagged addresses get.
        let tunnelZones: TunnelZones

        init(_ doc: PolicyDocument, sweep: AddressSweep, expressions: ExpressionTable, defaultZone: UInt16) {
            let R = doc.rules.count
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
            iSrcClass.reserveCapacity(sweep.count)
            iDstClass.reserveCapacity(sweep.count)
            let emptyMatches = expressions.matchingUntagged
            let emptySource = CompiledPolicy.merge([], emptyMatches, expressions.sourceRules)
            let emptyDestination = CompiledPolicy.merge([], emptyMatches, expressions.destinationRules)
            var tunnel = sweep.tunnelZones
            tunnel.untagged = tunnel.tagMask(matched: emptyMatches)
            let raw = sweep.raw
            for k in 0..<sweep.count {
                let zone = CompiledPolicy.zoneFor(networkZone: sweep.networkZone[k], matched: emptyMatches,
                                                  zoneExpressions: expressions.zoneExpressions, defaultZone: defaultZone)
                iSrcPart.append(srcClasses.part(Array(raw.list(sweep.rawSource[k]))))
                iDstPart.append(dstClasses.part(Array(raw.list(sweep.rawDestination[k]))))
                iSrcClass.append(srcClasses.intern(rangesPart: iSrcPart[k], tagRules: CompiledPolicy.subtract(emptySource, raw.list(sweep.rawSource[k])), zone: zone))
                iDstClass.append(dstClasses.intern(rangesPart: iDstPart[k], tagRules: CompiledPolicy.subtract(emptyDestination, raw.list(sweep.rawDestination[k])), zone: zone))
            }
            // IPv4 /16 → interval, to narrow the binary search (see `PolicyMatcher.ipv4Interval`).
            var v4 = [UInt32](repeating: 0, count: 65537)
            var k = 0
            for p in 0...65536 {
                let a = p == 65536 ? IPAddress(ipv4: .max) : IPAddress(ipv4: UInt32(p) << 16)
                while k + 1 < sweep.high.count && IPAddress(high: sweep.high[k + 1], low: sweep.low[k + 1]) <= a { k += 1 }
                v4[p] = UInt32(k)
            }
            sourcePart = iSrcPart
            destinationPart = iDstPart
            sourceClass = iSrcClass
            destinationClass = iDstClass
            sourceClasses = srcClasses
            destinationClasses = dstClasses
            ipv4Interval = v4
            tunnelZones = tunnel
        }
    }
}
