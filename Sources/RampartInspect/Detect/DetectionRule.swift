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
@usableFromInline
struct DetectionRule: Sendable {
    let rule: Rule
    /// For each inspection of the rule, its variant (index into `DetectionRuleSet.variants`).
    let variants: [Int32]
    /// For each inspection, for each step: the index of the compiled `pcre` (or -1).
    let programs: [[Int32]]
    /// `flowbits` as interned ids, in rule order.
    let flowbits: [FlowbitStep]
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
}

/// A `flowbits` keyword with its names interned.
@usableFromInline
struct FlowbitStep: Sendable {
    var command: BitCommand
    var ids: [UInt16]
}
