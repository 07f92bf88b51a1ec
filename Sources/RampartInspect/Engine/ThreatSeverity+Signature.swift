import RampartPolicy
import RampartRules

extension ThreatSeverity {
    /// A signature's severity, for threat profiles: ET's `signature_severity` metadata when
    /// the rule carries it (Critical → critical, Major → high, Minor → medium, Informational
    /// and Audit → informational), else Suricata's priority (1 → high, 2 → medium, 3 → low,
    /// 4 and more → informational). Only a rule that says so is critical: Suricata's
    /// priority 1 covers most attack classtypes.
    ///
    /// ```swift
    /// ThreatSeverity(signature: rule)   // .high for `priority:1;` without metadata
    /// ```
    public init(signature rule: RampartRules.Rule) {
        for entry in rule.metadata where entry.key == "signature_severity" {
            switch entry.value.lowercased() {
            case "critical": self = .critical; return
            case "major": self = .high; return
            case "minor": self = .medium; return
            case "informational", "audit": self = .informational; return
            default: break
            }
        }
        switch rule.priority {
        case ...1: self = .high
        case 2: self = .medium
        case 3: self = .low
        default: self = .informational
        }
    }
}
