import RampartWire

/// A DNS security profile: what to do with the DNS queries of the sessions its rules allow,
/// by the category of the name asked (from the firewall's indicator lists), with DGA and
/// tunnelling detection.
///
/// ```yaml
/// dnsSecurityProfiles:
///   - name: dns-default
///     categories: {malware: sinkhole, phishing: block, gambling: alert}
///     sinkhole: {ipv4: 198.18.0.1, ipv6: "fd00::5:1"}
///     dga: {action: block, threshold: 0.9}
///     tunnelling: {action: block, queriesPerMinute: 600}
/// ```
public struct DNSSecurityProfile: Hashable, Sendable {
    public var name: String
    /// Category name → action. A category no list holds never matches (not an error: the
    /// lists can change without the policy).
    public var categories: [String: DNSAction]
    /// The addresses a sinkholed answer points to; required when an action is `sinkhole`.
    public var sinkholeIPv4: IPAddress?
    public var sinkholeIPv6: IPAddress?
    /// Detection of generated names; nil: off.
    public var dga: DGASetting?
    /// Detection of tunnelling per parent domain; nil: off.
    public var tunnelling: DNSTunnellingSetting?

    public init(name: String, categories: [String: DNSAction] = [:], sinkholeIPv4: IPAddress? = nil,
                sinkholeIPv6: IPAddress? = nil, dga: DGASetting? = nil, tunnelling: DNSTunnellingSetting? = nil) {
        self.name = name
        self.categories = categories
        self.sinkholeIPv4 = sinkholeIPv4
        self.sinkholeIPv6 = sinkholeIPv6
        self.dga = dga
        self.tunnelling = tunnelling
    }
}

/// What a DNS security profile does with a query.
public enum DNSAction: String, Hashable, Sendable, CaseIterable {
    case allow, alert, block, sinkhole
}

/// `dga`: names whose score under the DGA model reaches `threshold` (0...1) get `action`.
public struct DGASetting: Hashable, Sendable {
    public var action: DNSAction
    public var threshold: Double
    public init(action: DNSAction, threshold: Double = 0.9) {
        self.action = action
        self.threshold = threshold
    }
}

/// `tunnelling`: a parent domain whose queries cross any threshold gets `action`.
public struct DNSTunnellingSetting: Hashable, Sendable {
    public var action: DNSAction
    public var queriesPerMinute: Int = 600
    public var maxLabelLength: Int = 52
    /// Shannon entropy of the labels under the parent, bits per character.
    public var minEntropy: Double = 3.8
    /// Share of TXT and NULL queries (0...1).
    public var txtShare: Double = 0.5
    public var uniqueSubdomainsPerMinute: Int = 120

    public init(action: DNSAction) { self.action = action }
}
