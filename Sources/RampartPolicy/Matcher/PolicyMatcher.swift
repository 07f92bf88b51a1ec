import RampartWire

/// Decides sessions against a compiled policy; keeps the address→tags map current.
///
/// One per engine worker; not thread-safe by design (share the `CompiledPolicy`, not this).
/// A lookup costs a hash probe per address (tagged; one cache line for IPv4) or a short
/// binary search over the policy's address intervals (untagged; narrowed by a per-/16
/// index for IPv4), a table read for the port, and one probe of a decision cache (one
/// cache line). A cache miss walks the two addresses' rule lists (see `scan`), not the
/// rule bitsets.
///
/// ```swift
/// let matcher = try PolicyMatcher(document, tags: tags)
/// let d = matcher.decide(PolicyQuery(source: a, destination: b, ipProtocol: .tcp, destinationPort: 443))
/// print(matcher.rules[Int(d.ruleIndex)].name, d.action)
/// matcher.setTags([Tag(validating: "ns:shop")!], for: a)   // no recompile
/// ```
public final class PolicyMatcher {
    public let compiled: CompiledPolicy
    let words: Int
    var sourceClasses: RuleListStore
    var destinationClasses: RuleListStore
    /// Raw copies of the two stores' pools for the hot path (reading a Swift array held by a
    /// class retains its buffer); `setTags` appends what its interning added.
    ///
    /// These four are read or written on every lookup, so they opt out of dynamic
    /// exclusivity checks (a runtime call per access, several per lookup): the matcher is
    /// used by one worker at a time and never reenters itself while one of them is accessed.
    @exclusivity(unchecked) var sourcePool: RulePoolMirror
    @exclusivity(unchecked) var destinationPool: RulePoolMirror
    @exclusivity(unchecked) var tagged: AddressClassMap
    @exclusivity(unchecked) var cache: DecisionCache<ClassPairKey>
    /// Cold-path copies of each tagged address's tags: its interned tag set.
    var tagsByAddress: [IPAddress: UInt32] = [:]
    /// The tag sets addresses hold now and sessions were decided with.
    var tagSets = TagSetTable()
    /// Which node each node and pod address belongs to (from `kind:` and `node:` tags).
    var nodes = NodeMap()
    var tagIDs: [Tag: UInt32] = [:]
    var tagNames: [Tag] = []
    /// Tag ids no live set holds, to be given to the next new tag.
    var freeTagIDs: [UInt32] = []
    var stamps: [UInt32]
    var stamp: UInt32 = 0
    var scratchCandidates: [Bool]

    // Hot-path copies in plain buffers (no retain/release, no bounds checks on the fast path).
    let intervalCount: Int
    /// `ApplicationCatalog.count`, read once (a static needs a once-check per read).
    let applicationCount: Int
    let intrazoneDecision: UInt64
    let interzoneDecision: UInt64
    /// The implicit `unassigned` zone, or -1: never intrazone (addresses without a zone).
    let implicitZone: Int
    let icmpClass: UInt32
    let otherClass: UInt32
    let intervalHigh: FixedTable<UInt64>
    let intervalLow: FixedTable<UInt64>
    let intervalSource: FixedTable<UInt32>
    let intervalDestination: FixedTable<UInt32>
    /// `ipv4Interval[p]`: the interval holding IPv4 address `p << 16` (p ≤ 65535), and at
    /// 65536 the one holding 255.255.255.255. An IPv4 address in /16 `p` lies in an interval
    /// between `ipv4Interval[p]` and `ipv4Interval[p + 1]`, usually the same one, so the
    /// binary search is over a handful of intervals instead of all of them.
    let ipv4Interval: FixedTable<UInt32>
    /// The low 32 bits of each interval's start (its IPv4 value when it starts in IPv4 space).
    let intervalStartV4: FixedTable<UInt32>
    /// Port → service class in two levels: `portBlock[transport * 256 + port >> 8]` is the
    /// offset in `portClass` of that block's 256 classes. Equal blocks are stored once (most
    /// blocks hold no rule edge), so 3 × 65,536 entries (768 KB, a cache miss per random
    /// port) become a few dozen kilobytes that stay in cache; two loads, no branch.
    let portBlock: FixedTable<UInt32>
    let portClass: FixedTable<UInt32>
    let denseSource: FixedTable<UInt64>
    let denseDestination: FixedTable<UInt64>
    let serviceBits: FixedTable<UInt64>
    let serviceApplications: FixedTable<UInt64>
    let fromOK: FixedTable<UInt64>
    let toOK: FixedTable<UInt64>
    let appBits: FixedTable<UInt64>
    let anyApplicationBits: FixedTable<UInt64>
    /// Every bit set: the application row while App-ID has not named the application.
    let allRules: FixedTable<UInt64>
    let addressFlags: FixedTable<RuleAddressFlags>
    let ruleFlags: FixedTable<RuleMatchFlags>
    let finalDecision: FixedTable<UInt64>
    /// Per zone, the word indexes where `denseSource` (`denseDestination`) is non-zero:
    /// zone z's list is `pool[start[z] ..< start[z + 1]]`.
    let denseSourceWords: FixedTable<Int32>
    let denseSourceWordStart: FixedTable<Int32>
    let denseDestinationWords: FixedTable<Int32>
    let denseDestinationWordStart: FixedTable<Int32>
    /// Room for one side's whole list when its two parts must be merged (`Side.merged`); a
    /// list names each rule at most once, so `words * 64` entries always suffice.
    let scratchSource: FixedTable<Int32>
    let scratchDestination: FixedTable<Int32>

