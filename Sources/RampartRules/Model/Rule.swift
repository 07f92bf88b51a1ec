/// One Suricata 7 rule, parsed and checked: what a matcher executes.
///
/// Evaluation order for a matcher, as Suricata's: the header (protocol, addresses, ports,
/// direction), `flow`, the packet conditions, then each inspection's steps (the one holding
/// the fast pattern is the prefilter: the rule is evaluated only when its pattern was seen),
/// then the flow-state checks (`flowbits:isset` ...); on a match the state operations
/// (`flowbits:set` ...) run, and thresholds decide whether an alert is written.
public struct Rule: Hashable, Sendable {
    public var location: RuleLocation

    // Header
    public var action: RuleAction
    public var proto: RuleProtocol
    public var source: AddressSpec
    public var sourcePorts: PortSpec
    public var direction: RuleDirection
    public var destination: AddressSpec
    public var destinationPorts: PortSpec
    /// The header's addresses and ports with variables resolved (set by `RuleSetLoader`;
    /// `.any` until then).
    public var resolved = ResolvedHeader()

    // Meta
    public var gid: UInt32 = 1
    public var sid: UInt32 = 0
    public var rev: UInt32 = 0
    public var message = ""
    /// `classtype`, resolved through classification.config.
    public var classification: Classification?
    /// `priority`, else the classtype's, else 3.
    public var priority: Int = 3
    public var references: [RuleReference] = []
    /// `metadata` as key/value pairs, in order.
    public var metadata: [RuleMetadata] = []
    public var target: RuleTarget?

    /// The application the rule is for: the header's, or the one its buffers imply
    /// (`http.uri` in a `tcp` rule makes it an HTTP rule).
    public var application: AppLayerProtocol?
    public var flow = FlowCondition()
    /// Packet and session conditions (`dsize`, `itype`, `flags`, `stream_size`, ...).
    public var conditions: [PacketCondition] = []
    /// The payload: buffers in the order the rule first used them, each with its steps.
    public var inspections: [BufferInspection] = []
    /// The content a multi-pattern prefilter looks for, chosen as Suricata does; nil for a
    /// rule without content (evaluated for every packet its header admits).
    public var fastPattern: FastPatternChoice?
    /// `flowbits`, `xbits` and `flowint` in rule order: checks and operations.
    public var state: [StateOperation] = []
    public var threshold: Threshold?
    public var detectionFilter: DetectionFilter?
    /// `noalert` (or `flowbits:noalert`): the rule sets state but writes no alert.
    public var noAlert = false
    /// `tag`: log the session's or host's next packets after an alert. Recorded; it does not
    /// change what matches.
    public var tags: [SessionTag] = []
    /// Names of the rule's `byte_extract` / `byte_math` variables; `ByteValue.variable(i)`.
    public var byteVariables: [String] = []

    public init(location: RuleLocation, action: RuleAction, proto: RuleProtocol, source: AddressSpec,
                sourcePorts: PortSpec, direction: RuleDirection, destination: AddressSpec,
                destinationPorts: PortSpec) {
        self.location = location
        self.action = action
        self.proto = proto
        self.source = source
        self.sourcePorts = sourcePorts
        self.direction = direction
        self.destination = destination
        self.destinationPorts = destinationPorts
    }

    /// Every content of the rule with where it is: (inspection index, step index).
    public var contents: [(inspection: Int, step: Int, content: ContentMatch)] {
        var out: [(Int, Int, ContentMatch)] = []
        for (i, insp) in inspections.enumerated() {
            for (j, s) in insp.steps.enumerated() { if let c = s.content { out.append((i, j, c)) } }
        }
        return out
    }
}

/// Where a rule was read: its file and the line it starts on.
public struct RuleLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

public struct ResolvedHeader: Hashable, Sendable {
    public var source: AddressSet = .any
    public var sourcePorts: PortSet = .any
    public var destination: AddressSet = .any
    public var destinationPorts: PortSet = .any
    public init() {}
}

/// A classtype with its description and priority (classification.config).
public struct Classification: Hashable, Sendable {
    public var name: String
    public var description: String
    public var priority: Int
    public init(name: String, description: String, priority: Int) {
        self.name = name
        self.description = description
        self.priority = priority
    }
}

/// `reference:TYPE,ID` (e.g. `url,example.com/advisory`, `cve,2021-44228`).
public struct RuleReference: Hashable, Sendable {
    public var type: String
    public var value: String
}

/// One `metadata` entry: `key value` (the value may hold spaces).
public struct RuleMetadata: Hashable, Sendable {
    public var key: String
    public var value: String
}

/// `target:src_ip|dest_ip`: which end the rule's EVE record names as the target.
public enum RuleTarget: String, Hashable, Sendable {
    case source = "src_ip"
    case destination = "dest_ip"
}

/// The multi-pattern prefilter's pattern for a rule.
public struct FastPatternChoice: Hashable, Sendable {
    /// Index into `Rule.inspections`, and of the content step inside it.
    public var inspection: Int
    public var step: Int
    /// The bytes to look for (the chopped slice with `fast_pattern:O,L`).
    public var pattern: [UInt8]
    public var nocase: Bool
    /// `fast_pattern:only`, or a lone positive content without position constraints:
    /// the prefilter hit needs no second inspection of that content.
    public var isSufficient: Bool
    /// The rule named it with `fast_pattern`; otherwise chosen by Suricata's rules
    /// (buffer priority, then the longest pattern, then `PatternStrength`).
    public var explicit: Bool
}

