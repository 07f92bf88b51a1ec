import RampartConfig

/// The second pass: checks names and resolves every reference into a `PolicyDocument`.
struct PolicyResolver {
    let raw: RawPolicy
    let r: FieldReader
    var document = PolicyDocument()
    private var zoneIndex: [String: Int] = [:]
    private var addressNames: [String: SourceLocation] = [:]
    private var groupDefs: [String: RawGroup] = [:]
    private var groupState: [String: AddressSet?] = [:]     // nil value while resolving (cycle check)
    private var appGroupDefs: [String: RawNamed<[(String, SourceLocation)]>] = [:]
    private var appGroupState: [String: [ApplicationID]?] = [:]
    private var profileSpace = ProfileNamespace()

    init(raw: RawPolicy, reader: FieldReader) {
        self.raw = raw
        self.r = reader
    }

    mutating func resolve() -> PolicyDocument {
        resolveZones()
        resolveAddresses()
        resolveServices()
        resolveApplicationGroups()
        (document.profiles, profileSpace) = PolicyResolver.resolveProfiles(raw, r)
        var ruleNames: [String: SourceLocation] = [:]
        for rule in raw.rules {
            if let first = ruleNames[rule.name] {
                r.error(rule.nameLocation, "duplicate rule name '\(rule.name)'; first defined at \(first)")
                _ = resolveRule(rule)   // still report its other problems
                continue
            }
            ruleNames[rule.name] = rule.nameLocation
            if let resolved = resolveRule(rule) { document.rules.append(resolved) }
        }
        for name in ["intrazone-default", "interzone-default"] {
            if let at = ruleNames[name] { r.error(at, "rule name '\(name)' is reserved for the default rule; set it in 'defaults'") }
        }
        document.intrazone = raw.intrazone
        document.interzone = raw.interzone
        document.addressTags = raw.tags
        return document
    }

    // MARK: zones

    private mutating func resolveZones() {
        for z in raw.zones {
            if let first = zoneIndex[z.name] {
                r.error(z.location, "duplicate zone name '\(z.name)'; first defined at \(raw.zones[first].location)")
                continue
            }
            zoneIndex[z.name] = document.zones.count
            document.zones.append(Zone(name: z.name, networks: z.networks, tags: z.tags, vni: z.vni, nodes: z.nodes))
        }
        if let (name, at) = raw.defaultZone {
            if let i = zoneIndex[name] {
                document.defaultZone = i
            } else {
                r.error(at, "undefined zone '\(name.prefix(80))' in defaults.zone" + DidYouMean.hint(for: name, among: zoneIndex.keys))
            }
        } else if let i = zoneIndex["unassigned"] {
            document.defaultZone = i
        } else {
            zoneIndex["unassigned"] = document.zones.count
            document.defaultZone = document.zones.count
            document.implicitZone = document.zones.count
            document.zones.append(Zone(name: "unassigned", networks: [], tags: nil, vni: []))
        }
        for z in raw.zones where z.isEmpty && zoneIndex[z.name] != document.defaultZone {
            r.error(z.location, "zone '\(z.name)' has no networks, tags, vni or nodes, so no address can belong to it (only the defaults.zone may be empty)")
        }
        var tunnelZones = 0
        for z in raw.zones {
            guard let at = z.tunnelLocation, let i = zoneIndex[z.name], document.zones.indices.contains(i),
                  document.zones[i].name == z.name else { continue }
            if i == document.defaultZone {
                r.error(at, "zone '\(z.name)' is the defaults.zone, which holds every address no other zone claims; it cannot have vni or nodes")
                continue
            }
            tunnelZones += 1
            if tunnelZones == PolicyLoader.maximumTunnelZones + 1 {
                r.error(at, "zone '\(z.name)': at most \(PolicyLoader.maximumTunnelZones) zones may have vni or nodes")
            }
        }
    }

    // MARK: addresses and groups

    private mutating func resolveAddresses() {
        for a in raw.addresses {
            if let first = addressNames[a.name] {
                r.error(a.location, "duplicate address name '\(a.name)'; first defined at \(first)")
                continue
            }
            addressNames[a.name] = a.location
            document.addresses[a.name] = a.value
        }
        for g in raw.groups {
            if let first = addressNames[g.name] {
                r.error(g.location, "duplicate address or group name '\(g.name)'; first defined at \(first)")
                continue
            }
            addressNames[g.name] = g.location
            groupDefs[g.name] = g
        }
        for g in raw.groups where groupDefs[g.name]?.location == g.location {
            if let set = resolveGroup(g.name, at: g.location) { document.groups[g.name] = set }
        }
    }

