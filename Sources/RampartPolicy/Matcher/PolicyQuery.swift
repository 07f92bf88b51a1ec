import RampartWire

/// What the engine asks the policy about a session. Zones come from the addresses and, for
/// zones with `vni` or `nodes`, from the tunnel the session arrived in.
///
/// ```swift
/// let q = PolicyQuery(source: IPAddress("10.200.1.2")!, destination: IPAddress("10.200.2.2")!,
///                     ipProtocol: .tcp, destinationPort: 80, application: nil)
/// let d = matcher.decide(q)
/// ```
@frozen
public struct PolicyQuery: Hashable, Sendable {
    public var source: IPAddress
    public var destination: IPAddress
    public var ipProtocol: IPProtocol
    public var destinationPort: UInt16
    /// nil while App-ID has not named the application yet.
    public var application: ApplicationID?
    /// The tunnel's VNI (the cluster id); read only when `tunnelSource` is set.
    public var tunnelVNI: UInt32
    /// The outer source address of the tunnel the session arrived in (the sending node);
    /// nil when it was not tunnelled. Zones with `vni` or `nodes` match only tunnelled traffic.
    public var tunnelSource: IPAddress?

    @inlinable
    public init(source: IPAddress, destination: IPAddress, ipProtocol: IPProtocol, destinationPort: UInt16,
                application: ApplicationID? = nil, tunnelVNI: UInt32 = 0, tunnelSource: IPAddress? = nil) {
        self.source = source
        self.destination = destination
        self.ipProtocol = ipProtocol
        self.destinationPort = destinationPort
        self.application = application
        self.tunnelVNI = tunnelVNI
        self.tunnelSource = tunnelSource
    }
}

/// The policy's answer. `isFinal == false` means "allowed for now": the first candidate
/// rule depends on the application, which App-ID has not named yet; ask again with it.
///
/// ```swift
/// if !d.isFinal { /* keep inspecting; call decide again once App-ID knows */ }
/// ```
@frozen
public struct PolicyDecision: Hashable, Sendable {
    /// Index into `PolicyMatcher.rules` (the last two are intrazone-default, interzone-default).
    public var ruleIndex: Int32
    public var action: RuleAction
    public var isFinal: Bool
    public var logAtStart: Bool
    public var logAtEnd: Bool

    @inlinable
    public init(ruleIndex: Int32, action: RuleAction, isFinal: Bool, logAtStart: Bool, logAtEnd: Bool) {
        self.ruleIndex = ruleIndex
        self.action = action
        self.isFinal = isFinal
        self.logAtStart = logAtStart
        self.logAtEnd = logAtEnd
    }

    @usableFromInline
    var packed: UInt64 {
        UInt64(UInt32(bitPattern: ruleIndex)) | UInt64(action.rawValue) << 32
            | (isFinal ? 1 << 40 : 0) | (logAtStart ? 1 << 41 : 0) | (logAtEnd ? 1 << 42 : 0)
    }

    @usableFromInline
    init(packed p: UInt64) {
        ruleIndex = Int32(bitPattern: UInt32(truncatingIfNeeded: p))
        action = RuleAction(rawValue: UInt8(truncatingIfNeeded: p >> 32)) ?? .deny
        isFinal = p & (1 << 40) != 0
        logAtStart = p & (1 << 41) != 0
        logAtEnd = p & (1 << 42) != 0
    }
}

/// A rule as the engine and its logs see it.
public struct RuleInfo: Hashable, Sendable {
    public var index: Int
    public var name: String
    public var action: RuleAction
    public var logAtStart: Bool
    public var logAtEnd: Bool
    public var isDisabled: Bool
    /// True for intrazone-default and interzone-default.
    public var isDefault: Bool
}
