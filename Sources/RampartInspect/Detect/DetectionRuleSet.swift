import RampartRules

/// A rule set compiled for the matcher: immutable, built once per load (its prefilter
/// databases and PCRE2 programs compiled), shared by every worker and published by atomic
/// swap on reload like the policy. Workers keep their own scratch (`Detector`).
///
/// ```swift
/// let (set, report) = RuleSetLoader.load(...)        // RampartRules
/// let compiled = try DetectionRuleSet(set)           // prefilter + pcre compiled
/// var engine = Engine(configuration: c, policy: p, rules: compiled)
/// ```
public final class DetectionRuleSet: Sendable {
    let rules: [DetectionRule]
    let variants: [BufferVariant]
    let programs: [PCREProgram]
    let limits: PCRELimits
    let flowbitNames: [String]
    /// Payload groups: `payload[transport][direction]` lists the port groups; each port group
    /// has a stream group (TCP, stream-eligible rules) and a packet group.
    let payload: [[[PayloadGroup]]]
    /// Server port → port group, per `[transport][direction]` (TCP and UDP; 65,536 entries).
    let portTables: [[[UInt8]]]
    /// Application groups per phase: for each variant the phase holds, its group.
    let phases: [[PhaseGroup]]
    /// Rules without a fast pattern, per phase.
    let phaseAlways: [[Int32]]
    /// IP-only rules per transport (`TransportClass`), found by address.
    let ipOnly: [IPOnlyRules]
    public let report: DetectionLoadReport
    /// Largest pattern count of any database (each worker's hit table covers it).
    let maxPatterns: Int
    /// Largest byte-variable count of any rule.
    let maxVariables: Int
    /// A rule reads `ja3.hash` or `ja3.string`: App-ID computes JA3 (it costs allocations
    /// per TLS session, so only then).
    let wantsJA3: Bool
    /// Largest thresholds any rule asks for (sizing nothing; reported).
    public var ruleCount: Int { rules.count }

    struct PayloadGroup: Sendable {
        var stream: RuleGroup?
        var packet: RuleGroup
    }

    struct PhaseGroup: Sendable {
        var variant: Int32
        var group: RuleGroup
    }

    init(rules: [DetectionRule], variants: [BufferVariant], programs: [PCREProgram], flowbitNames: [String],
         payload: [[[PayloadGroup]]], portTables: [[[UInt8]]], phases: [[PhaseGroup]], phaseAlways: [[Int32]],
         ipOnly: [IPOnlyRules], report: DetectionLoadReport) {
        self.ipOnly = ipOnly
        self.rules = rules
        self.variants = variants
        self.programs = programs
        self.limits = PCRELimits()
        self.flowbitNames = flowbitNames
        self.payload = payload
        self.portTables = portTables
        self.phases = phases
        self.phaseAlways = phaseAlways
        self.report = report
        var most = 1
        for t in payload { for d in t { for g in d { most = max(most, g.packet.patternCount, g.stream?.patternCount ?? 0) } } }
        for p in phases { for g in p { most = max(most, g.group.patternCount) } }
        maxPatterns = most
        maxVariables = rules.map(\.rule.byteVariables.count).max() ?? 0
        wantsJA3 = variants.contains { $0.buffer == .ja3Hash || $0.buffer == .ja3String }
    }

    /// A set without rules (what scratch needs when only the HTTP and DNS readers run).
    static let empty: DetectionRuleSet = {
        do { return try DetectionRuleSet(RuleSet(rules: []), engine: .ahoCorasick) } catch { preconditionFailure("\(error)") }
    }()

    /// The port group of a packet's session: by its server port, for TCP and UDP.
    @inline(__always)
    func payloadGroup(_ transport: TransportClass, toServer: Bool, serverPort: UInt16) -> PayloadGroup? {
        let groups = payload[transport.rawValue][toServer ? 0 : 1]
        guard !groups.isEmpty else { return nil }
        if transport == .tcp || transport == .udp {
            let g = Int(portTables[transport.rawValue][toServer ? 0 : 1][Int(serverPort)])
            return groups[g]
        }
        return groups[0]
    }

    /// Every prefilter database, for workers to size their scratch.
    var databases: [PatternDatabase] {
        var out: [PatternDatabase] = []
        for t in payload {
            for d in t {
                for g in d {
                    if let db = g.packet.database { out.append(db) }
                    if let db = g.stream?.database { out.append(db) }
                }
            }
        }
        for p in phases { for g in p { if let db = g.group.database { out.append(db) } } }
        return out
    }
}
