import RampartRules

/// How many server ports get a rule group of their own (Suricata's `detect.profile`:
/// medium has 25 to-server and 3 to-client groups). Each group holds the rules for every
/// port too, so more groups mean smaller scans for the busiest ports but a longer compile.
public struct RuleGroupLimits: Sendable, Equatable {
    /// ET Open's payload rules are mostly for every port or for $HTTP_PORTS: each port group
    /// repeats the ~900 every-port patterns and costs its database's compile (~40 ms with
    /// Vectorscan), for little on the scan; 4 and 1 keep ET Open's load under 5 s.
    public var toServerPorts = 4
    public var toClientPorts = 1
    /// A port needs at least this many rules of its own to be worth a group.
    public var minimumRules = 16
    /// Application groups with fewer patterns than this use the Aho-Corasick matcher even
    /// when Vectorscan is there: their buffers are short (a method, a status code, a host),
    /// and a Vectorscan database's fixed compile cost would dominate the load.
    public var smallGroup = 32
    public init() {}
}

extension DetectionRuleSet {
    /// Compiles a loaded rule set: refuses each rule the engine cannot feed (with the
    /// reason), groups the rest by transport, direction and server port (payload rules) or
    /// by the phase and buffer of their fast pattern (application rules), and compiles one
    /// prefilter database per group and every `pcre`.
    ///
    /// - Throws: `PrefilterError` when Vectorscan refuses a database (never seen with literals).
    public convenience init(_ set: RuleSet, engine: PrefilterEngine = .preferred,
                            groups limits: RuleGroupLimits = RuleGroupLimits()) throws(PrefilterError) {
        var report = DetectionLoadReport()
        report.engine = engine
        var rules: [DetectionRule] = []
        var variants: [BufferVariant] = []
        var variantIndex: [BufferVariant: Int32] = [:]
        var programs: [PCREProgram] = []
        var flowbitIDs: [String: UInt16] = [:]
        var flowbitNames: [String] = []

        for rule in set.rules {
            if let refusal = DetectionRuleSet.refusal(of: rule) {
                report.refused.append(refusal)
                continue
            }
            // pcre programs (compiled now; a failure refuses the rule).
            var rulePrograms: [[Int32]] = []
            var failed: String?
            var newPrograms: [PCREProgram] = []
            for insp in rule.inspections {
                var list: [Int32] = []
                for step in insp.steps {
                    if case .pcre(let m) = step {
                        switch PCREProgram.compile(m) {
                        case .success(let p):
                            list.append(Int32(programs.count + newPrograms.count))
                            newPrograms.append(p)
                        case .failure(let message):
                            failed = message.message
                            list.append(-1)
                        }
                    } else {
                        list.append(-1)
                    }
                }
                rulePrograms.append(list)
            }
            if let failed {
                report.refused.append(DetectionRuleSet.problem(rule, "pcre", failed))
                continue
            }
            // Every buffer fed, but some never complete together (tls.certs with tls.sni ...):
            // the rule could never run.
            let appBuffers = rule.inspections.map(\.buffer).filter { $0 != .payload && $0 != .base64Data }
            if !appBuffers.isEmpty && !DetectPhase.allCases.contains(where: { phase in
                appBuffers.allSatisfy(phase.holds)
                    && (rule.flow.side == nil || rule.flow.side == phase.side)
            }) {
                let names = appBuffers.map(\.rawValue).joined(separator: " and ")
                report.refused.append(DetectionRuleSet.problem(rule, appBuffers.last!.rawValue,
                    "\(names) are never complete at one point of a session (or not in the rule's flow direction)"))
                continue
            }
            programs += newPrograms
            var ruleVariants: [Int32] = []
            for insp in rule.inspections {
                let v = BufferVariant(buffer: insp.buffer, transforms: insp.transforms)
                if let i = variantIndex[v] {
                    ruleVariants.append(i)
                } else {
                    let i = Int32(variants.count)
                    variantIndex[v] = i
                    variants.append(v)
                    ruleVariants.append(i)
                }
            }
            var bits: [FlowbitStep] = []
            var xbits: [XbitStep] = []
            var flowints: [FlowintStep] = []
            var setsOnly = false
            func intern(_ name: String) -> UInt16 {
                if let known = flowbitIDs[name] { return known }
                let id = UInt16(flowbitNames.count)
                flowbitIDs[name] = id
                flowbitNames.append(name)
                return id
            }
            for op in rule.state {
                if case .flowint(let f) = op {
                    var step = FlowintStep(id: intern(f.name), op: f.op, number: 0, variable: nil)
                    switch f.value {
                    case .number(let n): step.number = n
                    case .variable(let v): step.variable = intern(v)
                    case nil: break
                    }
                    flowints.append(step)
                    continue
                }
                if case .xbit(let x) = op {
                    let id: UInt16
                    if let known = flowbitIDs[x.name] {
                        id = known
                    } else {
                        id = UInt16(flowbitNames.count)
                        flowbitIDs[x.name] = id
                        flowbitNames.append(x.name)
                    }
                    // Suricata's default expiry for xbits is 30 seconds.
                    xbits.append(XbitStep(command: x.command, id: id, track: x.track, expire: Int64(x.expireSeconds ?? 30)))
                    if x.command == .set || x.command == .unset || x.command == .toggle { setsOnly = true }
                    continue
                }
                guard case .flowbit(let f) = op else { continue }
                var ids: [UInt16] = []
                for name in f.names {
                    if let id = flowbitIDs[name] {
                        ids.append(id)
                    } else {
                        let id = UInt16(flowbitNames.count)
                        flowbitIDs[name] = id
                        flowbitNames.append(name)
                        ids.append(id)
                    }
                }
                bits.append(FlowbitStep(command: f.command, ids: ids))
                if f.command == .set || f.command == .unset || f.command == .toggle { setsOnly = true }
            }
            if flowints.contains(where: { $0.op == .assign || $0.op == .add || $0.op == .subtract }) { setsOnly = true }
            if bits.contains(where: { $0.command == .isSet || $0.command == .isNotSet })
                || xbits.contains(where: { $0.command == .isSet || $0.command == .isNotSet })
                || flowints.contains(where: { $0.op != .assign && $0.op != .add && $0.op != .subtract }) { setsOnly = false }
            let transport: TransportClass?
            switch rule.proto {
            case .tcp, .tcpPacket, .tcpStream: transport = .tcp
            case .udp: transport = .udp
            case .icmp, .icmpv4, .icmpv6: transport = .icmp
            case .ip, .ipv4, .ipv6:
                // `ip_proto:N` names the transport: the rule belongs to that group only.
                var narrowed: TransportClass?
                for c in rule.conditions {
                    if case .ipProtocol(.equal(let n)) = c {
                        narrowed = n == 6 ? .tcp : n == 17 ? .udp : (n == 1 || n == 58) ? .icmp : .other
                    }
                }
                transport = narrowed
            case .sctp: transport = .other
            case .application(let app):
                transport = app == .dns || app == .ntp ? nil : .tcp
            }
            let packetOnly = rule.proto == .tcpPacket || rule.flow.stream == .noStream
                || rule.conditions.contains(where: DetectionRuleSet.isPacketCondition)
            let streamOnly = rule.proto == .tcpStream || rule.flow.stream == .onlyStream
            let usesApp = rule.inspections.contains { $0.buffer != .payload && $0.buffer != .base64Data }
            let index = Int32(rules.count)
            let actionClass: Int32 = rule.action == .pass ? 0 : 1
            let order = actionClass * 2_000_000 + (setsOnly ? 0 : 1_000_000) + index
            rules.append(DetectionRule(
                rule: rule, variants: ruleVariants, programs: rulePrograms, flowbits: bits, xbits: xbits,
                flowints: flowints, transport: transport,
                application: rule.application.flatMap(DetectApplication.init) ?? .none,
                packetOnly: packetOnly, streamOnly: streamOnly, usesApplicationBuffers: usesApp,
                side: rule.flow.side, order: order))
        }
        report.active = rules.count
        let order: (Int32) -> Int32 = { rules[Int($0)].order }
        func isIPOnly(_ r: DetectionRule) -> Bool {
            // Setting flowbits is allowed (Suricata's IP-only rules may set them; ET's Tor
            // list does); reading them is not.
            r.rule.inspections.isEmpty && r.rule.conditions.isEmpty && !r.rule.state.contains(where: \.isCondition)
                && r.rule.flow == FlowCondition() && r.application == .none && !r.streamOnly && !r.packetOnly
        }

        // IP-only rules: by address, per transport.
        var ipOnly: [IPOnlyRules] = []
        for transport in TransportClass.allCases {
            var bySource: [(Int32, AddressSet)] = []
            var byDestination: [(Int32, AddressSet)] = []
            var always: [Int32] = []
            for (i, r) in rules.enumerated() where isIPOnly(r) && (r.transport == nil || r.transport == transport) {
                let h = r.rule.resolved
                if r.rule.direction == .either || (h.source.isAny && h.destination.isAny) {
                    always.append(Int32(i))
                } else if !h.source.isAny && (h.destination.isAny || AddressIndex.size(h.source) <= AddressIndex.size(h.destination)) {
                    bySource.append((Int32(i), h.source))
                } else {
                    byDestination.append((Int32(i), h.destination))
                }
            }
            ipOnly.append(IPOnlyRules(bySource: AddressIndex(bySource.map { ($0.0, $0.1) }),
                                      byDestination: AddressIndex(byDestination.map { ($0.0, $0.1) }),
                                      always: always.sorted { order($0) < order($1) }))
        }

        // Payload rules: by transport, direction and server port.
        var payload: [[[PayloadGroup]]] = []
        var portTables: [[[UInt8]]] = []
        for transport in TransportClass.allCases {
            var byDirection: [[PayloadGroup]] = []
            var tables: [[UInt8]] = []
            for toServer in [true, false] {
                let members = rules.indices.filter { i in
                    let r = rules[i]
                    guard !r.usesApplicationBuffers, !isIPOnly(r) else { return false }
                    if let t = r.transport, t != transport { return false }
                    if r.transport == nil && r.application != .none && transport != .tcp && transport != .udp { return false }
                    if let side = r.side, side != (toServer ? .toServer : .toClient) { return false }
                    return true
                }
                let hasPorts = transport == .tcp || transport == .udp
                let ports = hasPorts
                    ? DetectionRuleSet.portGroups(members.map { rules[$0] }, toServer: toServer,
                                                  count: toServer ? limits.toServerPorts : limits.toClientPorts,
                                                  minimum: limits.minimumRules)
                    : (chosen: [], table: [])
                var groups: [PayloadGroup] = []
                // Group 0 is the rest; group k > 0 is port chosen[k - 1].
                for g in 0...(ports.chosen.count) {
                    var stream = RuleGroupBuilder()
                    var packet = RuleGroupBuilder()
                    for i in members {
                        let r = rules[i]
                        let serverPorts = DetectionRuleSet.serverPorts(r.rule, toServer: toServer)
                        if hasPorts {
                            if g == 0 {
                                let others = ports.chosen.reduce(serverPorts) { $0.subtracting(PortSet(ranges: [$1...$1])) }
                                if others.isEmpty { continue }
                            } else if !serverPorts.contains(ports.chosen[g - 1]) {
                                continue
                            }
                        }
                        let fp = r.rule.fastPattern
                        let pattern = fp.map { $0.pattern }
                        let ports = hasPorts ? serverPorts : nil
                        if transport == .tcp && !r.packetOnly {
                            stream.add(rule: Int32(i), pattern: pattern, caseless: fp?.nocase ?? false, serverPorts: ports)
                        }
                        if transport != .tcp || r.packetOnly {
                            packet.add(rule: Int32(i), pattern: pattern, caseless: fp?.nocase ?? false, serverPorts: ports)
                        }
                    }
                    groups.append(PayloadGroup(
                        stream: transport == .tcp ? try stream.build(engine: engine, order: order) : nil,
                        packet: try packet.build(engine: engine, order: order)))
                }
                byDirection.append(groups)
                tables.append(ports.table)
            }
            payload.append(byDirection)
            portTables.append(tables)
        }

        // Application rules: by phase, then by the variant holding their fast pattern.
        var phases: [[PhaseGroup]] = []
        var phaseAlways: [[Int32]] = []
        for phase in DetectPhase.allCases {
            var builders: [Int32: RuleGroupBuilder] = [:]
            var always: [Int32] = []
            for (i, r) in rules.enumerated() where r.usesApplicationBuffers {
                guard DetectionRuleSet.runs(r, in: phase) else { continue }
                if let fp = r.rule.fastPattern {
                    let v = r.variants[fp.inspection]
                    builders[v, default: RuleGroupBuilder()].add(rule: Int32(i), pattern: fp.pattern, caseless: fp.nocase)
                } else {
                    always.append(Int32(i))
                }
            }
            var groups: [PhaseGroup] = []
            for v in builders.keys.sorted() {
                let b = builders[v]!
                let choice: PrefilterEngine = b.patterns.count < limits.smallGroup ? .ahoCorasick : engine
                groups.append(PhaseGroup(variant: v, group: try b.build(engine: choice, order: order)))
            }
            phases.append(groups)
            phaseAlways.append(always.sorted { order($0) < order($1) })
        }

        report.expressions = programs.count
        report.jitExpressions = programs.filter(\.jit).count
        report.prefiltered = rules.filter { $0.rule.fastPattern != nil }.count
        report.ipOnly = rules.filter(isIPOnly).count
        report.alwaysEvaluated = rules.count - report.prefiltered - report.ipOnly
        var all: [RuleGroup] = []
        for t in payload { for d in t { for g in d { all.append(g.packet); if let s = g.stream { all.append(s) } } } }
        for p in phases { for g in p { all.append(g.group) } }
        report.patterns = all.reduce(0) { $0 + $1.patternCount }
        report.databases = all.filter { $0.database != nil }.count
        report.databaseBytes = all.reduce(0) { $0 + ($1.database?.memoryBytes ?? 0) }
        self.init(rules: rules, variants: variants, programs: programs, flowbitNames: flowbitNames,
                  payload: payload, portTables: portTables, phases: phases, phaseAlways: phaseAlways, ipOnly: ipOnly,
                  report: report)
    }

