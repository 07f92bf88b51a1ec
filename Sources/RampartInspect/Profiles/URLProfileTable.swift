import RampartPolicy

/// The policy's URL filtering profiles compiled against the indicator store the engine
/// holds: for each profile, its categories as store ids with their actions, strictest
/// first, so that deciding a match is a few `contains` tests and no allocation. Rebuilt
/// when the policy or the store changes.
@usableFromInline
struct URLProfileTable: Sendable {
    struct Entry: Sendable {
        var category: IndicatorCategory
        var action: URLAction
    }

    var profiles: [URLFilteringProfile] = []
    var entries: [[Entry]] = []

    init() {}

    init(_ profiles: [URLFilteringProfile], store: IndicatorStore?) {
        self.profiles = profiles
        entries = profiles.map { profile in
            guard let store else { return [] }
            var list: [Entry] = []
            for (name, action) in profile.categories {
                if let category = store.category(named: name) { list.append(Entry(category: category, action: action)) }
            }
            // Strictest first; among equals, by category id (a stable order).
            list.sort { ($0.action, $1.category) > ($1.action, $0.category) }
            return list
        }
    }

    /// The action of profile `index` for a lookup's answer, as `decide` would give it, without
    /// the names it returns (no allocation): what a check of many URLs asks first.
    func action(_ index: Int, match: IndicatorMatch?, store: IndicatorStore?) -> URLAction {
        guard let store else { return profiles[index].notResolved }
        guard let match else { return profiles[index].unknown }
        for e in entries[index] where store.contains(e.category, in: match.attributes) { return e.action }
        return .allow
    }

    /// The verdict of profile `index` for a lookup's answer. Allocates only for the names
    /// it returns (once per session).
    func decide(_ index: Int, match: IndicatorMatch?, store: IndicatorStore?) -> URLFilteringVerdict {
        let profile = profiles[index]
        guard let store else {
            return URLFilteringVerdict(category: URLFilteringVerdict.notResolvedCategory, action: profile.notResolved)
        }
        guard let match else {
            return URLFilteringVerdict(category: URLFilteringVerdict.unknownCategory, action: profile.unknown)
        }
        let list = store.sources(of: match.attributes).first.map { store.name(of: $0) }
        let entry = store.text(of: match)
        for e in entries[index] where store.contains(e.category, in: match.attributes) {
            return URLFilteringVerdict(category: store.name(of: e.category), action: e.action, list: list, entry: entry)
        }
        // Listed, but in categories the profile does not name: allowed, as PAN-OS allows
        // the categories a profile leaves at their default.
        let category = store.categories(of: match.attributes).first.map { store.name(of: $0) } ?? URLFilteringVerdict.unknownCategory
        return URLFilteringVerdict(category: category, action: .allow, list: list, entry: entry)
    }
}
