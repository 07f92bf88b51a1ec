import RampartWire

/// Decides sessions against a compiled policy; keeps the address→tags map current.
///
/// One per engine worker; not thread-safe by design (share the `CompiledPolicy`, not this).
/// A lookup costs a hash probe per address (tagged) or a binary search over the policy's
/// address intervals (untagged), a table read for the port, and one probe of a decision
/// cache; only a cache miss touches rule bitsets, and that is O(rules / 64).
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
    var tagged: AddressClassMap
    var cache: DecisionCache
    /// Cold-path copies of each tagged address's tags (interned).
    var tagsByAddress: [IPAddress: [UInt32]] = [:]
    var tagIDs: [Tag: UInt32] = [:]
    var tagNames: [Tag] = []
    var stamps: [UInt32]
    var stamp: UInt32 = 0
    var scratchCandidates: [Bool]

    // Hot-path copies in plain buffers (no retain/release, no bounds checks on the fast path).
    let intervalCount: Int
    let intervalHigh: UnsafeMutablePointer<UInt64>
    let intervalLow: UnsafeMutablePointer<UInt64>
    let intervalSource: UnsafeMutablePointer<UInt32>
    let intervalDestination: UnsafeMutablePointer<UInt32>
    let portClass: UnsafeMutablePointer<UInt32>
    let denseSource: UnsafeMutablePointer<UInt64>
    let denseDestination: UnsafeMutablePointer<UInt64>
    let serviceBits: UnsafeMutablePointer<UInt64>
    let serviceApplications: UnsafeMutablePointer<UInt64>
    let fromOK: UnsafeMutablePointer<UInt64>
    let toOK: UnsafeMutablePointer<UInt64>
    let appBits: UnsafeMutablePointer<UInt64>
    let anyApplicationBits: UnsafeMutablePointer<UInt64>
    let addressFlags: UnsafeMutablePointer<UInt8>
    let ruleFlags: UnsafeMutablePointer<UInt8>
    let finalDecision: UnsafeMutablePointer<UInt64>
    /// Per zone, the word indexes where `denseSource` (`denseDestination`) is non-zero:
    /// zone z's list is `pool[start[z] ..< start[z + 1]]`.
    let denseSourceWords: UnsafeMutablePointer<Int32>
    let denseSourceWordStart: UnsafeMutablePointer<Int32>
    let denseDestinationWords: UnsafeMutablePointer<Int32>
    let denseDestinationWordStart: UnsafeMutablePointer<Int32>

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
        tagged = AddressClassMap(minimumCapacity: tags.count)
        cache = DecisionCache(capacity: 1 << 16)
        stamps = [UInt32](repeating: 0, count: compiled.policyTagIndex.count)
        scratchCandidates = [Bool](repeating: false, count: compiled.programs.count)
        intervalCount = compiled.intervalHigh.count
        func copy<T>(_ a: [T]) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
            a.withUnsafeBufferPointer { b in if let base = b.baseAddress { p.initialize(from: base, count: a.count) } }
            return p
        }
        intervalHigh = copy(compiled.intervalHigh)
        intervalLow = copy(compiled.intervalLow)
        intervalSource = copy(compiled.intervalSourceClass)
        intervalDestination = copy(compiled.intervalDestinationClass)
        portClass = copy(compiled.portClass)
        denseSource = copy(compiled.denseSource)
        denseDestination = copy(compiled.denseDestination)
        serviceBits = copy(compiled.serviceClasses.bits)
        serviceApplications = copy(compiled.serviceClasses.extras)
        fromOK = copy(compiled.fromOK)
        toOK = copy(compiled.toOK)
        appBits = copy(compiled.appBits)
        anyApplicationBits = copy(compiled.anyApplicationBits)
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
        intervalHigh.deallocate()
        intervalLow.deallocate()
        intervalSource.deallocate()
        intervalDestination.deallocate()
        portClass.deallocate()
        denseSource.deallocate()
        denseDestination.deallocate()
        serviceBits.deallocate()
        serviceApplications.deallocate()
        fromOK.deallocate()
        toOK.deallocate()
        appBits.deallocate()
        anyApplicationBits.deallocate()
        addressFlags.deallocate()
        ruleFlags.deallocate()
        finalDecision.deallocate()
        denseSourceWords.deallocate()
        denseSourceWordStart.deallocate()
        denseDestinationWords.deallocate()
        denseDestinationWordStart.deallocate()
    }

    // MARK: the hot path

    /// The decision for a session. Costs no allocation; steady state is a few probes.
    public func decide(_ query: PolicyQuery) -> PolicyDecision {
        let s = sourceClass(of: query.source)
        let d = destinationClass(of: query.destination)
        let svc = serviceClass(query.ipProtocol.rawValue, query.destinationPort)
        let app: UInt64 = query.application.map { UInt64($0.rawValue) } ?? 0xFFFF
        let k1 = UInt64(s) << 32 | UInt64(d)
        let k2 = UInt64(svc) | app << 32 | 1 << 63
        if let hit = cache.lookup(k1, k2) { return PolicyDecision(packed: hit) }
        let decision = evaluate(sourceClass: s, destinationClass: d, serviceClass: svc, application: query.application)
        cache.insert(k1, k2, decision.packed)
        return decision
    }

    /// The decision computed from the rule bitsets, bypassing the cache (for benchmarks and
    /// for checking the cache; not the per-packet API).
    public func decideUncached(_ query: PolicyQuery) -> PolicyDecision {
        evaluate(sourceClass: sourceClass(of: query.source), destinationClass: destinationClass(of: query.destination),
                 serviceClass: serviceClass(query.ipProtocol.rawValue, query.destinationPort), application: query.application)
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
        case 6: return portClass[Int(port)]
        case 17: return portClass[65536 &+ Int(port)]
        case 132: return portClass[131072 &+ Int(port)]
        case 1, 58: return compiled.icmpClass
        default: return compiled.otherClass
        }
    }

    /// The cache-miss path. Candidates are, in rule order, the rules that match both
    /// addresses without naming them (dense per-zone masks, ANDed with the service and
    /// application masks) plus the rules either address's class names; each candidate is
    /// then checked in full. Cost: O(rules / 64) word operations over small, cache-resident
    /// masks plus the length of the two classes' lists.
    func evaluate(sourceClass s: UInt32, destinationClass d: UInt32, serviceClass svc: UInt32, application: ApplicationID?) -> PolicyDecision {
        let sm = sourceClasses.meta[Int(s)], dm = destinationClasses.meta[Int(d)]
        let zs = sm.zone, zd = dm.zone
        let sStart = Int(sm.start), sEnd = sStart + Int(sm.length)
        let dStart = Int(dm.start), dEnd = dStart + Int(dm.length)
        return sourceClasses.pool.withUnsafeBufferPointer { sp in
            destinationClasses.pool.withUnsafeBufferPointer { dp in
                scan(zs: zs, zd: zd, S: UnsafeBufferPointer(rebasing: sp[sStart..<sEnd]), D: UnsafeBufferPointer(rebasing: dp[dStart..<dEnd]),
                     svc: svc, application: application)
            }
        }
    }

    private func scan(zs: UInt16, zd: UInt16, S: UnsafeBufferPointer<Int32>, D: UnsafeBufferPointer<Int32>,
                      svc: UInt32, application: ApplicationID?) -> PolicyDecision {
        let W = words
        let appMask = serviceApplications[Int(svc)]
        let appDefaultHolds = application.map { $0.rawValue < 64 && (appMask >> UInt64($0.rawValue)) & 1 != 0 } ?? true
        var appRow: UnsafeMutablePointer<UInt64>?
        if let a = application {
            appRow = Int(a.rawValue) < ApplicationCatalog.count ? appBits + Int(a.rawValue) * W : anyApplicationBits
        }
        let ds = denseSource + Int(zs) * W, dd = denseDestination + Int(zd) * W
        let fo = fromOK + Int(zs) * W, to = toOK + Int(zd) * W
        let vb = serviceBits + Int(svc) * W
        // Visit only words that can hold a candidate: where both dense masks are non-zero, or
        // where either class's list names a rule. `add*` feeds list entries into the word
        // being scanned; `at*` answers membership.
        var addS = 0, addD = 0, atS = 0, atD = 0
        let nS = S.count, nD = D.count
        var zsw = Int(denseSourceWordStart[Int(zs)]), zdw = Int(denseDestinationWordStart[Int(zd)])
        let zswEnd = Int(denseSourceWordStart[Int(zs) + 1]), zdwEnd = Int(denseDestinationWordStart[Int(zd) + 1])
        while true {
            while zsw < zswEnd && zdw < zdwEnd && denseSourceWords[zsw] != denseDestinationWords[zdw] {
                if denseSourceWords[zsw] < denseDestinationWords[zdw] { zsw &+= 1 } else { zdw &+= 1 }
            }
            let common = zsw < zswEnd && zdw < zdwEnd ? Int(denseSourceWords[zsw]) : Int.max
            let wS = addS < nS ? Int(S[addS] >> 6) : Int.max
            let wD = addD < nD ? Int(D[addD] >> 6) : Int.max
            let w = min(common, wS, wD)
            if w == Int.max { break }
            var cand: UInt64 = 0
            if common == w {
                cand = ds[w] & dd[w]
                zsw &+= 1
                zdw &+= 1
            }
            let limit = Int32(truncatingIfNeeded: (w &+ 1) &* 64)
            while addS < nS && S[addS] < limit { cand |= 1 << UInt64(S[addS] & 63); addS &+= 1 }
            while addD < nD && D[addD] < limit { cand |= 1 << UInt64(D[addD] & 63); addD &+= 1 }
            // The service and application masks are checked last, per surviving rule: most
            // list entries fail on the other address first, and each mask word is a cache line.
            while cand != 0 {
                let bit = cand.trailingZeroBitCount
                cand &= cand &- 1
                let i = w &* 64 &+ bit
                let i32 = Int32(truncatingIfNeeded: i)
                while atS < nS && S[atS] < i32 { atS &+= 1 }
                while atD < nD && D[atD] < i32 { atD &+= 1 }
                let inS = atS < nS && S[atS] == i32
                let inD = atD < nD && D[atD] == i32
                let f = addressFlags[i]
                let one: UInt64 = 1 << UInt64(bit)
                let sourceOK = fo[w] & one != 0 && (f & 1 != 0 || (f & 2 != 0) != inS)
                let destinationOK = to[w] & one != 0 && (f & 4 != 0 || (f & 8 != 0) != inD)
                guard sourceOK && destinationOK, vb[w] & one != 0, (appRow?[w] ?? ~0) & one != 0 else { continue }
                let rf = ruleFlags[i]
                if application != nil {
                    if rf & 2 != 0 && !appDefaultHolds { continue }
                    return PolicyDecision(packed: finalDecision[i])
                }
                if rf == 1 { return PolicyDecision(packed: finalDecision[i]) }
                // Depends on the application: allow for now, decide when App-ID knows.
                var p = PolicyDecision(packed: finalDecision[i])
                p.action = .allow
                p.isFinal = false
                p.logAtStart = false
                return p
            }
        }
        return PolicyDecision(packed: compiled.defaultDecisions[zs == zd ? 0 : 1])
    }

    // MARK: tags

    /// Replaces the tags of one address and recomputes just its classes (no recompile).
    public func setTags(_ tags: [Tag], for address: IPAddress) {
        var ids: [UInt32] = []
        ids.reserveCapacity(tags.count)
        for t in tags {
            if let id = tagIDs[t] { ids.append(id); continue }
            let id = UInt32(tagNames.count)
            tagIDs[t] = id
            tagNames.append(t)
            ids.append(id)
        }
        tagsByAddress[address] = ids
        let (s, d) = classes(of: address, tags: tags)
        tagged.insert(address, UInt64(s) << 32 | UInt64(d))
    }

    /// Forgets an address's tags; it is matched by its ranges alone again.
    public func removeTags(for address: IPAddress) {
        tagsByAddress[address] = nil
        tagged.remove(address)
    }

    /// The tags an address holds (cold path, for logs).
    public func tags(of address: IPAddress) -> [Tag] {
        (tagsByAddress[address] ?? []).map { tagNames[Int($0)] }
    }

    /// How many addresses carry tags.
    public var taggedAddressCount: Int { tagsByAddress.count }

    func classes(of address: IPAddress, tags: [Tag]) -> (UInt32, UInt32) {
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
        let sl = CompiledPolicy.merge(c.rawLists.list(c.intervalRawSource[k]), matched, c.sourceRulesOfExpression)
        let dl = CompiledPolicy.merge(c.rawLists.list(c.intervalRawDestination[k]), matched, c.destinationRulesOfExpression)
        return (sourceClasses.intern(sl, zone: zone), destinationClasses.intern(dl, zone: zone))
    }

    // MARK: names

    /// The zone an address is in now (its tags included).
    public func zone(of address: IPAddress) -> ZoneID {
        ZoneID(rawValue: sourceClasses.zone(sourceClass(of: address)))
    }

    public func zoneName(_ id: ZoneID) -> String {
        Int(id.rawValue) < compiled.zoneNames.count ? compiled.zoneNames[Int(id.rawValue)] : "zone#\(id.rawValue)"
    }

    /// The user's rules in order, then intrazone-default and interzone-default.
    public var rules: [RuleInfo] { compiled.rules }

    public func ruleIndex(named name: String) -> Int? { compiled.ruleIndexByName[name] }

    /// Bytes held by this matcher and its compiled policy, roughly.
    public var memoryEstimate: Int {
        compiled.memoryEstimate + sourceClasses.memoryEstimate + destinationClasses.memoryEstimate
            + tagged.memoryEstimate + cache.memoryEstimate + tagsByAddress.count * 96
    }
}

