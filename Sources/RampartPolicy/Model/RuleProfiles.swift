/// The profiles a rule carries, as indexes into the policy's arrays of each kind
/// (`PolicyDocument.threatProfiles`, ... and the same in `CompiledPolicy.profiles`); -1: none.
///
/// The engine asks once per session, with the rule that allowed it:
///
/// ```swift
/// let p = matcher.profiles(ofRule: session.ruleIndex)
/// if p.url >= 0 { let profile = matcher.compiled.profiles.url[Int(p.url)] }
/// ```
@frozen
public struct RuleProfiles: Hashable, Sendable {
    public var threat: Int32
    public var file: Int32
    public var dns: Int32
    public var url: Int32
    public var ai: Int32

    @inlinable
    public init(threat: Int32 = -1, file: Int32 = -1, dns: Int32 = -1, url: Int32 = -1, ai: Int32 = -1) {
        self.threat = threat
        self.file = file
        self.dns = dns
        self.url = url
        self.ai = ai
    }

    /// No profile of any kind.
    public static let none = RuleProfiles()

    @inlinable
    public var isEmpty: Bool { threat < 0 && file < 0 && dns < 0 && url < 0 && ai < 0 }

    /// The index of the profile of `kind`, or -1.
    @inlinable
    public subscript(kind: ProfileKind) -> Int32 {
        get {
            switch kind {
            case .threat: return threat
            case .file: return file
            case .dns: return dns
            case .url: return url
            case .ai: return ai
            }
        }
        set {
            switch kind {
            case .threat: threat = newValue
            case .file: file = newValue
            case .dns: dns = newValue
            case .url: url = newValue
            case .ai: ai = newValue
            }
        }
    }
}

/// Every profile of a policy, by kind, in declaration order: what `RuleProfiles` indexes.
public struct PolicyProfiles: Hashable, Sendable {
    public var threat: [ThreatProfile] = []
    public var file: [FileBlockingProfile] = []
    public var dns: [DNSSecurityProfile] = []
    public var url: [URLFilteringProfile] = []
    public var ai: [AISecurityProfile] = []
    public var groups: [ProfileGroup] = []

    public init() {}

    public var isEmpty: Bool { threat.isEmpty && file.isEmpty && dns.isEmpty && url.isEmpty && ai.isEmpty && groups.isEmpty }

    /// The name of the profile of `kind` at `index`.
    public func name(_ kind: ProfileKind, _ index: Int32) -> String? {
        let i = Int(index)
        guard i >= 0 else { return nil }
        switch kind {
        case .threat: return i < threat.count ? threat[i].name : nil
        case .file: return i < file.count ? file[i].name : nil
        case .dns: return i < dns.count ? dns[i].name : nil
        case .url: return i < url.count ? url[i].name : nil
        case .ai: return i < ai.count ? ai[i].name : nil
        }
    }

    /// The names of a rule's profiles, by kind, for logs and `rampart policy match`.
    public func names(of p: RuleProfiles) -> [(kind: ProfileKind, name: String)] {
        ProfileKind.allCases.compactMap { k in name(k, p[k]).map { (k, $0) } }
    }
}