    // Tunnel zones (`vni`/`nodes`; see `TunnelZones`). Without any, `decide` never reads these.
    let hasTunnelZones: Bool
    /// Zone index of tunnel zone bit i (64 entries).
    let tunnelZoneOf: FixedTable<UInt16>
    /// Per interval: tunnel zones whose networks hold it.
    let intervalTunnel: FixedTable<UInt64>
    let tunnelUniversal: UInt64
    let tunnelUntagged: UInt64
    /// Tagged addresses whose tag-matched tunnel zones differ from `tunnelUntagged`.
    @exclusivity(unchecked) var tunnelTags: AddressClassMap
    @exclusivity(unchecked) var zonedCache: DecisionCache<ZonedClassPairKey>
    /// The last tunnel asked about and its mask: a worker sees few nodes, one after another.
    @exclusivity(unchecked) var lastTunnel: (vni: UInt32, source: IPAddress, mask: UInt64) = (0, .zero, 0)
    @exclusivity(unchecked) var lastTunnelValid = false

    public convenience init(_ document: PolicyDocument, tags: [(IPAddress, [Tag])]) throws(PolicyErrors) {
        try self.init(compiled: CompiledPolicy(document: document), tags: tags)
    }

    /// A matcher over an already compiled policy (several workers can share one).
    public init(compiled: CompiledPolicy, tags: [(IPAddress, [Tag])]) throws(PolicyErrors) {
        if let reason = compiled.tooComplex {
            throw PolicyErrors([PolicyError(file: "<policy>", line: 1, column: 1, message: reason)])
        }
        self.compiled = compiled
        words = compiled.words
        sourceClasses = compiled.sourceClasses
        destinationClasses = compiled.destinationClasses
        sourcePool = RulePoolMirror(compiled.sourceClasses.pool)
        destinationPool = RulePoolMirror(compiled.destinationClasses.pool)
        intrazoneDecision = compiled.defaultDecisions[0]
        interzoneDecision = compiled.defaultDecisions[1]
        implicitZone = compiled.implicitZone
        icmpClass = compiled.icmpClass
        otherClass = compiled.otherClass
        tagged = AddressClassMap(minimumCapacity: tags.count)
        cache = DecisionCache(capacity: 1 << 16)
        stamps = [UInt32](repeating: 0, count: compiled.policyTagIndex.count)
        scratchCandidates = [Bool](repeating: false, count: compiled.programs.count)
        intervalCount = compiled.intervalHigh.count
        applicationCount = ApplicationCatalog.count
        func copy<T: BitwiseCopyable>(_ a: [T]) -> FixedTable<T> { FixedTable(a) }
        intervalHigh = copy(compiled.intervalHigh)
        intervalLow = copy(compiled.intervalLow)
        intervalSource = copy(compiled.intervalSourceClass)
        intervalDestination = copy(compiled.intervalDestinationClass)
        ipv4Interval = copy(compiled.ipv4Interval)
        intervalStartV4 = copy(compiled.intervalLow.map { UInt32(truncatingIfNeeded: $0) })
        var blockIndex: [ArraySlice<UInt32>: UInt32] = [:]
        var blocks: [UInt32] = [], fine: [UInt32] = []
        for b in 0..<(compiled.portClass.count / 256) {
            let block = compiled.portClass[(b * 256)..<(b * 256 + 256)]
            if let at = blockIndex[block] { blocks.append(at); continue }
            let at = UInt32(fine.count)
            blockIndex[block] = at
            fine += block
            blocks.append(at)
        }
        portBlock = copy(blocks)
        portClass = copy(fine)
        denseSource = copy(compiled.denseSource)
        denseDestination = copy(compiled.denseDestination)
        serviceBits = copy(compiled.serviceClasses.bits)
        serviceApplications = copy(compiled.serviceClasses.extras)
        fromOK = copy(compiled.fromOK)
        toOK = copy(compiled.toOK)
        appBits = copy(compiled.appBits)
        anyApplicationBits = copy(compiled.anyApplicationBits)
        allRules = copy([UInt64](repeating: ~0, count: compiled.words))
        addressFlags = copy(compiled.addressFlags)
        ruleFlags = copy(compiled.ruleFlags)
        finalDecision = copy(compiled.finalDecision)
        func wordLists(_ dense: [UInt64]) -> ([Int32], [Int32]) {
            var pool: [Int32] = [], start: [Int32] = [0]
            let W = compiled.words
            for z in 0..<(dense.count / W) {
                for w in 0..<W where dense[z * W + w] != 0 { pool.append(Int32(w)) }
                start.append(Int32(pool.count))
            }
            return (pool, start)
        }
        let (sw, ss) = wordLists(compiled.denseSource)
        let (dw, dsStart) = wordLists(compiled.denseDestination)
        denseSourceWords = copy(sw)
        denseSourceWordStart = copy(ss)
        denseDestinationWords = copy(dw)
        denseDestinationWordStart = copy(dsStart)
        scratchSource = FixedTable(repeating: 0, count: compiled.words * 64)
        scratchDestination = FixedTable(repeating: 0, count: compiled.words * 64)
        let tz = compiled.tunnelZones
        hasTunnelZones = !tz.isEmpty
        tunnelZoneOf = copy(tz.zones + [UInt16](repeating: 0xFFFF, count: 64 - tz.zones.count))
        intervalTunnel = copy(tz.intervalMask.count >= intervalCount ? tz.intervalMask : [UInt64](repeating: 0, count: max(intervalCount, 1)))
        tunnelUniversal = tz.universal
        tunnelUntagged = tz.untagged
        tunnelTags = AddressClassMap(minimumCapacity: tz.isEmpty ? 1 : 64)
        zonedCache = DecisionCache(capacity: tz.isEmpty ? 2 : 1 << 14)
        var errors: [PolicyError] = []
        var seen = Set<IPAddress>()
        for (address, list) in tags {
            if !seen.insert(address).inserted {
                errors.append(PolicyError(file: "<tags>", line: 0, column: 0, message: "address \(address) is given tags twice"))
                continue
            }
            setTags(list, for: address)
        }
        if !errors.isEmpty { throw PolicyErrors(errors) }
    }

