import RampartConfig
import RampartWire

/// Reading the profiles of a `SecurityPolicy` spec (`threatProfiles`, `fileBlockingProfiles`,
/// `dnsSecurityProfiles`, `urlFilteringProfiles`, `profileGroups`). Names are checked and
/// references resolved later, by `PolicyResolver`, with the rest of the policy.
extension PolicyLoader {
    public static let maximumProfiles = 10_000
    /// The most categories one DNS or URL profile may name.
    public static let maximumProfileCategories = 10_000

    static let profileFields = ["threatProfiles", "fileBlockingProfiles", "dnsSecurityProfiles", "urlFilteringProfiles", "aiSecurityProfiles", "profileGroups"]

    static func readProfiles(_ f: [String: YAMLNode], reader r: FieldReader, into raw: inout RawPolicy) {
        func each(_ key: String, _ read: (YAMLNode) -> Void) {
            guard let node = f[key], let items = r.list(node, key, limit: maximumProfiles) else { return }
            for item in items { read(item) }
        }
        each("threatProfiles") { if let p = readThreatProfile($0, r) { raw.threatProfiles.append(p) } }
        each("fileBlockingProfiles") { if let p = readFileBlockingProfile($0, r) { raw.fileProfiles.append(p) } }
        each("dnsSecurityProfiles") { if let p = readDNSSecurityProfile($0, r) { raw.dnsProfiles.append(p) } }
        each("urlFilteringProfiles") { if let p = readURLFilteringProfile($0, r) { raw.urlProfiles.append(p) } }
        each("aiSecurityProfiles") { if let p = readAISecurityProfile($0, r) { raw.aiProfiles.append(p) } }
        each("profileGroups") { item in
            guard let gf = r.fields(item, "a profile group", allowed: ["name", "description", "profiles"], required: ["name", "profiles"]),
                  let nn = gf["name"], let name = r.name(nn, "profile group name") else { return }
            if let d = gf["description"] { _ = r.string(d, "description") }
            guard let p = gf["profiles"], let items = r.strings(p, "profiles", limit: 16) else { return }
            raw.profileGroups.append(RawNamed(name: name, location: nn.location, value: items.map { ($0.0, $0.1.location) }))
        }
    }

