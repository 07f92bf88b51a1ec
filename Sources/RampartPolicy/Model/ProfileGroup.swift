/// A profile group: profiles attached together by naming the group in a rule's `profiles`
/// (at most one of each kind).
///
/// ```yaml
/// profileGroups:
///   - name: default
///     profiles: [strict, dns-default, url-default]
/// ```
public struct ProfileGroup: Hashable, Sendable {
    public var name: String
    public var profiles: RuleProfiles

    public init(name: String, profiles: RuleProfiles) {
        self.name = name
        self.profiles = profiles
    }
}

/// The kinds of profile a rule can carry, one of each.
public enum ProfileKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case threat, file, dns, url, ai

    /// The field of the policy's `spec` that holds this kind.
    public var specField: String {
        switch self {
        case .threat: return "threatProfiles"
        case .file: return "fileBlockingProfiles"
        case .dns: return "dnsSecurityProfiles"
        case .url: return "urlFilteringProfiles"
        case .ai: return "aiSecurityProfiles"
        }
    }

    public var description: String {
        switch self {
        case .threat: return "threat profile"
        case .file: return "file blocking profile"
        case .dns: return "DNS security profile"
        case .url: return "URL filtering profile"
        case .ai: return "AI security profile"
        }
    }
}
