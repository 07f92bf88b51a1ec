import RampartRules
import RampartWire

extension Detector {
    /// Forgets the previous packet's matches and limits.
    @inline(__always)
    mutating func beginPacket() {
        if !matches.isEmpty { matches.removeAll(keepingCapacity: true) }
        limitsHit = 0
    }

    /// The packet's own payload: every payload rule of its group for UDP, ICMP and others;
    /// for TCP the packet-only rules (`dsize`, `flags`, `tcp-pkt` ...), and the stream rules
    /// too when the session's stream is not reassembled (no state, or a capture that cut it).
    mutating func inspectPacket(_ payload: UnsafeRawBufferPointer, serverPort: UInt16, reassembled: Bool,
                                _ ctx: inout DetectContext) {
        guard let groups = set.payloadGroup(ctx.transport, toServer: ctx.toServer, serverPort: serverPort) else { return }
        ctx.inStream = false
        ctx.minimumEnd = 0
        scratch.beginInspection()
        scratch.setSource(.payload, payload)
        run(groups.packet, payload, &ctx, serverPort: serverPort)
        if !reassembled, let stream = groups.stream { run(stream, payload, &ctx, serverPort: serverPort) }
    }

    /// IP-only rules, on the first packet of each direction of a session: those whose
    /// indexed address set holds the packet's source or destination, and the unindexed few.
    mutating func inspectAddresses(_ ctx: inout DetectContext) {
        let rules = set.ipOnly[ctx.transport.rawValue]
        guard !rules.isEmpty else { return }
        ctx.inStream = false
        ctx.minimumEnd = 0
        scratch.beginInspection()
        scratch.candidateCount = 0
        let limit = set.rules.count * 2
        for k in rules.bySource.rules(containing: ctx.source) where scratch.candidateCount < limit {
            scratch.candidates[scratch.candidateCount] = rules.bySource.rules[k]
            scratch.candidateCount += 1
        }
        for k in rules.byDestination.rules(containing: ctx.destination) where scratch.candidateCount < limit {
            scratch.candidates[scratch.candidateCount] = rules.byDestination.rules[k]
            scratch.candidateCount += 1
        }
        for r in rules.always where scratch.candidateCount < limit {
            scratch.candidates[scratch.candidateCount] = r
            scratch.candidateCount += 1
        }
        if scratch.candidateCount > 0 { evaluateCandidates(&ctx) }
    }

    /// The stream window (`scratch.window`: the previous data's tail, then `newBytes` new
    /// bytes): stream-eligible payload rules, whose match must end in the new bytes.
    mutating func inspectStream(newBytes: Int, serverPort: UInt16, _ ctx: inout DetectContext) {
        guard newBytes > 0, let groups = set.payloadGroup(.tcp, toServer: ctx.toServer, serverPort: serverPort),
              let stream = groups.stream, !stream.isEmpty else { return }
        let window = UnsafeRawBufferPointer(start: scratch.window, count: scratch.windowLength)
        ctx.inStream = true
        ctx.minimumEnd = scratch.windowLength - newBytes
        scratch.beginInspection()
        scratch.setSource(.payload, window)
        run(stream, window, &ctx, serverPort: serverPort)
        ctx.minimumEnd = 0
    }

    /// Application buffers complete at `phase` (their sources set in the scratch).
    mutating func inspectPhase(_ phase: DetectPhase, _ ctx: inout DetectContext) {
        ctx.inStream = true
        ctx.minimumEnd = 0
        for g in set.phases[phase.rawValue] {
            guard let bytes = scratch.bytes(of: g.variant) else { continue }
            run(g.group, bytes, &ctx, alwaysToo: false)
        }
        let always = set.phaseAlways[phase.rawValue]
        if !always.isEmpty {
            scratch.candidateCount = 0
            for r in always { scratch.candidates[scratch.candidateCount] = r; scratch.candidateCount += 1 }
            evaluateCandidates(&ctx)
        }
    }

    /// Prefilter `bytes` with the group's database, then evaluate its hits and its
    /// always-evaluated rules in order.
    @inline(__always)
    mutating func run(_ group: RuleGroup, _ bytes: UnsafeRawBufferPointer, _ ctx: inout DetectContext,
                      alwaysToo: Bool = true, serverPort: UInt16 = 0) {
        scratch.candidateCount = 0
        if let db = group.database, bytes.count > 0 {
            statistics.scans &+= 1
            statistics.scannedBytes &+= UInt64(bytes.count)
            scratch.hits.begin(minimumEnd: ctx.minimumEnd)
            db.scan(bytes, scratch: scratch.vectorscan, hits: scratch.hits)
            for id in scratch.hits.hits {
                let from = Int(group.patternStart[Int(id)]), to = Int(group.patternStart[Int(id) + 1])
                for k in from..<to where scratch.candidateCount < set.rules.count * 2 {
                    scratch.candidates[scratch.candidateCount] = group.patternRules[k]
                    scratch.candidateCount += 1
                }
            }
        }
        if alwaysToo {
            for r in group.always where scratch.candidateCount < set.rules.count * 2 {
                scratch.candidates[scratch.candidateCount] = r
                scratch.candidateCount += 1
            }
            if !group.alwaysByPort.rules.isEmpty {
                for k in group.alwaysByPort.rules(for: serverPort) where scratch.candidateCount < set.rules.count * 2 {
                    scratch.candidates[scratch.candidateCount] = group.alwaysByPort.rules[k]
                    scratch.candidateCount += 1
                }
            }
        }
        if scratch.candidateCount > 0 { evaluateCandidates(&ctx) }
    }

