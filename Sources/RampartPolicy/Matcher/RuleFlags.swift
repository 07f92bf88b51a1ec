/// How a compiled rule treats its two addresses: one byte per rule, read on a lookup's
/// slow path for rules that match without naming an address.
struct RuleAddressFlags: OptionSet, Sendable {
    let rawValue: UInt8
    static let sourceAny = RuleAddressFlags(rawValue: 1)
    static let sourceNegated = RuleAddressFlags(rawValue: 2)
    static let destinationAny = RuleAddressFlags(rawValue: 4)
    static let destinationNegated = RuleAddressFlags(rawValue: 8)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ rule: Rule) {
        var flags: RuleAddressFlags = []
        if rule.source.isAny { flags.insert(.sourceAny) }
        if rule.source.negate { flags.insert(.sourceNegated) }
        if rule.destination.isAny { flags.insert(.destinationAny) }
        if rule.destination.negate { flags.insert(.destinationNegated) }
        self = flags
    }
}

/// What a compiled rule asks of the application and the port beyond its bitsets.
struct RuleMatchFlags: OptionSet, Sendable {
    let rawValue: UInt8
    /// `applications: any`: the decision is final before App-ID names the application.
    static let applicationsAny = RuleMatchFlags(rawValue: 1)
    /// `services: application-default`: a named application must be on one of its ports.
    static let applicationDefault = RuleMatchFlags(rawValue: 2)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ rule: Rule) {
        var flags: RuleMatchFlags = []
        if rule.applications == nil { flags.insert(.applicationsAny) }
        if rule.services == .applicationDefault { flags.insert(.applicationDefault) }
        self = flags
    }
}