    /// A value of one of the policy's keyword enums, with the list and a "did you mean" when unknown.
    static func keyword<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ what: String, _ r: FieldReader, as: E.Type) -> E?
    where E.RawValue == String {
        guard let s = r.string(node, what) else { return nil }
        if let v = E(rawValue: s) { return v }
        let names = E.allCases.map(\.rawValue)
        r.error(node.location, "unknown \(what) '\(s.prefix(40))'; expected one of \(names.joined(separator: ", "))" + DidYouMean.hint(for: s, among: names))
        return nil
    }

    /// A category → action mapping. Category names are free (they come from the lists, which
    /// change without the policy); the actions are checked.
    static func categoryActions<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ what: String, _ r: FieldReader, as: E.Type)
        -> [String: (E, SourceLocation)]
    where E.RawValue == String {
        guard case .mapping(let pairs, _) = node else {
            r.error(node.location, "\(what) must be a mapping of category to action, found \(node.kindName)")
            return [:]
        }
        if pairs.count > maximumProfileCategories {
            r.error(node.location, "\(what) has \(pairs.count) categories; the limit is \(maximumProfileCategories)")
            return [:]
        }
        var out: [String: (E, SourceLocation)] = [:]
        for (k, v) in pairs {
            guard case .scalar(let category, _, let at) = k, !k.isNull else {
                r.error(k.location, "a category in \(what) must be a string, found \(k.kindName)")
                continue
            }
            if category.isEmpty || category.utf8.count > 128 || category.utf8.contains(where: { $0 < 0x20 }) {
                r.error(at, "category '\(category.prefix(40))' in \(what) must be 1 to 128 printable bytes")
                continue
            }
            if let first = out[category] {
                r.error(at, "duplicate category '\(category.prefix(80))' in \(what); first given at \(first.1)")
                continue
            }
            if let action = keyword(v, "action", r, as: E.self) { out[category] = (action, v.location) }
        }
        return out
    }

    static func readThreatProfile(_ node: YAMLNode, _ r: FieldReader) -> RawNamed<ThreatProfile>? {
        guard let f = r.fields(node, "a threat profile", allowed: ["name", "description", "severity", "exceptions"], required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "threat profile name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var profile = ThreatProfile(name: name)
        if let s = f["severity"],
           let sf = r.fields(s, "severity of threat profile '\(name)'", allowed: ThreatSeverity.allCases.map(\.rawValue)) {
            for (key, value) in sf {
                guard let severity = ThreatSeverity(rawValue: key), let action = keyword(value, "threat action", r, as: ThreatAction.self) else { continue }
                profile.severity[severity] = action
            }
        }
        if let e = f["exceptions"], let items = r.list(e, "exceptions", limit: 1_000_000) {
            var seen: [UInt32: SourceLocation] = [:]
            for item in items {
                guard let xf = r.fields(item, "an exception", allowed: ["sid", "action"], required: ["sid", "action"]),
                      let sn = xf["sid"], let sid = r.integer(sn, "sid", in: 1...Int(UInt32.max)),
                      let an = xf["action"], let action = keyword(an, "threat action", r, as: ThreatAction.self) else { continue }
                if let first = seen[UInt32(sid)] {
                    r.error(sn.location, "sid \(sid) has two exceptions in threat profile '\(name)'; first at \(first)")
                    continue
                }
                seen[UInt32(sid)] = sn.location
                profile.exceptions[UInt32(sid)] = action
            }
        }
        return RawNamed(name: name, location: nn.location, value: profile)
    }

    static func readFileBlockingProfile(_ node: YAMLNode, _ r: FieldReader) -> RawNamed<FileBlockingProfile>? {
        guard let f = r.fields(node, "a file blocking profile", allowed: ["name", "description", "fileTypes", "verdicts"], required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "file blocking profile name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var profile = FileBlockingProfile(name: name)
        if let t = f["fileTypes"], let items = r.list(t, "fileTypes", limit: 10_000) {
            for item in items {
                guard let tf = r.fields(item, "a fileTypes entry", allowed: ["types", "direction", "action"], required: ["types", "action"]),
                      let tn = tf["types"], let types = r.strings(tn, "types", limit: 1_000),
                      let an = tf["action"], let action = keyword(an, "file action", r, as: FileAction.self) else { continue }
                var direction = FileDirection.both
                if let dn = tf["direction"] {
                    guard let d = keyword(dn, "direction", r, as: FileDirection.self) else { continue }
                    direction = d
                }
                if types.isEmpty { r.error(tn.location, "types is an empty list; name at least one file type (pe, elf, pdf, ...) or 'any'") }
                for (type, at) in types where type.isEmpty || type.utf8.count > 64 {
                    r.error(at.location, "a file type must be 1 to 64 bytes")
                }
                profile.fileTypes.append(FileTypeRule(types: types.map(\.0), direction: direction, action: action))
            }
        }
        if let v = f["verdicts"], let vf = r.fields(v, "verdicts of file blocking profile '\(name)'", allowed: FileVerdict.allCases.map(\.rawValue)) {
            for (key, value) in vf {
                guard let verdict = FileVerdict(rawValue: key), let action = keyword(value, "file action", r, as: FileAction.self) else { continue }
                profile.verdicts[verdict] = action
            }
        }
        return RawNamed(name: name, location: nn.location, value: profile)
    }

    static func readDNSSecurityProfile(_ node: YAMLNode, _ r: FieldReader) -> RawNamed<DNSSecurityProfile>? {
        guard let f = r.fields(node, "a DNS security profile", allowed: ["name", "description", "categories", "sinkhole", "dga", "tunnelling"],
                               required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "DNS security profile name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var profile = DNSSecurityProfile(name: name)
        var sinkholeUses: [SourceLocation] = []
        if let c = f["categories"] {
            for (category, (action, at)) in categoryActions(c, "categories of DNS security profile '\(name)'", r, as: DNSAction.self) {
                profile.categories[category] = action
                if action == .sinkhole { sinkholeUses.append(at) }
            }
        }
        if let s = f["sinkhole"], let sf = r.fields(s, "sinkhole", allowed: ["ipv4", "ipv6"]) {
            for (key, wantV4) in [("ipv4", true), ("ipv6", false)] {
                guard let an = sf[key], let text = r.string(an, "sinkhole.\(key)") else { continue }
                guard let address = IPAddress(text), address.isIPv4 == wantV4 else {
                    r.error(an.location, "sinkhole.\(key) must be an \(wantV4 ? "IPv4" : "IPv6") address, found '\(text.prefix(60))'")
                    continue
                }
                if wantV4 { profile.sinkholeIPv4 = address } else { profile.sinkholeIPv6 = address }
            }
        }
        if let g = f["dga"], let gf = r.fields(g, "dga", allowed: ["action", "threshold"], required: ["action"]),
           let an = gf["action"], let action = keyword(an, "DNS action", r, as: DNSAction.self) {
            var dga = DGASetting(action: action)
            if let t = gf["threshold"], let v = r.number(t, "dga.threshold", in: 0...1) { dga.threshold = v }
            profile.dga = dga
            if action == .sinkhole { sinkholeUses.append(an.location) }
        }
        if let t = f["tunnelling"],
           let tf = r.fields(t, "tunnelling", allowed: ["action", "queriesPerMinute", "maxLabelLength", "minEntropy", "txtShare", "uniqueSubdomainsPerMinute"],
                             required: ["action"]),
           let an = tf["action"], let action = keyword(an, "DNS action", r, as: DNSAction.self) {
            var tunnelling = DNSTunnellingSetting(action: action)
            if let n = tf["queriesPerMinute"], let v = r.integer(n, "tunnelling.queriesPerMinute", in: 1...10_000_000) { tunnelling.queriesPerMinute = v }
            if let n = tf["maxLabelLength"], let v = r.integer(n, "tunnelling.maxLabelLength", in: 1...63) { tunnelling.maxLabelLength = v }
            if let n = tf["minEntropy"], let v = r.number(n, "tunnelling.minEntropy", in: 0...8) { tunnelling.minEntropy = v }
            if let n = tf["txtShare"], let v = r.number(n, "tunnelling.txtShare", in: 0...1) { tunnelling.txtShare = v }
            if let n = tf["uniqueSubdomainsPerMinute"], let v = r.integer(n, "tunnelling.uniqueSubdomainsPerMinute", in: 1...10_000_000) {
                tunnelling.uniqueSubdomainsPerMinute = v
            }
            profile.tunnelling = tunnelling
            if action == .sinkhole { sinkholeUses.append(an.location) }
        }
        if let first = sinkholeUses.min(by: { ($0.line, $0.column) < ($1.line, $1.column) }),
           profile.sinkholeIPv4 == nil && profile.sinkholeIPv6 == nil {
            r.error(first, "DNS security profile '\(name)' sinkholes but has no sinkhole address; add 'sinkhole: {ipv4: ADDRESS, ipv6: ADDRESS}'")
        }
        return RawNamed(name: name, location: nn.location, value: profile)
    }

    static func readURLFilteringProfile(_ node: YAMLNode, _ r: FieldReader) -> RawNamed<URLFilteringProfile>? {
        guard let f = r.fields(node, "a URL filtering profile",
                               allowed: ["name", "description", "categories", "unknown", "notResolved", "blockPage", "continueMinutes",
                                         "overridePassword", "overrideMinutes"],
                               required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "URL filtering profile name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var profile = URLFilteringProfile(name: name)
        var overrideUses: [SourceLocation] = []
        if let c = f["categories"] {
            for (category, (action, at)) in categoryActions(c, "categories of URL filtering profile '\(name)'", r, as: URLAction.self) {
                profile.categories[category] = action
                if action == .override { overrideUses.append(at) }
            }
        }
        if let n = f["unknown"], let a = keyword(n, "URL action", r, as: URLAction.self) {
            profile.unknown = a
            if a == .override { overrideUses.append(n.location) }
        }
        if let n = f["notResolved"], let a = keyword(n, "URL action", r, as: URLAction.self) {
            profile.notResolved = a
            if a == .override { overrideUses.append(n.location) }
        }
        if let n = f["blockPage"], let page = r.string(n, "blockPage") {
            if page.isEmpty || page.utf8.count > 4096 || page.utf8.contains(0) {
                r.error(n.location, "blockPage must be the path of an HTML file (relative to the policy file), found '\(page.prefix(60))'")
            } else {
                profile.blockPage = page
            }
        }
        if let n = f["continueMinutes"], let v = r.integer(n, "continueMinutes", in: 1...1440) { profile.continueMinutes = v }
        if let n = f["overrideMinutes"], let v = r.integer(n, "overrideMinutes", in: 1...1440) { profile.overrideMinutes = v }
        var passwordMalformed = false
        if let n = f["overridePassword"], let text = r.string(n, "overridePassword") {
            // A hash only: the policy is stored and shown, the password must not be in it.
            if let hash = URLFilteringProfile.parsePasswordHash(text) {
                profile.overridePasswordSHA256 = hash
            } else {
                passwordMalformed = true
                r.error(n.location, "overridePassword must be 'sha256:' and 64 hex digits (the SHA-256 of the password, e.g. from 'printf %s PASSWORD | sha256sum'), found \(text.utf8.count) characters (not echoed: it may be the password)")
            }
        }
        if let first = overrideUses.min(by: { ($0.line, $0.column) < ($1.line, $1.column) }),
           profile.overridePasswordSHA256 == nil && !passwordMalformed {
            r.error(first, "URL filtering profile '\(name)' uses override but has no overridePassword; add 'overridePassword: sha256:<64 hex>'")
        }
        return RawNamed(name: name, location: nn.location, value: profile)
    }
}