    /// Evaluates the scratch's candidates in evaluation order (pass rules first, flowbit
    /// setters before readers, then rule order); a matching `pass` rule ends the inspection.
    mutating func evaluateCandidates(_ ctx: inout DetectContext) {
        let count = scratch.candidateCount
        let list = UnsafeMutableBufferPointer(start: scratch.candidates, count: count)
        if count > 1 { Detector.heapSort(list, rules: set.rules) }
        for k in 0..<count {
            let r = list[k]
            statistics.evaluations &+= 1
            scratch.evaluations[Int(r)] &+= 1
            guard evaluate(Int(r), &ctx) else { continue }
            statistics.matches &+= 1
            let rule = set.rules[Int(r)]
            applyFlowbits(rule, &ctx)
            if rule.rule.action == .pass { return }
            if rule.rule.noAlert {
                statistics.suppressed &+= 1
                actSilently(r, rule, &ctx)
                continue
            }
            if rule.rule.threshold != nil || rule.rule.detectionFilter != nil {
                let track = rule.rule.threshold?.track ?? rule.rule.detectionFilter!.track
                switch thresholds.count(rule: r, track: track, source: ctx.source, destination: ctx.destination,
                                        second: ctx.second, threshold: rule.rule.threshold,
                                        filter: rule.rule.detectionFilter) {
                case .alert: break
                case .silent:
                    statistics.suppressed &+= 1
                    actSilently(r, rule, &ctx)
                    continue
                case .belowCount:
                    statistics.suppressed &+= 1
                    continue
                case .tableFull:
                    limitsHit |= Detector.thresholdLimit
                }
            }
            if matches.count < configuration.alertsPerPacket {
                matches.append(DetectionMatch(rule: r, inStream: ctx.inStream))
            } else {
                statistics.alertsDropped &+= 1
            }
        }
    }

    /// A match that writes no alert (`noalert`, or a threshold's silent match) still takes
    /// its rule's action, as in Suricata (`PacketAlertFinalize` applies the action of every
    /// match the threshold does not remove): inline, a drop or reject rule keeps blocking
    /// the matches it has stopped logging.
    @inline(__always)
    mutating func actSilently(_ r: Int32, _ rule: DetectionRule, _ ctx: inout DetectContext) {
        guard configuration.blocking, rule.rule.action.blocks, matches.count < configuration.alertsPerPacket else { return }
        matches.append(DetectionMatch(rule: r, inStream: ctx.inStream, silent: true))
    }

    /// In-place heap sort by evaluation order: no allocation, O(n log n) for the rare
    /// buffer that hits many rules' patterns.
    static func heapSort(_ a: UnsafeMutableBufferPointer<Int32>, rules: [DetectionRule]) {
        @inline(__always) func key(_ i: Int) -> Int32 { rules[Int(a[i])].order }
        func sift(_ start: Int, _ end: Int) {
            var root = start
            while 2 * root + 1 < end {
                var child = 2 * root + 1
                if child + 1 < end && key(child) < key(child + 1) { child += 1 }
                if key(root) < key(child) {
                    a.swapAt(root, child)
                    root = child
                } else {
                    return
                }
            }
        }
        let n = a.count
        var start = n / 2 - 1
        while start >= 0 { sift(start, n); start -= 1 }
        var end = n - 1
        while end > 0 {
            a.swapAt(0, end)
            sift(0, end)
            end -= 1
        }
    }

    mutating func applyFlowbits(_ rule: DetectionRule, _ ctx: inout DetectContext) {
        for step in rule.xbits {
            let (a, b) = HostBits.key(step.track, source: ctx.source, destination: ctx.destination)
            switch step.command {
            case .set:
                if !hostBits.set(step.id, a, b, now: ctx.second, expire: step.expire) { limitsHit |= Detector.xbitLimit }
            case .unset:
                hostBits.unset(step.id, a, b)
            case .toggle:
                if hostBits.isSet(step.id, a, b, now: ctx.second) {
                    hostBits.unset(step.id, a, b)
                } else if !hostBits.set(step.id, a, b, now: ctx.second, expire: step.expire) {
                    limitsHit |= Detector.xbitLimit
                }
            case .isSet, .isNotSet:
                break
            }
        }
        if !rule.flowints.isEmpty && ctx.state >= 0 {
            let s = Int(ctx.state)
            for step in rule.flowints {
                let operand = step.variable.map { states[s].flowints.value($0) ?? 0 } ?? step.number
                let current = states[s].flowints.value(step.id) ?? 0
                let value: UInt32
                switch step.op {
                case .assign: value = operand
                case .add: value = current &+ operand
                case .subtract: value = current >= operand ? current - operand : 0
                default: continue
                }
                if !states[s].flowints.set(step.id, value) { limitsHit |= Detector.flowbitLimit }
            }
        }
        guard !rule.flowbits.isEmpty, ctx.state >= 0 else { return }
        let s = Int(ctx.state)
        for step in rule.flowbits {
            for id in step.ids {
                switch step.command {
                case .set:
                    if !states[s].flowbits.insert(id, limit: configuration.flowbitsPerSession) {
                        limitsHit |= Detector.flowbitLimit
                    }
                case .unset:
                    states[s].flowbits.remove(id)
                case .toggle:
                    if states[s].flowbits.contains(id) {
                        states[s].flowbits.remove(id)
                    } else if !states[s].flowbits.insert(id, limit: configuration.flowbitsPerSession) {
                        limitsHit |= Detector.flowbitLimit
                    }
                case .isSet, .isNotSet:
                    break
                }
            }
        }
    }
}