    deinit {
        sourcePool.deallocate()
        destinationPool.deallocate()
    }

    // MARK: the hot path

    /// The decision for a session. Costs no allocation; steady state is a few probes.
    public func decide(_ query: PolicyQuery) -> PolicyDecision {
        let svc = serviceClass(query.ipProtocol.rawValue, query.destinationPort)
        let (s, d) = classes(query.source, query.destination)
        if hasTunnelZones, let node = query.tunnelSource {
            let tm = tunnelMask(vni: query.tunnelVNI, source: node)
            if tm != 0 { return decideZoned(query, s, d, svc, tm) }
        }
        let key = ClassPairKey(classes: UInt64(s) << 32 | UInt64(d))
        guard let tag = CompactDecision.tag(serviceClass: svc, application: query.application) else {
            return evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application)
        }
        if let hit = cache.lookup(key, tag) { return CompactDecision.expand(hit) }
        let decision = evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application)
        if let c = CompactDecision.compact(decision) { cache.insert(key, tag, c) }
        return decision
    }

    /// The decision computed from the rule lists, bypassing the cache (for benchmarks and
    /// for checking the cache; not the per-packet API).
    public func decideUncached(_ query: PolicyQuery) -> PolicyDecision {
        let svc = serviceClass(query.ipProtocol.rawValue, query.destinationPort)
        let (s, d) = classes(query.source, query.destination)
        if hasTunnelZones, let node = query.tunnelSource {
            let tm = tunnelMask(vni: query.tunnelVNI, source: node)
            let zs = effectiveZone(query.source, staticZone: sourceClasses.zone(s), tm)
            let zd = effectiveZone(query.destination, staticZone: destinationClasses.zone(d), tm)
            return evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application, zones: (zs, zd))
        }
        return evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application)
    }

    /// The source address's source class and the destination address's destination class.
    @inline(__always)
    func classes(_ source: IPAddress, _ destination: IPAddress) -> (UInt32, UInt32) {
        let (vs, vd) = tagged.lookup(source, destination)
        let s = vs.map { UInt32(truncatingIfNeeded: $0 >> 32) } ?? intervalSource[interval(of: source)]
        let d = vd.map { UInt32(truncatingIfNeeded: $0) } ?? intervalDestination[interval(of: destination)]
        return (s, d)
    }

    @inline(__always)
    func sourceClass(of a: IPAddress) -> UInt32 {
        if let v = tagged.lookup(a) { return UInt32(truncatingIfNeeded: v >> 32) }
        return intervalSource[interval(of: a)]
    }

    @inline(__always)
    func destinationClass(of a: IPAddress) -> UInt32 {
        if let v = tagged.lookup(a) { return UInt32(truncatingIfNeeded: v) }
        return intervalDestination[interval(of: a)]
    }

    /// The last interval whose start is at or below `a` (interval 0 starts at `::`).
    @inline(__always)
    func interval(of a: IPAddress) -> Int {
        var lo = 0
        var n = intervalCount
        if a.isIPv4 {
            let p = Int(truncatingIfNeeded: a.ipv4Value >> 16)
            lo = Int(ipv4Interval[p])
            n = Int(ipv4Interval[p &+ 1]) &- lo &+ 1
            // Every interval after `lo` in this range starts inside IPv4 space, so its low
            // 32 bits order it: one 4-byte load per step instead of two 8-byte ones.
            let v = a.ipv4Value
            while n > 1 {
                let half = n >> 1
                let mid = lo &+ half
                lo = intervalStartV4[mid] > v ? lo : mid
                n &-= half
            }
            return lo
        }
        while n > 1 {
            let half = n >> 1
            let mid = lo &+ half
            let h = intervalHigh[mid], l = intervalLow[mid]
            let midIsAbove = h > a.high || (h == a.high && l > a.low)
            lo = midIsAbove ? lo : mid
            n &-= half
        }
        return lo
    }

    @inline(__always)
    func serviceClass(_ p: UInt8, _ port: UInt16) -> UInt32 {
        switch p {
        case 6: return portClass[Int(portBlock[Int(port &>> 8)]) &+ Int(port & 255)]
        case 17: return portClass[Int(portBlock[256 &+ Int(port &>> 8)]) &+ Int(port & 255)]
        case 132: return portClass[Int(portBlock[512 &+ Int(port &>> 8)]) &+ Int(port & 255)]
        case 1, 58: return icmpClass
        default: return otherClass
        }
    }

    // MARK: tunnel zones (cold unless the policy has some)

    /// The tunnel zones accepting this tunnel; the last answer is kept.
    @inline(__always)
    func tunnelMask(vni: UInt32, source: IPAddress) -> UInt64 {
        if lastTunnelValid && lastTunnel.vni == vni && lastTunnel.source == source { return lastTunnel.mask }
        return refreshTunnelMask(vni: vni, source: source)
    }

    @inline(never)
    func refreshTunnelMask(vni: UInt32, source: IPAddress) -> UInt64 {
        let m = compiled.tunnelZones.mask(vni: vni, source: source)
        lastTunnel = (vni, source, m)
        lastTunnelValid = true
        return m
    }

    /// The address's zone in a tunnel whose zones are `tm`: the first tunnel zone holding
    /// it, if declared before `staticZone` (the defaults.zone counts as last); else `staticZone`.
    @inline(__always)
    func effectiveZone(_ a: IPAddress, staticZone: UInt16, _ tm: UInt64) -> UInt16 {
        let tagBits = tunnelTags.lookup(a) ?? tunnelUntagged
        let held = tm & (tunnelUniversal | tagBits | intervalTunnel[interval(of: a)])
        guard held != 0 else { return staticZone }
        let z = tunnelZoneOf[held.trailingZeroBitCount]
        return staticZone == compiled.defaultZone || z < staticZone ? z : staticZone
    }

    /// `decide` when the tunnel selects some tunnel zone: zones resolved per address, and
    /// decisions whose zones differ from the classes' cached apart.
    @inline(never)
    func decideZoned(_ query: PolicyQuery, _ s: UInt32, _ d: UInt32, _ svc: UInt32, _ tm: UInt64) -> PolicyDecision {
        let zs0 = sourceClasses.zone(s), zd0 = destinationClasses.zone(d)
        let zs = effectiveZone(query.source, staticZone: zs0, tm)
        let zd = effectiveZone(query.destination, staticZone: zd0, tm)
        let key = ClassPairKey(classes: UInt64(s) << 32 | UInt64(d))
        guard let tag = CompactDecision.tag(serviceClass: svc, application: query.application) else {
            return evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application, zones: (zs, zd))
        }
        if zs == zs0 && zd == zd0 {
            if let hit = cache.lookup(key, tag) { return CompactDecision.expand(hit) }
            let decision = evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application)
            if let c = CompactDecision.compact(decision) { cache.insert(key, tag, c) }
            return decision
        }
        let zoned = ZonedClassPairKey(classes: key.classes, zones: UInt64(zs) << 16 | UInt64(zd))
        if let hit = zonedCache.lookup(zoned, tag) { return CompactDecision.expand(hit) }
        let decision = evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application, zones: (zs, zd))
        if let c = CompactDecision.compact(decision) { zonedCache.insert(zoned, tag, c) }
        return decision
    }

    /// The cache-miss path: finds the first rule that matches, in rule order. `zones`
    /// overrides the classes' zones (tunnel zones).
    func evaluate(sourceClass s: UInt32, destinationClass d: UInt32, serviceClass svc: UInt32, application: ApplicationID?,
                  zones: (UInt16, UInt16)? = nil) -> PolicyDecision {
        let sBase = UnsafePointer(sourcePool.base), dBase = UnsafePointer(destinationPool.base)
        let S = sBase + Int(s), D = dBase + Int(d)
        let sPart = sBase + Int(UInt32(bitPattern: S[2])), dPart = dBase + Int(UInt32(bitPattern: D[2]))
        return scan(Side(S + 3, Int(S[0]), sPart + 2, Int(sPart[0])), Side(D + 3, Int(D[0]), dPart + 2, Int(dPart[0])),
                    zs: Int(zones?.0 ?? UInt16(truncatingIfNeeded: S[1])), zd: Int(zones?.1 ?? UInt16(truncatingIfNeeded: D[1])),
                    sAlone: S[1] & RuleListStore.hasAloneEntries != 0, dAlone: D[1] & RuleListStore.hasAloneEntries != 0,
                    svc: svc, application: application)
    }

    /// One address's list as its two disjoint, ascending parts (tags part, ranges part).
    struct Side {
        var tags: UnsafePointer<Int32>
        var tagCount: Int
        var ranges: UnsafePointer<Int32>
        var rangeCount: Int
        @inline(__always)
        init(_ t: UnsafePointer<Int32>, _ nt: Int, _ r: UnsafePointer<Int32>, _ nr: Int) {
            tags = t; tagCount = nt; ranges = r; rangeCount = nr
        }
        var count: Int { tagCount &+ rangeCount }
        /// SIMD steps to search both parts once.
        var chunks: Int { (tagCount &+ 7) &>> 3 &+ (rangeCount &+ 7) &>> 3 }

        /// The entry naming rule `r`, if any (both parts; 8 entries per step).
        @inline(__always)
        func find(_ r: Int32) -> Int32? {
            if let e = Side.find(r, tags, tagCount) { return e }
            return Side.find(r, ranges, rangeCount)
        }

        /// Reads whole 8-entry chunks, so it may read up to 7 entries past `n`; the pool
        /// mirror keeps that much slack (`RulePoolMirror.slack`), and those lanes are masked.
        @inline(__always)
        static func find(_ r: Int32, _ list: UnsafePointer<Int32>, _ n: Int) -> Int32? {
            let target = SIMD8<Int32>(repeating: r)
            let lane = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
            var k = 0
            while k < n {
                let v = UnsafeRawPointer(list + k).loadUnaligned(as: SIMD8<Int32>.self)
                // 3 is RuleListStore.shift, written as a literal so the shift is an immediate.
                let hit = (v &>> 3 .== target) .& (lane .< SIMD8<Int32>(repeating: Int32(truncatingIfNeeded: n &- k)))
                if any(hit) {
                    for l in 0..<8 where hit[l] { return v[l] }
                }
                k &+= 8
            }
            return nil
        }

        /// Whether either part names rule `r` (binary search; for the rare negated rules).
        @inline(__always)
        func contains(_ r: Int32) -> Bool {
            PolicyMatcher.contains(tags, tagCount, r) || PolicyMatcher.contains(ranges, rangeCount, r)
        }

        /// Both parts as one ascending list: a part itself when the other is empty (the usual
        /// case, no copy), else the two merged into `scratch` (room for every rule).
        @inline(__always)
        func merged(into scratch: UnsafeMutablePointer<Int32>) -> (UnsafePointer<Int32>, Int) {
            if rangeCount == 0 { return (tags, tagCount) }
            if tagCount == 0 { return (ranges, rangeCount) }
            let a = ranges, b = tags, na = rangeCount, nb = tagCount
            var i = 0, j = 0, n = 0
            while i < na && j < nb {
                let x = a[i], y = b[j]
                scratch[n] = x < y ? x : y
                n &+= 1
                if x <= y { i &+= 1 }
                if y <= x { j &+= 1 }
            }
            while i < na { scratch[n] = a[i]; n &+= 1; i &+= 1 }
            while j < nb { scratch[n] = b[j]; n &+= 1; j &+= 1 }
            return (UnsafePointer(scratch), n)
        }
    }

    /// The first matching rule for the source side `S` and destination side `D`.
    ///
    /// A rule can match only if (a) both addresses' lists name it, (b) one list names it and
    /// the rule's other side is `any` or negated (entry flag `matchesAlone`), or (c) neither
    /// list names it and both sides are `any` or negated (the per-zone `dense` masks). So
    /// instead of ANDing whole rule bitsets, this finds the first (a)/(b) candidate that
    /// passes single-bit tests (zones, service, application), then looks for a lower-numbered
    /// match among (c), a few words of the dense masks. When the lists are short, each (a)
    /// entry of the shorter side is searched in the other with 8-wide compares (no
    /// data-dependent branch per entry, which matters more than instruction counts on random
    /// traffic) and (b) entries are taken as they come. Long lists are walked together in
    /// rule order instead. No allocation.
    @inline(__always)
    private func scan(_ S: Side, _ D: Side, zs: Int, zd: Int, sAlone: Bool, dAlone: Bool, svc: UInt32,
                      application: ApplicationID?) -> PolicyDecision {
        let W = words
        let fo = fromOK.pointer + zs &* W, to = toOK.pointer + zd &* W
        let vb = serviceBits.pointer + Int(svc) &* W
        var appRow = allRules.pointer
        if let a = application {
            appRow = Int(a.rawValue) < applicationCount ? appBits.pointer + Int(a.rawValue) &* W : anyApplicationBits.pointer
        }
        let appMask = serviceApplications[Int(svc)]
        let appDefaultHolds = application.map { $0.rawValue < 64 && (appMask >> UInt64($0.rawValue)) & 1 != 0 } ?? true
        let named = application != nil
        let admission = Admission(from: fo, to: to, service: vb, application: appRow, ruleFlags: ruleFlags.pointer,
                                  checkApplicationDefault: named && !appDefaultHolds)

        var best = Int.max
        let sourceIsShort = S.count <= D.count
        let shortSide = sourceIsShort ? S : D, longSide = sourceIsShort ? D : S
        let longAlone = sourceIsShort ? dAlone : sAlone
        let alone = sAlone || dAlone
        let short = shortSide.count &* longSide.chunks <= 64
        if short && !alone {
            // Only rules both lists name can match (the usual case: no rule with `any` or a
            // negation names these addresses). Each part of the short side is ascending, so
            // a part stops at its first admitted rule (or once past `best`).
            best = PolicyMatcher.firstCommon(shortSide.tags, shortSide.tagCount, in: longSide, below: best, admission)
            best = PolicyMatcher.firstCommon(shortSide.ranges, shortSide.rangeCount, in: longSide, below: best, admission)
        } else if short {
            best = PolicyMatcher.firstMatchingAlone(shortSide, longSide, longAlone: longAlone, admission)
        } else {
            best = firstMatchingMerged(S, D, alone: alone, admission)
        }

        // Rules that name neither address, below `best`: common words of the two dense masks.
        let ds = denseSource.pointer + zs &* W, dd = denseDestination.pointer + zd &* W
        var zsw = Int(denseSourceWordStart[zs]), zdw = Int(denseDestinationWordStart[zd])
        let zswEnd = Int(denseSourceWordStart[zs &+ 1]), zdwEnd = Int(denseDestinationWordStart[zd &+ 1])
        dense: while zsw < zswEnd && zdw < zdwEnd {
            let a = Int(denseSourceWords[zsw]), b = Int(denseDestinationWords[zdw])
            if a != b {
                if a < b { zsw &+= 1 } else { zdw &+= 1 }
                continue
            }
            let w = a
            if w &* 64 >= best { break }
            zsw &+= 1
            zdw &+= 1
            var cand = ds[w] & dd[w] & vb[w] & appRow[w]
            while cand != 0 {
                let r = w &* 64 &+ cand.trailingZeroBitCount
                cand &= cand &- 1
                if r >= best { break dense }
                let f = addressFlags[r]
                // A negated side matches only if that address's list does not name the rule.
                if f.contains(.sourceNegated) && S.contains(Int32(truncatingIfNeeded: r)) { continue }
                if f.contains(.destinationNegated) && D.contains(Int32(truncatingIfNeeded: r)) { continue }
                if named && ruleFlags[r].contains(.applicationDefault) && !appDefaultHolds { continue }
                best = r
                break dense
            }
        }

        if best == Int.max {
            // Two addresses that no zone holds are not "in the same zone" (fail closed).
            return PolicyDecision(packed: zs == zd && zs != implicitZone ? intrazoneDecision : interzoneDecision)
        }
        let final = PolicyDecision(packed: finalDecision[best])
        if named || ruleFlags[best] == .applicationsAny { return final }
        // Depends on the application: allow for now, decide when App-ID knows.
        var p = final
        p.action = .allow
        p.isFinal = false
        p.logAtStart = false
        return p
    }

    /// The tests a candidate rule must pass besides naming the addresses: its from/to zones,
    /// service and application bits, and application-default when App-ID named the
    /// application on a port that is not one of its defaults.
    struct Admission {
        let from, to, service, application: UnsafeMutablePointer<UInt64>
        let ruleFlags: UnsafeMutablePointer<RuleMatchFlags>
        /// Set when application-default rules cannot match (named application, other port).
        let checkApplicationDefault: Bool

        @inline(__always)
        func admits(_ r: Int) -> Bool {
            let w = r &>> 6, one: UInt64 = 1 &<< UInt64(r & 63)
            guard from[w] & to[w] & service[w] & application[w] & one != 0 else { return false }
            return !checkApplicationDefault || !ruleFlags[r].contains(.applicationDefault)
        }
    }

    /// The first admitted rule below `best` that `list[0..<n]` (ascending) and `other` both
    /// name. A static function returning the result, not a closure updating a captured
    /// variable: a capture the compiler does not inline is boxed on the heap.
    @inline(__always)
    static func firstCommon(_ list: UnsafePointer<Int32>, _ n: Int, in other: Side, below best: Int, _ admission: Admission) -> Int {
        for i in 0..<n {
            let e = list[i], r = Int(e &>> RuleListStore.shift)
            if r >= best { return best }
            guard e & RuleListStore.negated == 0, other.find(e &>> RuleListStore.shift) != nil, admission.admits(r) else { continue }
            return r
        }
        return best
    }

    /// The first admitted rule of short lists where some entry can match alone (a rule
    /// with `any` or a negation on its other side): walks the short side, searching its
    /// both-sides entries in the long side 8 at a time and taking matches-alone entries as
    /// they come, then the long side's matches-alone entries. Kept out of line so the usual
    /// path (no such entries) stays small.
    @inline(never)
    static func firstMatchingAlone(_ shortSide: Side, _ longSide: Side, longAlone: Bool, _ admission: Admission) -> Int {
        var best = walk(shortSide.tags, shortSide.tagCount, other: longSide, searchBoth: true, below: Int.max, admission)
        best = walk(shortSide.ranges, shortSide.rangeCount, other: longSide, searchBoth: true, below: best, admission)
        if longAlone {
            best = walk(longSide.tags, longSide.tagCount, other: shortSide, searchBoth: false, below: best, admission)
            best = walk(longSide.ranges, longSide.rangeCount, other: shortSide, searchBoth: false, below: best, admission)
        }
        return best
    }

    /// One part's first admitted candidate below `best` (see `firstMatchingAlone`); the part
    /// is ascending, so the walk stops at its first admitted rule or once past `best`.
    @inline(__always)
    static func walk(_ list: UnsafePointer<Int32>, _ n: Int, other: Side, searchBoth: Bool, below best: Int,
                     _ admission: Admission) -> Int {
        for i in 0..<n {
            let e = list[i], r = Int(e &>> RuleListStore.shift)
            if r >= best { return best }
            let candidate: Bool
            switch e & 7 {
            case 0: candidate = searchBoth && other.find(e &>> RuleListStore.shift) != nil
            case RuleListStore.matchesAlone: candidate = true
            case RuleListStore.matchesAlone | RuleListStore.otherNegated: candidate = !other.contains(e &>> RuleListStore.shift)
            default: candidate = false   // negated here: naming the address excludes it
            }
            if candidate && admission.admits(r) { return r }
        }
        return best
    }

    /// The first admitted rule of long lists: both sides merged in rule order (no
    /// per-entry search, so long lists cost their length). Kept out of line.
    @inline(never)
    func firstMatchingMerged(_ S: Side, _ D: Side, alone: Bool, _ admission: Admission) -> Int {
        let (se, nS) = S.merged(into: scratchSource.pointer)
        let (de, nD) = D.merged(into: scratchDestination.pointer)
        var i = 0, j = 0
        while i < nS || j < nD {
            let a = i < nS ? se[i] &>> RuleListStore.shift : Int32.max
            let b = j < nD ? de[j] &>> RuleListStore.shift : Int32.max
            let r: Int32, candidate: Bool
            if a == b {
                candidate = (se[i] | de[j]) & RuleListStore.negated == 0
                r = a; i &+= 1; j &+= 1
            } else if a < b {
                candidate = alone && se[i] & 3 == RuleListStore.matchesAlone
                r = a; i &+= 1
            } else {
                candidate = alone && de[j] & 3 == RuleListStore.matchesAlone
                r = b; j &+= 1
            }
            if candidate && admission.admits(Int(r)) { return Int(r) }
        }
        return Int.max
    }

    /// Whether the ascending encoded list `list[0..<n]` names rule `r` (binary search).
    @inline(__always)
    static func contains(_ list: UnsafePointer<Int32>, _ n: Int, _ r: Int32) -> Bool {
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if list[mid] &>> RuleListStore.shift < r { lo = mid &+ 1 } else { hi = mid }
        }
        return lo < n && list[lo] &>> RuleListStore.shift == r
    }

    // MARK: tags

    /// Replaces the tags of one address and recomputes just its classes (no recompile).
    public func setTags(_ tags: [Tag], for address: IPAddress) {
        let set = tagSets.intern(tags.map(tagID))
        noteNodeTags(tags, for: address)
        if let old = tagsByAddress.updateValue(set, forKey: address) { releaseSet(old) }
        let (s, d, tunnelBits) = classes(of: address, tags: tags)
        tagged.insert(address, UInt64(s) << 32 | UInt64(d))
        if hasTunnelZones {
            if tunnelBits != tunnelUntagged { tunnelTags.insert(address, tunnelBits) } else { tunnelTags.remove(address) }
        }
        sourcePool.sync(sourceClasses.pool)
        destinationPool.sync(destinationClasses.pool)
    }

    /// Forgets an address's tags; it is matched by its ranges alone again.
    public func removeTags(for address: IPAddress) {
        if let old = tagsByAddress.removeValue(forKey: address) { releaseSet(old) }
        noteNodeTags(nil, for: address)
        tagged.remove(address)
        if hasTunnelZones { tunnelTags.remove(address) }
    }

    /// The tags an address holds (cold path, for logs).
    public func tags(of address: IPAddress) -> [Tag] {
        tags(inSet: tagsByAddress[address] ?? TagSetTable.empty)
    }

    /// How many addresses carry tags.
    public var taggedAddressCount: Int { tagsByAddress.count }

    func classes(of address: IPAddress, tags: [Tag]) -> (UInt32, UInt32, UInt64) {
        let c = compiled
        stamp &+= 1
        if stamp == 0 {
            for i in stamps.indices { stamps[i] = 0 }
            stamp = 1
        }
        var candidates: [Int32] = c.unanchoredExpressions
        for t in tags {
            guard let id = c.policyTagIndex[t] else { continue }
            stamps[Int(id)] = stamp
            if Int(id) < c.expressionsAnchoredOn.count {
                for e in c.expressionsAnchoredOn[Int(id)] where !scratchCandidates[Int(e)] {
                    scratchCandidates[Int(e)] = true
                    candidates.append(e)
                }
            }
        }
        for e in candidates { scratchCandidates[Int(e)] = false }
        let current = stamp
        let stampsCopy = stamps
        var matched: [Int32] = []
        for e in candidates where CompiledPolicy.run(c.programs[Int(e)], { stampsCopy[Int($0)] == current }) {
            matched.append(e)
        }
        matched.sort()
        let k = interval(of: address)
        let zone = CompiledPolicy.zoneFor(networkZone: c.intervalNetworkZone[k], matched: matched,
                                          zoneExpressions: c.zoneExpressions, defaultZone: c.defaultZone)
        // Only what the ranges part lacks: the two parts stay disjoint.
        let sl = CompiledPolicy.subtract(CompiledPolicy.merge([], matched, c.sourceRulesOfExpression), c.rawLists.list(c.intervalRawSource[k]))
        let dl = CompiledPolicy.subtract(CompiledPolicy.merge([], matched, c.destinationRulesOfExpression), c.rawLists.list(c.intervalRawDestination[k]))
        return (sourceClasses.intern(rangesPart: c.intervalSourcePart[k], tagRules: sl, zone: zone),
                destinationClasses.intern(rangesPart: c.intervalDestinationPart[k], tagRules: dl, zone: zone),
                hasTunnelZones ? c.tunnelZones.tagMask(matched: matched) : 0)
    }

    // MARK: names

    /// The zone an address is in now (its tags included), outside any tunnel.
    public func zone(of address: IPAddress) -> ZoneID {
        ZoneID(rawValue: sourceClasses.zone(sourceClass(of: address)))
    }

    /// The zone an address is in for traffic that arrived through a tunnel (VNI, sending
    /// node): tunnel zones considered. `tunnelSource` nil: not tunnelled.
    ///
    /// ```swift
    /// m.zoneName(m.zone(of: pod, tunnelVNI: 7, tunnelSource: node))   // "cluster-a"
    /// ```
    public func zone(of address: IPAddress, tunnelVNI: UInt32, tunnelSource: IPAddress?) -> ZoneID {
        let z = sourceClasses.zone(sourceClass(of: address))
        guard hasTunnelZones, let node = tunnelSource else { return ZoneID(rawValue: z) }
        return ZoneID(rawValue: effectiveZone(address, staticZone: z, tunnelMask(vni: tunnelVNI, source: node)))
    }

    public func zoneName(_ id: ZoneID) -> String {
        Int(id.rawValue) < compiled.zoneNames.count ? compiled.zoneNames[Int(id.rawValue)] : "zone#\(id.rawValue)"
    }

    /// The user's rules in order, then intrazone-default and interzone-default.
    public var rules: [RuleInfo] { compiled.rules }

    public func ruleIndex(named name: String) -> Int? { compiled.ruleIndexByName[name] }

    /// The profiles of rule `index` (see `CompiledPolicy.profiles(ofRule:)`): asked once per
    /// session, with the rule that allowed it.
    @inlinable
    public func profiles(ofRule index: Int32) -> RuleProfiles { compiled.profiles(ofRule: index) }

    /// Every profile of the policy, by kind.
    public var profiles: PolicyProfiles { compiled.profiles }

    /// Bytes held by this matcher and its compiled policy, roughly.
    public var memoryEstimate: Int {
        compiled.memoryEstimate + sourceClasses.memoryEstimate + destinationClasses.memoryEstimate
            + sourcePool.memoryEstimate + destinationPool.memoryEstimate
            + tagged.memoryEstimate + cache.memoryEstimate + tagsByAddress.count * 96
    }
}
