import RampartConfig

/// What a profile name refers to: one profile of a kind, or a group.
enum ProfileReference {
    case profile(ProfileKind, Int32)
    case group(Int)
}

/// The names of profiles and groups, one namespace, with where each was defined.
struct ProfileNamespace {
    var references: [String: (ProfileReference, SourceLocation)] = [:]
    var groupNames: [String] = []

    var names: [String] { Array(references.keys) }
}

extension PolicyResolver {
    /// Profiles and groups share one namespace (a rule names either); each group is
    /// expanded to at most one profile of each kind.
    static func resolveProfiles(_ raw: RawPolicy, _ r: FieldReader) -> (PolicyProfiles, ProfileNamespace) {
        var profiles = PolicyProfiles()
        var space = ProfileNamespace()
        func declare(_ name: String, _ at: SourceLocation, _ reference: ProfileReference) -> Bool {
            if let (_, first) = space.references[name] {
                r.error(at, "duplicate profile name '\(name)'; first defined at \(first) (profiles and profile groups share one set of names)")
                return false
            }
            space.references[name] = (reference, at)
            return true
        }
        for p in raw.threatProfiles where declare(p.name, p.location, .profile(.threat, Int32(profiles.threat.count))) {
            profiles.threat.append(p.value)
        }
        for p in raw.fileProfiles where declare(p.name, p.location, .profile(.file, Int32(profiles.file.count))) {
            profiles.file.append(p.value)
        }
        for p in raw.dnsProfiles where declare(p.name, p.location, .profile(.dns, Int32(profiles.dns.count))) {
            profiles.dns.append(p.value)
        }
        for p in raw.urlProfiles where declare(p.name, p.location, .profile(.url, Int32(profiles.url.count))) {
            profiles.url.append(p.value)
        }
        for p in raw.aiProfiles where declare(p.name, p.location, .profile(.ai, Int32(profiles.ai.count))) {
            var profile = p.value
            if let name = profile.urlFiltering {
                if let k = raw.urlProfiles.firstIndex(where: { $0.name == name }) {
                    profile.urlFilteringIndex = Int32(k)
                } else {
                    r.error(p.location, "AI security profile '\(p.name)' names urlFiltering '\(name)', which is not in urlFilteringProfiles"
                        + DidYouMean.hint(for: name, among: raw.urlProfiles.map(\.name)))
                }
            }
            profiles.ai.append(profile)
        }
        var groups: [RawNamed<[(String, SourceLocation)]>] = []
        for g in raw.profileGroups where declare(g.name, g.location, .group(groups.count)) {
            groups.append(g)
            space.groupNames.append(g.name)
        }
        for g in groups {
            var set = RuleProfiles.none
            var from: [ProfileKind: String] = [:]
            for (item, at) in g.value {
                switch space.references[item]?.0 {
                case .profile(let kind, let index):
                    if let first = from[kind] {
                        r.error(at, "profile group '\(g.name)' has two \(kind)s, '\(first)' and '\(item)'; a group holds at most one of each kind")
                        continue
                    }
                    from[kind] = item
                    set[kind] = index
                case .group:
                    r.error(at, "profile group '\(g.name)' names the group '\(item)'; a group holds profiles, not groups")
                case nil:
                    unknownProfile(item, at: at, context: "profile group '\(g.name)'", space: space, r)
                }
            }
            profiles.groups.append(ProfileGroup(name: g.name, profiles: set))
        }
        return (profiles, space)
    }

    static func unknownProfile(_ name: String, at: SourceLocation, context: String, space: ProfileNamespace, _ r: FieldReader) {
        let hint = DidYouMean.hint(for: name, among: space.names)
        r.error(at, "undefined profile or profile group '\(name.prefix(80))' in \(context)"
            + (hint.isEmpty ? (space.references.isEmpty
                ? "; the policy defines no profiles (threatProfiles, fileBlockingProfiles, dnsSecurityProfiles, urlFilteringProfiles, aiSecurityProfiles, profileGroups)"
                : "") : hint))
    }

    /// A rule's `profiles`, groups expanded; nil when they are wrong (reported).
    static func ruleProfiles(_ raw: RawRule, profiles: PolicyProfiles, space: ProfileNamespace, _ r: FieldReader) -> RuleProfiles? {
        guard let listAt = raw.profilesLocation, !raw.profiles.isEmpty else { return RuleProfiles.none }
        var ok = true
        if let action = raw.action, action != .allow {
            r.error(listAt, "rule '\(raw.name)' has action '\(action.name)'; profiles inspect the traffic a rule allows, so only allow rules carry them (remove 'profiles' or make the rule allow)")
            ok = false
        }
        var set = RuleProfiles.none
        var from: [ProfileKind: String] = [:]
        func take(_ kind: ProfileKind, _ index: Int32, _ origin: String, at: SourceLocation) {
            if let first = from[kind] {
                r.error(at, "rule '\(raw.name)' gets two \(kind)s, \(first) and \(origin); a rule carries at most one of each kind")
                ok = false
                return
            }
            from[kind] = origin
            set[kind] = index
        }
        for (item, at) in raw.profiles {
            switch space.references[item]?.0 {
            case .profile(let kind, let index):
                take(kind, index, "'\(item)'", at: at)
            case .group(let g):
                guard g < profiles.groups.count else { continue }
                let group = profiles.groups[g]
                for kind in ProfileKind.allCases where group.profiles[kind] >= 0 {
                    let name = profiles.name(kind, group.profiles[kind]) ?? "?"
                    take(kind, group.profiles[kind], "'\(name)' (from group '\(item)')", at: at)
                }
            case nil:
                unknownProfile(item, at: at, context: "rule '\(raw.name)'", space: space, r)
                ok = false
            }
        }
        return ok ? set : nil
    }
}
