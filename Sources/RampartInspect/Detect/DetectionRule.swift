import RampartRules

/// The traffic a payload rule group covers: the transport of the packet.
@usableFromInline
enum TransportClass: Int, Sendable, CaseIterable {
    case tcp = 0, udp, icmp, other
}

/// Which session an application rule applies to: the applications Rampart's App-ID names
/// and the detection engine feeds buffers for. Suricata's other application protocols
/// (smb, ftp, dcerpc, krb5 ...) are refused at load (App-ID does not name them).
@usableFromInline
enum DetectApplication: UInt8, Sendable {
    case none = 0
    case http1, http2, tls, dns, ssh, smtp, imap, pgsql, mqtt, ntp

    /// The application a rule's `AppLayerProtocol` stands for; nil when App-ID cannot
    /// name it (the rule is then refused).
    init?(_ proto: AppLayerProtocol) {
        switch proto {
        case .http, .http1: self = .http1
        case .http2: self = .http2
        case .tls: self = .tls
        case .dns: self = .dns
        case .ssh: self = .ssh
        case .smtp: self = .smtp
        case .imap: self = .imap
        case .pgsql: self = .pgsql
        case .mqtt: self = .mqtt
        case .ntp: self = .ntp
        default: return nil
        }
    }
}

/// A buffer as a rule reads it: the buffer and the transforms applied first. Each distinct
/// one is a "variant" with its own prefilter database, so `dns.query; dotprefix;` patterns
/// are looked for in the transformed buffer, as Suricata does.
@usableFromInline
struct BufferVariant: Hashable, Sendable {
    var buffer: InspectionBuffer
    var transforms: [BufferTransform]
}

/// One rule as the matcher runs it: the parsed rule and what was worked out once at load.
/// A class: the evaluator reads it by reference (a struct this size was copied, with a
/// retain and release of every array in it, on each evaluation).
@usableFromInline
final class DetectionRule: Sendable {
    let rule: Rule
    /// For each inspection of the rule, its variant (index into `DetectionRuleSet.variants`).
    let variants: [Int32]
    /// For each inspection, for each step: the index of the compiled `pcre` (or -1).
    let programs: [[Int32]]
    /// `flowbits` as interned ids, in rule order.
    let flowbits: [FlowbitStep]
    /// `xbits`, in rule order.
    let xbits: [XbitStep]
    /// `flowint`, in rule order.
    let flowints: [FlowintStep]
    let transport: TransportClass?
    /// Nil for a rule of every transport (`ip`).
    let application: DetectApplication
    /// Needs to see a packet, not a stream (dsize, flags, tcp-pkt, flow:no_stream ...).
    let packetOnly: Bool
    /// Only the reassembled stream (tcp-stream, flow:only_stream).
    let streamOnly: Bool
    /// The rule reads application buffers (then it runs when the application's buffers are
    /// inspected, not on raw payload).
    let usesApplicationBuffers: Bool
    /// Direction the rule applies to, from `flow` and its buffers (nil: both).
    let side: FlowCondition.Side?
    /// Evaluation order among candidates: flowbit setters before readers, then rule order.
    let order: Int32
    // What evaluation reads on every candidate, kept out of `rule` so no copy of it is made.
    let header: ResolvedHeader
    let either: Bool
    let flow: FlowCondition
    let conditions: [PacketCondition]
    let inspections: [BufferInspection]
    let hasFastPattern: Bool

    init(rule: Rule, variants: [Int32], programs: [[Int32]], flowbits: [FlowbitStep], xbits: [XbitStep] = [],
         flowints: [FlowintStep] = [],
         transport: TransportClass?,
         application: DetectApplication, packetOnly: Bool, streamOnly: Bool, usesApplicationBuffers: Bool,
         side: FlowCondition.Side?, order: Int32) {
        self.rule = rule
        self.variants = variants
        self.programs = programs
        self.flowbits = flowbits
        self.xbits = xbits
        self.flowints = flowints
        self.transport = transport
        self.application = application
        self.packetOnly = packetOnly
        self.streamOnly = streamOnly
        self.usesApplicationBuffers = usesApplicationBuffers
        self.side = side
        self.order = order
        header = rule.resolved
        either = rule.direction == .either
        flow = rule.flow
        conditions = rule.conditions
        inspections = rule.inspections
        hasFastPattern = rule.fastPattern != nil
    }
}

/// A `flowbits` keyword with its names interned.
@usableFromInline
struct FlowbitStep: Sendable {
    var command: BitCommand
    var ids: [UInt16]
}

/// A `flowint` keyword with its names interned: a modification (`=`, `+`, `-`, applied when
/// the rule matches) or a condition (compared before).
@usableFromInline
struct FlowintStep: Sendable {
    var id: UInt16
    var op: FlowintOperation.Op
    /// A number, or (`variable`) another flowint's id.
    var number: UInt32
    var variable: UInt16?
}

/// An `xbits` keyword with its name interned: a bit on a host (or a pair of hosts) that
/// outlives the session, until `expire` seconds of packet time after it was set.
@usableFromInline
struct XbitStep: Sendable {
    var command: BitCommand
    var id: UInt16
    var track: XbitOperation.Track
    var expire: Int64
}
