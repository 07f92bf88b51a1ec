import RampartWire
import RampartPolicy

/// The policy's DNS security profiles compiled against the engine's indicator store: for
/// each profile, for each attribute id of the store (a set of categories and sources), the
/// strictest action its categories get and the category that gave it, so deciding a listed
/// name is one array read. Rebuilt (cold path) when the policy or the store changes.
///
/// ```swift
/// let table = DNSProfileTable(policy.profiles.dns, store: store)
/// let decision = table.decide(profile: 0, match: store.domain(name))
/// ```
struct DNSProfileTable: Sendable {
    var profiles: [DNSSecurityProfile] = []
    /// Per profile, per attribute id: rank << 16 | category id; 0: no category of the
    /// profile's.
    var actions: [[UInt32]] = []
    /// Every profile's sinkhole addresses: a connection to one of them is the infected
    /// client's (its flow record says `rampart.sinkhole`).
    var sinkholes: [IPAddress] = []

    init() {}

    init(_ profiles: [DNSSecurityProfile], store: IndicatorStore?) {
        self.profiles = profiles
        for profile in profiles {
            for a in [profile.sinkholeIPv4, profile.sinkholeIPv6] {
                if let a, !sinkholes.contains(a) { sinkholes.append(a) }
            }
            guard let store else {
                actions.append([])
                continue
            }
            var ids: [UInt16: DNSAction] = [:]
            for (name, action) in profile.categories {
                if let category = store.category(named: name) { ids[category.rawValue] = action }
            }
            var row = [UInt32](repeating: 0, count: store.attributeCount)
            if !ids.isEmpty {
                for attribute in 0..<store.attributeCount {
                    var best: UInt32 = 0
                    for category in store.categories(of: IndicatorAttributes(rawValue: UInt32(attribute))) {
                        guard let action = ids[category.rawValue] else { continue }
                        let packed = UInt32(DNSSecurityDecision.rank(of: action)) << 16 | UInt32(category.rawValue)
                        // Strictest action first; among equals, the lower category id.
                        if best == 0 || packed >> 16 > best >> 16
                            || (packed >> 16 == best >> 16 && packed & 0xFFFF < best & 0xFFFF)
                        {
                            best = packed
                        }
                    }
                    row[attribute] = best
                }
            }
            actions.append(row)
        }
    }

    /// The category decision of profile `index` for a lookup's answer: nil when the name is
    /// not listed under a category the profile names.
    func decide(profile index: Int, match: IndicatorMatch?) -> DNSSecurityDecision? {
        guard let match, index >= 0, index < actions.count else { return nil }
        let row = actions[index]
        let attribute = Int(match.attributes.rawValue)
        guard attribute < row.count, row[attribute] != 0 else { return nil }
        let packed = row[attribute]
        return DNSSecurityDecision(rank: UInt8(packed >> 16), reason: .category, category: UInt16(packed & 0xFFFF))
    }
}