// TEMP-PROBE (policy-speed): remove before hand-off.
extension PolicyMatcher {
    public func _probeStats(_ qs: [PolicyQuery]) -> String {
        var sl = 0, dl = 0, tagged = 0, n = 0, maxS = 0, maxD = 0
        for q in qs {
            let s = sourceClass(of: q.source), d = destinationClass(of: q.destination)
            if self.tagged.lookup(q.source) != nil { tagged += 1 }
            let a = Int(sourceClasses.meta[Int(s)].length), b = Int(destinationClasses.meta[Int(d)].length)
            sl += a; dl += b; maxS = max(maxS, a); maxD = max(maxD, b); n += 1
        }
        return "n=\(n) taggedSrc=\(tagged) avgS=\(Double(sl)/Double(n)) avgD=\(Double(dl)/Double(n)) maxS=\(maxS) maxD=\(maxD) srcClasses=\(sourceClasses.count) dstClasses=\(destinationClasses.count) intervals=\(intervalCount) svcClasses=\(compiled.serviceClasses.count)"
    }
    public func _probeClasses(_ qs: [PolicyQuery]) -> UInt64 {
        var x: UInt64 = 0
        for q in qs { x &+= UInt64(sourceClass(of: q.source)) &+ UInt64(destinationClass(of: q.destination)) }
        return x
    }
    public func _probeTagged(_ qs: [PolicyQuery]) -> UInt64 {
        var x: UInt64 = 0
        for q in qs { x &+= (tagged.lookup(q.source) ?? 1) &+ (tagged.lookup(q.destination) ?? 1) }
        return x
    }
    public func _probeInterval(_ qs: [PolicyQuery]) -> Int {
        var x = 0
        for q in qs { x &+= interval(of: q.source) &+ interval(of: q.destination) }
        return x
    }
}
