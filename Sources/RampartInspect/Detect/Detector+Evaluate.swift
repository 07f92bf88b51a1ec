import RampartRules
import RampartWire

extension Detector {
    /// Whether rule `index` matches in `ctx`: header, application, flow, packet conditions,
    /// flowbit checks, then each buffer's steps (Suricata's order: the cheap checks first).
    mutating func evaluate(_ index: Int, _ ctx: inout DetectContext) -> Bool {
        let r = set.rules[index]
        if let t = r.transport, t != ctx.transport { return false }
        if r.application != .none && r.application != ctx.application { return false }
        guard Detector.headerMatches(r.header, either: r.either, ctx) else { return false }
        if let side = r.flow.side, (side == .toServer) != ctx.toServer { return false }
        if let state = r.flow.state {
            switch state {
            case .established: if !ctx.established { return false }
            case .notEstablished: if ctx.established { return false }
            case .stateless: break
            }
        }
        if let stream = r.flow.stream {
            if stream == .onlyStream && !ctx.inStream { return false }
            if stream == .noStream && ctx.inStream { return false }
        }
        if let fragment = r.flow.fragment {
            if (fragment == .onlyFragmented) != ctx.fromFragments { return false }
        }
        for c in r.conditions where !Detector.conditionHolds(c, ctx) { return false }
        for step in r.flowbits {
            switch step.command {
            case .isSet:
                guard ctx.state >= 0 else { return false }
                let bits = states[Int(ctx.state)].flowbits
                if !step.ids.contains(where: { bits.contains($0) }) { return false }
            case .isNotSet:
                if ctx.state >= 0 {
                    let bits = states[Int(ctx.state)].flowbits
                    if !step.ids.contains(where: { !bits.contains($0) }) { return false }
                }
            default:
                continue
            }
        }
        for step in r.flowints {
            let current = ctx.state >= 0 ? states[Int(ctx.state)].flowints.value(step.id) : nil
            let operand: UInt32?
            if let v = step.variable {
                operand = ctx.state >= 0 ? states[Int(ctx.state)].flowints.value(v) : nil
            } else {
                operand = step.number
            }
            switch step.op {
            case .assign, .add, .subtract: continue
            case .isSet: if current == nil { return false }
            case .isNotSet: if current != nil { return false }
            default:
                // A comparison with an unset counter (or operand) does not match.
                guard let a = current, let b = operand else { return false }
                let holds: Bool
                switch step.op {
                case .equal: holds = a == b
                case .notEqual: holds = a != b
                case .less: holds = a < b
                case .greater: holds = a > b
                case .lessOrEqual: holds = a <= b
                default: holds = a >= b
                }
                if !holds { return false }
            }
        }
        for step in r.xbits where step.command == .isSet || step.command == .isNotSet {
            let (a, b) = HostBits.key(step.track, source: ctx.source, destination: ctx.destination)
            let set = hostBits.isSet(step.id, a, b, now: ctx.second)
            if set != (step.command == .isSet) { return false }
        }
        let inspections = r.inspections
        for i in 0..<inspections.count {
            let inspection = inspections[i]
            guard let bytes = scratch.bytes(of: r.variants[i]) else { return false }
            var evaluator = InspectionEvaluator(
                steps: inspection.steps, programs: r.programs[i], buffer: bytes, set: set,
                matchData: scratch.matchData, variables: scratch.variables, budget: InspectionEvaluator.recursionLimit,
                scratch: scratch)
            guard let end = evaluator.run() else { return false }
            // A stream rule found only by re-reading old bytes alerted with an earlier packet.
            if inspection.buffer == .payload && ctx.minimumEnd > 0 && !r.hasFastPattern && end <= ctx.minimumEnd {
                return false
            }
        }
        return true
    }

    /// The header's addresses and ports against the packet (either way round for `<>`).
    @inline(__always)
    static func headerMatches(_ h: ResolvedHeader, either: Bool, _ ctx: DetectContext) -> Bool {
        func forward() -> Bool {
            (h.sourcePorts.isAny || h.sourcePorts.contains(ctx.sourcePort))
                && (h.destinationPorts.isAny || h.destinationPorts.contains(ctx.destinationPort))
                && (h.source.isAny || h.source.contains(ctx.source))
                && (h.destination.isAny || h.destination.contains(ctx.destination))
        }
        if ctx.transport != .tcp && ctx.transport != .udp {
            // Ports do not apply to ICMP and others.
            let f = (h.source.isAny || h.source.contains(ctx.source)) && (h.destination.isAny || h.destination.contains(ctx.destination))
            if f || !either { return f }
            return (h.source.isAny || h.source.contains(ctx.destination)) && (h.destination.isAny || h.destination.contains(ctx.source))
        }
        if forward() { return true }
        guard either else { return false }
        return (h.sourcePorts.isAny || h.sourcePorts.contains(ctx.destinationPort))
            && (h.destinationPorts.isAny || h.destinationPorts.contains(ctx.sourcePort))
            && (h.source.isAny || h.source.contains(ctx.destination))
            && (h.destination.isAny || h.destination.contains(ctx.source))
    }

    @inline(__always)
    static func conditionHolds(_ c: PacketCondition, _ ctx: DetectContext) -> Bool {
        switch c {
        case .dsize(let n): return !ctx.inStream && n.matches(UInt64(ctx.payloadLength))
        case .icmpType(let n): return ctx.transport == .icmp && n.matches(UInt64(ctx.icmpType))
        case .icmpCode(let n): return ctx.transport == .icmp && n.matches(UInt64(ctx.icmpCode))
        case .icmpID(let v): return ctx.transport == .icmp && ctx.icmpIdentifier == v
        case .icmpSequence(let v): return ctx.transport == .icmp && ctx.icmpSequence == v
        case .ttl(let n): return n.matches(UInt64(ctx.ttl))
        case .ipProtocol(let n): return n.matches(UInt64(ctx.ipProtocol))
        case .ipID(let v): return ctx.ipID == v
        case .tcpSequence(let v): return ctx.transport == .tcp && ctx.sequence == v
        case .tcpAcknowledgement(let v): return ctx.transport == .tcp && ctx.acknowledgement == v
        case .tcpWindow(let negated, let v): return ctx.transport == .tcp && (ctx.window == v) != negated
        case .tcpFlags(let f):
            guard ctx.transport == .tcp else { return false }
            let flags = ctx.tcpFlags & ~f.ignored
            switch f.mode {
            case .exactly: return flags == f.flags
            case .atLeast: return flags & f.flags == f.flags
            case .any: return flags & f.flags != 0
            case .none: return flags & f.flags == 0
            }
        case .sameIP: return ctx.source == ctx.destination
        case .streamSize(let side, let condition):
            guard let client = ctx.clientStreamSize, let server = ctx.serverStreamSize else { return false }
            switch side {
            case "client": return condition.matches(client)
            case "server": return condition.matches(server)
            case "both": return condition.matches(client) && condition.matches(server)
            default: return condition.matches(client) || condition.matches(server)
            }
        default: return false  // refused at load
        }
    }
}