    /// Whether an application rule runs in `phase`: its application and direction are the
    /// phase's, the phase holds every buffer it reads, and no earlier phase of the same
    /// message already did (a header-only rule runs with the headers, not again with the body).
    static func runs(_ r: DetectionRule, in phase: DetectPhase) -> Bool {
        guard r.application == phase.application || r.application == .none else { return false }
        if let side = r.side, side != phase.side { return false }
        guard r.rule.inspections.allSatisfy({ phase.holds($0.buffer) }) else { return false }
        if phase.isBody {
            let headers: DetectPhase = phase == .httpRequestBody ? .httpRequest : .httpResponse
            if r.rule.inspections.allSatisfy({ headers.holds($0.buffer) }) { return false }
        }
        return true
    }

    /// The server ports a rule admits for packets in one direction: the destination ports
    /// for packets to the server, the source ports for packets to the client (both for `<>`).
    static func serverPorts(_ rule: Rule, toServer: Bool) -> PortSet {
        let r = rule.resolved
        if rule.direction == .either { return r.destinationPorts.union(r.sourcePorts) }
        return toServer ? r.destinationPorts : r.sourcePorts
    }

    /// The ports that get a group of their own: the `count` ports named by the most rules
    /// (rules for every port do not count), each with at least `minimum` rules.
    static func portGroups(_ rules: [DetectionRule], toServer: Bool, count: Int, minimum: Int)
        -> (chosen: [UInt16], table: [UInt8]) {
        var perPort = [Int32](repeating: 0, count: 65_537)
        for r in rules {
            let ports = serverPorts(r.rule, toServer: toServer)
            if ports.isAny { continue }
            for range in ports.ranges {
                perPort[Int(range.lowerBound)] += 1
                perPort[Int(range.upperBound) + 1] -= 1
            }
        }
        var running: Int32 = 0
        var counts: [(port: UInt16, rules: Int32)] = []
        for p in 0..<65_536 {
            running += perPort[p]
            if running >= Int32(minimum) { counts.append((UInt16(p), running)) }
        }
        let chosen = counts.sorted { $0.rules != $1.rules ? $0.rules > $1.rules : $0.port < $1.port }
            .prefix(max(0, min(count, 254))).map(\.port).sorted()
        var table = [UInt8](repeating: 0, count: 65_536)
        for (k, p) in chosen.enumerated() { table[Int(p)] = UInt8(k + 1) }
        return (chosen, table)
    }

