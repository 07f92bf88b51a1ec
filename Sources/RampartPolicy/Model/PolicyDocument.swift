import RampartConfig
import RampartWire

/// A validated policy with every reference resolved: what `PolicyLoader.load` returns and
/// what `PolicyMatcher` compiles.
///
/// ```swift
/// let doc = try PolicyLoader.load(yaml: text, file: "policy.yaml")
/// doc.rules.map(\.name)  // ["allow-web", "deny-db"]
/// ```
public struct PolicyDocument: Sendable {
    /// Zones in declaration order; `zones[defaultZone]` holds every address no zone claims.
    public var zones: [Zone] = []
    public var defaultZone: Int = 0
    /// The index of the implicit zone `unassigned` when the loader created it (no
    /// `defaults.zone` was given); nil otherwise. Its addresses belong to no declared zone,
    /// so traffic between two of them is not intrazone: `interzone-default` decides it, as
    /// PAN-OS drops the traffic of an interface that has no zone.
    public var implicitZone: Int?
    /// How many `SecurityPolicy` documents the file held; the loader refuses a file with none.
    public var securityPolicyDocuments = 0
    /// Where `defaults` was written, if it was (for warnings).
    public var defaultsLocation: SourceLocation?
    /// The file the policy was read from.
    public var file = ""
    /// Named address objects.
    public var addresses: [String: [AddressRange]] = [:]
    /// Named address groups, resolved to ranges and tag expressions.
    public var groups: [String: AddressSet] = [:]
    public var services: [String: [PortSpec]] = [:]
    public var applicationGroups: [String: [ApplicationID]] = [:]
    /// The user's rules in evaluation order (disabled rules included, never matching).
    public var rules: [Rule] = []
    public var intrazone = DefaultRule(name: "intrazone-default", action: .allow, log: LogSetting(atStart: false, atEnd: true))
    public var interzone = DefaultRule(name: "interzone-default", action: .deny, log: LogSetting(atStart: false, atEnd: true))
    /// Address tags given by `AddressTags` documents in the same file.
    public var addressTags: [(IPAddress, [Tag])] = []
    /// Threat, file blocking, DNS security and URL filtering profiles and profile groups,
    /// which allow rules attach with `profiles:` (`Rule.profiles` indexes them).
    public var profiles = PolicyProfiles()

    public init() {}
}

/// A zone: addresses inside any of `networks`, or whose tags satisfy `tags`; with `vni` or
/// `nodes`, only in traffic that arrived through such a tunnel (a *tunnel zone*).
///
/// ```swift
/// let z = Zone(name: "cluster-a", networks: [], tags: nil, vni: [7])   // all of VNI 7's traffic
/// ```
public struct Zone: Sendable {
    public var name: String
    public var networks: [AddressRange]
    public var tags: TagExpression?
    /// Tunnel VNIs (cluster ids) whose traffic this zone may hold; empty: any.
    public var vni: [UInt32]
    /// Tunnel source addresses (the sending nodes) whose traffic this zone may hold; empty: any.
    public var nodes: [AddressRange]

    public init(name: String, networks: [AddressRange], tags: TagExpression?, vni: [UInt32], nodes: [AddressRange] = []) {
        self.name = name
        self.networks = networks
        self.tags = tags
        self.vni = vni
        self.nodes = nodes
    }

    /// True when membership depends on the packet's tunnel (`vni` or `nodes` given).
    public var isTunnelZone: Bool { !vni.isEmpty || !nodes.isEmpty }
}

/// A set of addresses: some ranges and some tag expressions (an address is in the set
/// when it is in a range or its tags satisfy an expression).
public struct AddressSet: Hashable, Sendable {
    public var ranges: [AddressRange] = []
    public var expressions: [TagExpression] = []
    public init(ranges: [AddressRange] = [], expressions: [TagExpression] = []) {
        self.ranges = ranges
        self.expressions = expressions
    }

    public func contains(_ address: IPAddress, tags: Set<Tag>) -> Bool {
        ranges.contains { $0.contains(address) } || expressions.contains { $0.evaluate { tags.contains($0) } }
    }
}

/// A rule's source or destination.
public struct AddressMatch: Hashable, Sendable {
    /// `any`: every address (negate is refused with `any`).
    public var isAny: Bool
    public var set: AddressSet
    public var negate: Bool

    public static let any = AddressMatch(isAny: true, set: AddressSet(), negate: false)

    public func matches(_ address: IPAddress, tags: Set<Tag>) -> Bool {
        if isAny { return true }
        return set.contains(address, tags: tags) != negate
    }
}

/// One protocol and its ports; an empty `ports` means every port.
public struct PortSpec: Hashable, Sendable {
    public var transport: ServiceProtocol
    public var ports: [ClosedRange<UInt16>]

    public func matches(ipProtocol: UInt8, port: UInt16) -> Bool {
        transport.includes(ipProtocol) && (ports.isEmpty || ports.contains { $0.contains(port) })
    }
}

/// A rule's service criterion.
public enum ServiceMatch: Hashable, Sendable {
    case any
    /// The application's own default ports (`ApplicationCatalog.defaultPorts`).
    case applicationDefault
    case ports([PortSpec])
}

/// A validated rule.
public struct Rule: Sendable {
    public var name: String
    public var description: String
    public var disabled: Bool
    /// Zone indexes; nil means `any`.
    public var fromZones: [Int]?
    public var toZones: [Int]?
    public var source: AddressMatch
    public var destination: AddressMatch
    /// Applications (children and categories already expanded); nil means `any`.
    public var applications: [ApplicationID]?
    public var services: ServiceMatch
    public var action: RuleAction
    public var log: LogSetting
    /// Where the rule starts in its file.
    public var file: String
    public var location: SourceLocation
    /// Its profiles (groups expanded), indexes into `PolicyDocument.profiles`; only allow
    /// rules carry any.
    public var profiles: RuleProfiles = .none
}

/// The rules evaluated after the user's: within a zone, and between zones.
public struct DefaultRule: Hashable, Sendable {
    public var name: String
    public var action: RuleAction
    public var log: LogSetting
}
