/// A threat profile (vulnerability protection and anti-spyware): what to do with the
/// signature matches (`spec.rules`) of the sessions its rules allow, by the signature's
/// severity, with per-signature exceptions.
///
/// ```yaml
/// threatProfiles:
///   - name: strict
///     severity: {critical: reset-both, high: reset-both, medium: alert, low: alert, informational: allow}
///     exceptions: [{sid: 2013028, action: allow}]
/// ```
public struct ThreatProfile: Hashable, Sendable {
    public var name: String
    /// The action per severity; a severity left out keeps `ThreatAction.default` (the
    /// signature's own action).
    public var severity: [ThreatSeverity: ThreatAction]
    /// Per-signature overrides, by sid; they win over `severity`.
    public var exceptions: [UInt32: ThreatAction]

    public init(name: String, severity: [ThreatSeverity: ThreatAction] = [:], exceptions: [UInt32: ThreatAction] = [:]) {
        self.name = name
        self.severity = severity
        self.exceptions = exceptions
    }

    /// The action for a signature of this sid and severity.
    public func action(sid: UInt32, severity s: ThreatSeverity) -> ThreatAction {
        exceptions[sid] ?? severity[s] ?? .default
    }
}

/// A signature's severity, as PAN-OS grades threats (Suricata's priority 1 is critical... 4+ is
/// informational: the threat helper maps them).
public enum ThreatSeverity: String, Hashable, Sendable, CaseIterable {
    case critical, high, medium, low, informational
}

/// What a threat profile does with a signature match.
public enum ThreatAction: String, Hashable, Sendable, CaseIterable {
    /// The signature's own action (`alert`, `drop`, `reject`, `pass`).
    case `default`
    /// No alert, the traffic passes.
    case allow
    /// An alert, the traffic passes.
    case alert
    /// An alert, the packet and the rest of the session are dropped.
    case drop
    case resetClient = "reset-client"
    case resetServer = "reset-server"
    case resetBoth = "reset-both"
}