    static func isPacketCondition(_ c: PacketCondition) -> Bool {
        switch c {
        case .dsize, .icmpType, .icmpCode, .icmpID, .icmpSequence, .ttl, .ipProtocol, .ipID, .tcpSequence,
             .tcpAcknowledgement, .tcpWindow, .tcpFlags, .sameIP:
            true
        default:
            false
        }
    }

    static func problem(_ rule: Rule, _ keyword: String, _ message: String) -> RuleProblem {
        RuleProblem(.unsupportedKeyword, keyword: keyword, message, file: rule.location.file,
                    line: rule.location.line, column: 0, sid: rule.sid)
    }

    /// Why the matcher cannot run a rule faithfully, or nil. Every rule the parser loads but
    /// the engine cannot feed is refused here with what it lacks.
    static func refusal(of rule: Rule) -> RuleProblem? {
        if let app = rule.application {
            guard let detect = DetectApplication(app) else {
                return problem(rule, app.rawValue, "App-ID does not identify \(app.rawValue) sessions yet, so the rule could never match")
            }
            if detect == .http2 {
                return problem(rule, "http2", "HTTP/2 frames are not decoded into HTTP buffers yet")
            }
        }
        for insp in rule.inspections {
            if !DetectPhase.isFed(insp.buffer) {
                return problem(rule, insp.buffer.rawValue, "the buffer \(insp.buffer.rawValue) is not fed by Rampart's decoders yet")
            }
            for t in insp.transforms where !BufferTransformer.supports(t) {
                return problem(rule, t.description, "the transform \(t) is not implemented yet")
            }
        }
        for op in rule.state {
            switch op {
            case .flowbit: continue
            case .xbit: continue
            case .flowint: continue
            }
        }
        for c in rule.conditions {
            switch c {
            case .appLayerEvent(let e): return problem(rule, "app-layer-event", "the decoders raise no application event \(e) yet")
            case .appLayerProtocol: return problem(rule, "app-layer-protocol", "app-layer-protocol is not evaluated yet")
            case .tlsVersion: return problem(rule, "tls.version", "tls.version is not evaluated yet")
            case .sslVersion: return problem(rule, "ssl_version", "ssl_version is not evaluated yet")
            case .sslState: return problem(rule, "ssl_state", "ssl_state is not evaluated yet")
            default: continue
            }
        }
        return nil
    }
}