    private mutating func resolveGroup(_ name: String, at: SourceLocation) -> AddressSet? {
        if let state = groupState[name] {
            if state == nil { r.error(at, "address group '\(name)' contains itself (through its members)") }
            return state ?? nil
        }
        guard let g = groupDefs[name] else { return nil }
        groupState[name] = .some(nil)
        var set = AddressSet()
        if let e = g.match {
            set.expressions = [e]
        } else {
            for (member, at) in g.members {
                if member == "any" {
                    r.error(at, "'any' cannot be a group member; use 'any' in the rule instead")
                    continue
                }
                if let more = resolveAddressRef(member, at: at, context: "group '\(name)'") {
                    set.ranges += more.ranges
                    set.expressions += more.expressions
                }
            }
        }
        groupState[name] = .some(set)
        return set
    }

    /// An address object, group, or literal IP/CIDR/range.
    private mutating func resolveAddressRef(_ text: String, at: SourceLocation, context: String) -> AddressSet? {
        if let ranges = document.addresses[text] { return AddressSet(ranges: ranges) }
        if groupDefs[text] != nil { return resolveGroup(text, at: at) }
        switch AddressRange.parse(text) {
        case .success(let range): return AddressSet(ranges: range.withinFamily)
        case .failure(let e):
            let looksLiteral = text.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } == true || text.contains(":") || text.contains("/")
            if looksLiteral {
                r.error(at, "bad address in \(context): \(e.message)")
            } else {
                let hint = DidYouMean.hint(for: text, among: Array(addressNames.keys))
                r.error(at, "undefined address or group '\(text.prefix(80))' in \(context)"
                    + (hint.isEmpty ? "; expected an address or group name, an IP, a CIDR, a range or 'any'" : hint))
            }
            return nil
        }
    }

    // MARK: services and applications

    private mutating func resolveServices() {
        var seen: [String: SourceLocation] = [:]
        for s in raw.services {
            if let first = seen[s.name] {
                r.error(s.location, "duplicate service name '\(s.name)'; first defined at \(first)")
                continue
            }
            seen[s.name] = s.location
            document.services[s.name] = [s.value]
        }
    }

    private mutating func resolveApplicationGroups() {
        for g in raw.applicationGroups {
            if let first = appGroupDefs[g.name] {
                r.error(g.location, "duplicate application group name '\(g.name)'; first defined at \(first.location)")
                continue
            }
            if ApplicationCatalog.id(named: g.name) != nil {
                r.error(g.location, "application group name '\(g.name)' is already an application's name")
                continue
            }
            appGroupDefs[g.name] = g
        }
        for g in raw.applicationGroups where appGroupDefs[g.name]?.location == g.location {
            if let apps = resolveApplicationGroup(g.name, at: g.location) { document.applicationGroups[g.name] = apps }
        }
    }

    private mutating func resolveApplicationGroup(_ name: String, at: SourceLocation) -> [ApplicationID]? {
        if let state = appGroupState[name] {
            if state == nil { r.error(at, "application group '\(name)' contains itself") }
            return state ?? nil
        }
        guard let g = appGroupDefs[name] else { return nil }
        appGroupState[name] = .some(nil)
        var out: [ApplicationID] = []
        for (item, at) in g.value {
            if item == "any" {
                r.error(at, "'any' cannot be an application group member")
                continue
            }
            if let apps = resolveApplicationRef(item, at: at) { out += apps }
        }
        appGroupState[name] = .some(out)
        return out
    }

    private mutating func resolveApplicationRef(_ item: String, at: SourceLocation) -> [ApplicationID]? {
        if item.hasPrefix("category:") {
            let c = String(item.dropFirst("category:".count))
            let ids = ApplicationCatalog.ids(inCategory: c)
            if ids.isEmpty {
                r.error(at, "unknown application category '\(c.prefix(60))'; expected one of \(ApplicationCatalog.categories.joined(separator: ", "))"
                    + DidYouMean.hint(for: c, among: ApplicationCatalog.categories))
                return nil
            }
            return ids
        }
        if let id = ApplicationCatalog.id(named: item) { return ApplicationCatalog.selfAndDescendants(id) }
        if appGroupDefs[item] != nil { return resolveApplicationGroup(item, at: at) }
        let names = ApplicationCatalog.entries.map(\.name) + Array(appGroupDefs.keys)
        r.error(at, "unknown application '\(item.prefix(80))'" + DidYouMean.hint(for: item, among: names))
        return nil
    }

    // MARK: rules

    private mutating func resolveRule(_ raw: RawRule) -> Rule? {
        var ok = true
        func zones(_ refs: [(String, SourceLocation)]?, _ key: String) -> [Int]? {
            guard let refs else { return nil }
            if refs.contains(where: { $0.0 == "any" }) {
                if refs.count > 1, let at = refs.first(where: { $0.0 == "any" })?.1 {
                    r.error(at, "'any' in '\(key)' must stand alone"); ok = false
                }
                return nil
            }
            var out: [Int] = []
            for (name, at) in refs {
                if let i = zoneIndex[name] { out.append(i); continue }
                r.error(at, "undefined zone '\(name.prefix(80))' in rule '\(raw.name)'" + DidYouMean.hint(for: name, among: zoneIndex.keys))
                ok = false
            }
            return out
        }
        let from = zones(raw.from, "from")
        let to = zones(raw.to, "to")
        func addresses(_ refs: [(String, SourceLocation)]?, _ key: String, negate: Bool, negateAt: SourceLocation?) -> AddressMatch {
            guard let refs, !(refs.count == 1 && refs[0].0 == "any") else {
                if negate, let negateAt { r.error(negateAt, "negating an 'any' \(key) matches nothing"); ok = false }
                return .any
            }
            var set = AddressSet()
            for (text, at) in refs {
                if text == "any" { r.error(at, "'any' in '\(key)' must stand alone"); ok = false; continue }
                if let more = resolveAddressRef(text, at: at, context: "rule '\(raw.name)'") {
                    set.ranges += more.ranges
                    set.expressions += more.expressions
                } else {
                    ok = false
                }
            }
            return AddressMatch(isAny: false, set: set, negate: negate)
        }
        let source = addresses(raw.source, "source", negate: raw.negateSource, negateAt: raw.negateSourceLocation)
        let destination = addresses(raw.destination, "destination", negate: raw.negateDestination, negateAt: raw.negateDestinationLocation)
        var applications: [ApplicationID]?
        if let refs = raw.applications, !(refs.count == 1 && refs[0].0 == "any") {
            var ids: [ApplicationID] = []
            for (item, at) in refs {
                if item == "any" { r.error(at, "'any' in 'applications' must stand alone"); ok = false; continue }
                if let more = resolveApplicationRef(item, at: at) { ids += more } else { ok = false }
            }
            var seen = Set<ApplicationID>()
            applications = ids.filter { seen.insert($0).inserted }
        }
        var services = ServiceMatch.any
        if let refs = raw.services {
            let keywords = refs.filter { $0.0 == "any" || $0.0 == "application-default" }
            if let k = keywords.first {
                if refs.count > 1 { r.error(k.1, "'\(k.0)' in 'services' must stand alone"); ok = false }
                services = k.0 == "any" ? .any : .applicationDefault
            } else {
                var specs: [PortSpec] = []
                for (item, at) in refs {
                    if let s = document.services[item] { specs += s; continue }
                    if let s = PolicyResolver.inlineService(item) { specs.append(s); continue }
                    let looksInline = item.contains("/") || ServiceProtocol(rawValue: item) != nil
                    if looksInline {
                        r.error(at, "bad service '\(item.prefix(60))'; expected PROTOCOL/PORTS like tcp/443, udp/53 or tcp/8000-8080, or icmp")
                    } else {
                        let hint = DidYouMean.hint(for: item, among: Array(document.services.keys) + ["any", "application-default"])
                        r.error(at, "undefined service '\(item.prefix(80))' in rule '\(raw.name)'"
                            + (hint.isEmpty ? "; expected a service name, PROTOCOL/PORTS like tcp/443, 'any' or 'application-default'" : hint))
                    }
                    ok = false
                }
                services = .ports(specs)
            }
        }
        let profiles = PolicyResolver.ruleProfiles(raw, profiles: document.profiles, space: profileSpace, r)
        guard ok, raw.isValid, let action = raw.action, let profiles else { return nil }
        return Rule(name: raw.name, description: raw.description, disabled: raw.disabled, fromZones: from, toZones: to,
                    source: source, destination: destination, applications: applications, services: services,
                    action: action, log: raw.log, file: r.sink.file, location: raw.location, profiles: profiles)
    }

    /// `tcp/443`, `udp/53,5353`, `tcp/8000-8080`, `sctp/any`, `icmp`.
    static func inlineService(_ text: String) -> PortSpec? {
        if text == "icmp" { return PortSpec(transport: .icmp, ports: []) }
        guard let slash = text.firstIndex(of: "/"),
              let transport = ServiceProtocol(rawValue: String(text[..<slash])), transport != .icmp else { return nil }
        let rest = text[text.index(after: slash)...]
        if rest == "any" { return PortSpec(transport: transport, ports: []) }
        var ports: [ClosedRange<UInt16>] = []
        for part in rest.split(separator: ",", omittingEmptySubsequences: false) {
            guard let p = PolicyLoader.parsePortRange(part.trimmingSpaces) else { return nil }
            ports.append(p)
        }
        return PortSpec(transport: transport, ports: ports)
    }
}