/// `flow:...`
public struct FlowCondition: Hashable, Sendable {
    public enum State: Hashable, Sendable { case established, notEstablished, stateless }
    public enum Side: Hashable, Sendable { case toServer, toClient }
    public enum Stream: Hashable, Sendable { case onlyStream, noStream }
    public enum Fragment: Hashable, Sendable { case onlyFragmented, noFragmented }
    public var state: State?
    /// From the keywords, or implied by the buffers (`http.uri` inspects to-server data).
    public var side: Side?
    /// The rule wrote `flow:to_server` / `to_client` itself.
    public var sideIsExplicit = false
    public var stream: Stream?
    public var fragment: Fragment?
    public init() {}
}

/// A `flowbits`, `xbits` or `flowint` keyword.
public enum StateOperation: Hashable, Sendable {
    case flowbit(FlowbitOperation)
    case xbit(XbitOperation)
    case flowint(FlowintOperation)

    /// Whether the keyword is a condition (checked before alerting) rather than an action.
    public var isCondition: Bool {
        switch self {
        case .flowbit(let f): f.command == .isSet || f.command == .isNotSet
        case .xbit(let x): x.command == .isSet || x.command == .isNotSet
        case .flowint(let f): f.isCondition
        }
    }
}

public enum BitCommand: String, Hashable, Sendable {
    case set, unset, toggle
    case isSet = "isset"
    case isNotSet = "isnotset"
}

/// `flowbits:set|unset|toggle|isset|isnotset,NAME` — NAME may be `a|b|c`: `isset` holds
/// when any of them is set, `isnotset` when any of them is not; the others act on each.
public struct FlowbitOperation: Hashable, Sendable {
    public var command: BitCommand
    public var names: [String]
}

/// `xbits:CMD,NAME,track ip_src|ip_dst|ip_pair[,expire SECONDS]`.
public struct XbitOperation: Hashable, Sendable {
    public var command: BitCommand
    public var name: String
    public enum Track: String, Hashable, Sendable {
        case source = "ip_src", destination = "ip_dst", pair = "ip_pair"
    }
    public var track: Track
    public var expireSeconds: UInt32?
}

/// `flowint:NAME,OP[,VALUE]`.
public struct FlowintOperation: Hashable, Sendable {
    public enum Op: String, Hashable, Sendable {
        case assign = "=", add = "+", subtract = "-"
        case equal = "==", notEqual = "!=", less = "<", greater = ">", lessOrEqual = "<=", greaterOrEqual = ">="
        case isSet = "isset", isNotSet = "isnotset"
    }
    public var name: String
    public var op: Op
    /// A number, or another flowint's name.
    public enum Operand: Hashable, Sendable { case number(UInt32), variable(String) }
    public var value: Operand?
    public var isCondition: Bool { op != .assign && op != .add && op != .subtract }
}

/// How thresholds count: per source, destination, both, or the rule.
public enum ThresholdTrack: String, Hashable, Sendable {
    case bySource = "by_src", byDestination = "by_dst", byBoth = "by_both", byRule = "by_rule"
}

/// `threshold:type limit|threshold|both, track ..., count N, seconds T`.
public struct Threshold: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable { case limit, threshold, both }
    public var kind: Kind
    public var track: ThresholdTrack
    public var count: UInt32
    public var seconds: UInt32
}

/// `detection_filter:track ..., count N, seconds T`: alert only after N matches in T seconds.
public struct DetectionFilter: Hashable, Sendable {
    public var track: ThresholdTrack
    public var count: UInt32
    public var seconds: UInt32
}

/// `tag:session|host[,COUNT,packets|seconds|bytes[,src|dst]]`.
public struct SessionTag: Hashable, Sendable {
    public enum Scope: String, Hashable, Sendable { case session, host }
    public enum Metric: String, Hashable, Sendable { case packets, seconds, bytes }
    public var scope: Scope
    public var count: UInt32 = 256
    public var metric: Metric = .packets
    public var hostDirection: String?
}

/// A packet, stream or session condition outside the buffers.
public enum PacketCondition: Hashable, Sendable {
    /// Payload size of the packet.
    case dsize(NumericCondition)
    case icmpType(NumericCondition)
    case icmpCode(NumericCondition)
    case icmpID(UInt16)
    case icmpSequence(UInt16)
    case ttl(NumericCondition)
    case ipProtocol(NumericCondition)
    case ipID(UInt16)
    case tcpSequence(UInt32)
    case tcpAcknowledgement(UInt32)
    case tcpWindow(negated: Bool, UInt16)
    /// `flags:[modifier]FLAGS[,IGNORED]` — `+` all of them and maybe more (default: exactly),
    /// `*` any of them, `!` none of them.
    case tcpFlags(TCPFlagsCondition)
    /// `stream_size:client|server|both|either,OP,N`.
    case streamSize(side: String, condition: NumericCondition)
    /// `sameip`: source address equals destination address.
    case sameIP
    /// `app-layer-event:PROTO.EVENT`.
    case appLayerEvent(String)
    /// `app-layer-protocol:[!]NAME`.
    case appLayerProtocol(name: String, negated: Bool)
    /// `tls.version:1.2` (the handshake's version, as a number: 0x0303 for 1.2).
    case tlsVersion(UInt16)
    /// `ssl_version:sslv3,tls1.0,...` (any of them; `!` before one excludes it).
    case sslVersion([String])
    /// `ssl_state:client_hello|server_hello|...` (`|` any, `!` not).
    case sslState(String)
}

public struct TCPFlagsCondition: Hashable, Sendable {
    public enum Mode: Hashable, Sendable { case exactly, atLeast, any, none }
    public var mode: Mode
    /// Bits: F 0x01, S 0x02, R 0x04, P 0x08, A 0x10, U 0x20, C(W) 0x80, E 0x40.
    public var flags: UInt8
    public var ignored: UInt8
}
