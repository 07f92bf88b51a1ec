import RampartConfig
import RampartWire

/// Reads policy files: YAML documents of kind `SecurityPolicy` (and `AddressTags`).
///
/// Every problem is collected with its file:line:column; nothing traps on any input.
///
/// ```swift
/// do {
///     let doc = try PolicyLoader.load(yaml: text, file: "policy.yaml")
///     let matcher = try PolicyMatcher(doc, tags: doc.addressTags)
/// } catch {
///     print(error)   // policy.yaml:14:9: undefined zone 'trst'; did you mean 'trust'?
/// }
/// ```
public struct PolicyLoader {
    public static let apiVersion = "rampart.io/v1"
    public static let kinds = ["SecurityPolicy", "AddressTags"]
    public static let maximumRules = 100_000
    public static let maximumZones = 1_000
    /// Zones with `vni` or `nodes` (tunnel zones): the matcher keeps them in one 64-bit mask.
    public static let maximumTunnelZones = 64
    public static let maximumObjects = 200_000

    public static func load(yaml: String, file: String) throws(PolicyErrors) -> PolicyDocument {
        try load(documents: YAMLReader.documents(in: yaml, file: file), file: file)
    }

    /// Reads documents already parsed from `file`, keeping their positions: a file that also
    /// holds documents of other kinds (the firewall's `FirewallConfiguration`) hands over the
    /// rest, and names its own kinds in `otherKinds` so a misspelt kind is matched against
    /// them too.
    ///
    /// ```swift
    /// let documents = try YAMLReader.documents(in: text, file: "fw.yaml")
    /// let policy = try PolicyLoader.load(documents: documents.filter { $0.scalar(forKey: "kind") != "FirewallConfiguration" },
    ///                                    file: "fw.yaml", otherKinds: ["FirewallConfiguration"])
    /// ```
    public static func load(documents docs: [YAMLNode], file: String, otherKinds: [String] = []) throws(PolicyErrors) -> PolicyDocument {
        let reader = FieldReader(file: file)
        var raw = RawPolicy()
        var policies = 0
        var kinds = 0
        for doc in docs where !doc.isNull {
            kinds += 1
            guard let (kind, spec) = readHeader(doc, reader: reader, otherKinds: otherKinds) else { continue }
            switch kind {
            case "SecurityPolicy":
                policies += 1
                readSecurityPolicy(spec, reader: reader, into: &raw)
            case "AddressTags": raw.tags += TagFile.readSpec(spec, reader: reader)
            default: break
            }
        }
        // Fail closed: a file without a policy (empty, only comments, only tags) is not a
        // policy that allows everything. Documents with errors of their own already say so.
        if policies == 0 && reader.sink.isEmpty {
            reader.error(SourceLocation(line: 1, column: 1), missingPolicyMessage(documents: kinds))
        }
        var resolver = PolicyResolver(raw: raw, reader: reader)
        var document = resolver.resolve()
        if !reader.sink.isEmpty { throw PolicyErrors(reader.sink.sorted()) }
        document.securityPolicyDocuments = policies
        document.file = file
        document.defaultsLocation = raw.defaultsLocation
        return document
    }

    /// How the error about a file without a `SecurityPolicy` document begins.
    public static let missingPolicyPrefix = "no policy:"

    /// What to say about a file with no `SecurityPolicy` document.
    static func missingPolicyMessage(documents: Int) -> String {
        (documents == 0 ? "\(missingPolicyPrefix) the file is empty or holds only comments"
            : "\(missingPolicyPrefix) the file holds no document of kind SecurityPolicy")
            + "; Rampart refuses to run without one (nothing would be decided). Add a document"
            + " 'apiVersion: rampart.io/v1', 'kind: SecurityPolicy', 'metadata: {name: NAME}',"
            + " 'spec: {rules: []}' (no rules: traffic within a zone is allowed, between zones denied;"
            + " see docs/policy.md)"
    }

    /// Checks apiVersion, kind and metadata; returns the kind and the spec.
    static func readHeader(_ doc: YAMLNode, reader: FieldReader, only: String? = nil, otherKinds: [String] = []) -> (String, YAMLNode)? {
        guard let f = reader.fields(doc, "a document", allowed: ["apiVersion", "kind", "metadata", "spec"],
                                    required: ["apiVersion", "kind", "spec"]) else { return nil }
        // A wrong apiVersion is reported, and the spec is still checked so every error shows at once.
        if let v = f["apiVersion"], let s = reader.string(v, "apiVersion"), s != apiVersion {
            reader.error(v.location, "apiVersion must be '\(apiVersion)', found '\(s.prefix(80))'")
        }
        var kind: String?
        if let k = f["kind"], let s = reader.string(k, "kind") {
            let allowed = only.map { [$0] } ?? kinds
            if allowed.contains(s) {
                kind = s
            } else {
                let expected = allowed + otherKinds
                let list = expected.count > 2 ? expected.dropLast().joined(separator: ", ") + " or " + expected.last! : expected.joined(separator: " or ")
                reader.error(k.location, "unknown kind '\(s.prefix(80))'; expected \(list)"
                    + (DidYouMean.suggestion(for: s, among: expected).map { "; did you mean '\($0)'?" } ?? ""))
            }
        }
        if let m = f["metadata"], let mf = reader.fields(m, "metadata", allowed: ["name", "namespace", "labels", "annotations"]) {
            if let n = mf["name"] { _ = reader.string(n, "metadata.name") }
            if let n = mf["namespace"] { _ = reader.string(n, "metadata.namespace") }
            for key in ["labels", "annotations"] {
                if let l = mf[key], case .mapping(let pairs, _) = l {
                    for (_, v) in pairs { _ = reader.string(v, "metadata.\(key) value") }
                } else if let l = mf[key] {
                    reader.error(l.location, "metadata.\(key) must be a mapping, found \(l.kindName)")
                }
            }
        }
        guard let kind, let spec = f["spec"] else { return nil }
        return (kind, spec)
    }

    static let specFields = ["zones", "addresses", "addressGroups", "services", "applicationGroups", "rules", "defaults"] + profileFields

    static func readSecurityPolicy(_ spec: YAMLNode, reader r: FieldReader, into raw: inout RawPolicy) {
        guard let f = r.fields(spec, "spec", allowed: specFields) else { return }
        if let z = f["zones"], let items = r.list(z, "zones", limit: maximumZones) {
            for item in items { if let zone = readZone(item, r) { raw.zones.append(zone) } }
        }
        if let a = f["addresses"], let items = r.list(a, "addresses", limit: maximumObjects) {
            for item in items {
                guard let af = r.fields(item, "an address", allowed: ["name", "description", "address"], required: ["name", "address"]),
                      let nn = af["name"], let name = r.name(nn, "address name") else { continue }
                if let d = af["description"] { _ = r.string(d, "description") }
                guard let v = af["address"], let range = readRange(v, r) else { continue }
                raw.addresses.append(RawNamed(name: name, location: nn.location, value: range))
            }
        }
        if let g = f["addressGroups"], let items = r.list(g, "addressGroups", limit: maximumObjects) {
            for item in items { if let group = readGroup(item, r) { raw.groups.append(group) } }
        }
        if let s = f["services"], let items = r.list(s, "services", limit: maximumObjects) {
            for item in items { if let svc = readService(item, r) { raw.services.append(svc) } }
        }
        if let a = f["applicationGroups"], let items = r.list(a, "applicationGroups", limit: maximumObjects) {
            for item in items {
                guard let af = r.fields(item, "an application group", allowed: ["name", "description", "applications"],
                                        required: ["name", "applications"]),
                      let nn = af["name"], let name = r.name(nn, "application group name") else { continue }
                if let d = af["description"] { _ = r.string(d, "description") }
                guard let v = af["applications"], let apps = r.strings(v, "applications") else { continue }
                raw.applicationGroups.append(RawNamed(name: name, location: nn.location,
                                                      value: apps.map { ($0.0, $0.1.location) }))
            }
        }
        readProfiles(f, reader: r, into: &raw)
        if let rl = f["rules"], let items = r.list(rl, "rules", limit: maximumRules) {
            if raw.rules.count + items.count > maximumRules {
                r.error(rl.location, "more than \(maximumRules) rules")
            } else {
                for item in items { if let rule = readRule(item, r) { raw.rules.append(rule) } }
            }
        }
        if let d = f["defaults"] {
            if let earlier = raw.defaultsLocation {
                r.error(d.location, "defaults are given twice; first at \(earlier)")
            } else {
                raw.defaultsLocation = d.location
                readDefaults(d, r, into: &raw)
            }
        }
    }

    static func readRange(_ node: YAMLNode, _ r: FieldReader) -> [AddressRange]? {
        guard let s = r.string(node, "address") else { return nil }
        switch AddressRange.parse(s) {
        case .success(let range): return range.withinFamily
        case .failure(let e):
            r.error(node.location, "bad address: \(e.message); expected an IP address, a CIDR (10.0.0.0/8) or a range (10.0.0.5-10.0.0.20)")
            return nil
        }
    }

    static func readZone(_ node: YAMLNode, _ r: FieldReader) -> RawZone? {
        guard let f = r.fields(node, "a zone", allowed: ["name", "description", "networks", "tags", "vni", "nodes"], required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "zone name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var zone = RawZone(name: name, location: nn.location)
        if let n = f["networks"], let items = r.strings(n, "networks") {
            for (_, item) in items { if let ranges = readRange(item, r) { zone.networks += ranges } }
        }
        if let t = f["tags"] { zone.tags = r.tagExpression(t, "zone '\(name)'") }
        if let v = f["vni"], let items = r.list(v, "vni", scalarAllowed: true, limit: 4096) {
            for item in items { if let n = r.integer(item, "a VNI", in: 0...0xFF_FFFF) { zone.vni.append(UInt32(n)) } }
            if items.isEmpty { r.error(v.location, "zone '\(name)' has an empty vni list; give at least one VNI or leave vni out") }
        }
        if let n = f["nodes"], let items = r.strings(n, "nodes") {
            for (_, item) in items { if let ranges = readRange(item, r) { zone.nodes += ranges } }
            if items.isEmpty { r.error(n.location, "zone '\(name)' has an empty nodes list; give at least one node address or leave nodes out") }
        }
        zone.tunnelLocation = f["vni"]?.location ?? f["nodes"]?.location
        zone.isEmpty = f["networks"] == nil && f["tags"] == nil && f["vni"] == nil && f["nodes"] == nil
        return zone
    }

    static func readGroup(_ node: YAMLNode, _ r: FieldReader) -> RawGroup? {
        guard let f = r.fields(node, "an address group", allowed: ["name", "description", "match", "members"], required: ["name"]),
              let nn = f["name"], let name = r.name(nn, "address group name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        var group = RawGroup(name: name, location: nn.location)
        switch (f["match"], f["members"]) {
        case (nil, nil):
            r.error(node.location, "address group '\(name)' needs 'match' (a tag expression) or 'members' (a list)")
            return nil
        case (.some(let m), .some):
            r.error(m.location, "address group '\(name)' has both 'match' and 'members'; give one")
            return nil
        case (.some(let m), nil):
            guard let e = r.tagExpression(m, "address group '\(name)'") else { return nil }
            group.match = e
        case (nil, .some(let m)):
            guard let items = r.strings(m, "members", scalarAllowed: false) else { return nil }
            group.members = items.map { ($0.0, $0.1.location) }
        }
        return group
    }

    static func readService(_ node: YAMLNode, _ r: FieldReader) -> RawNamed<PortSpec>? {
        guard let f = r.fields(node, "a service", allowed: ["name", "description", "protocol", "ports"], required: ["name", "protocol"]),
              let nn = f["name"], let name = r.name(nn, "service name") else { return nil }
        if let d = f["description"] { _ = r.string(d, "description") }
        guard let pn = f["protocol"], let ps = r.string(pn, "protocol") else { return nil }
        guard let transport = ServiceProtocol(rawValue: ps) else {
            r.error(pn.location, "unknown protocol '\(ps.prefix(40))'; expected tcp, udp, sctp or icmp")
            return nil
        }
        var spec = PortSpec(transport: transport, ports: [])
        if let p = f["ports"] {
            if transport == .icmp {
                r.error(p.location, "service '\(name)' is icmp, which has no ports; remove 'ports'")
                return nil
            }
            guard let items = r.list(p, "ports", scalarAllowed: true, limit: 10_000) else { return nil }
            for item in items {
                guard let ranges = readPorts(item, r) else { return nil }
                spec.ports += ranges
            }
        } else if transport != .icmp {
            r.error(node.location, "service '\(name)' is missing the required field 'ports' (use 0-65535 for every port)")
            return nil
        }
        return RawNamed(name: name, location: nn.location, value: spec)
    }

    /// `80`, `"8000-8080"`, or `"80,443"`.
    static func readPorts(_ node: YAMLNode, _ r: FieldReader) -> [ClosedRange<UInt16>]? {
        guard case .scalar(let s, _, _) = node, !node.isNull else {
            r.error(node.location, "a port must be a number or a range like 8000-8080, found \(node.kindName)")
            return nil
        }
        var out: [ClosedRange<UInt16>] = []
        for part in s.split(separator: ",", omittingEmptySubsequences: false) {
            let t = part.trimmingSpaces
            guard let range = parsePortRange(t) else {
                r.error(node.location, "bad port '\(t.prefix(40))'; expected a number 0-65535 or a range like 8000-8080")
                return nil
            }
            out.append(range)
        }
        return out
    }

    static func parsePortRange(_ t: Substring) -> ClosedRange<UInt16>? {
        func num(_ x: Substring) -> UInt16? {
            guard !x.isEmpty, x.count <= 5, x.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(x), v <= 65535 else { return nil }
            return UInt16(v)
        }
        if let dash = t.firstIndex(of: "-") {
            guard let a = num(t[..<dash]), let b = num(t[t.index(after: dash)...]), a <= b else { return nil }
            return a...b
        }
        guard let a = num(t) else { return nil }
        return a...a
    }

    static let ruleFields = ["name", "description", "disabled", "from", "to", "source", "destination",
                             "negateSource", "negateDestination", "applications", "services", "action", "log", "profiles"]

    static func readRule(_ node: YAMLNode, _ r: FieldReader) -> RawRule? {
        guard let f = r.fields(node, "a rule", allowed: ruleFields, required: ["name", "action"]),
              let nn = f["name"], let name = r.name(nn, "rule name") else { return nil }
        let errorsBefore = r.sink.errors.count
        var rule = RawRule(name: name, location: node.location, nameLocation: nn.location)
        var ok = true
        if let d = f["description"] { rule.description = r.string(d, "description") ?? "" }
        if let d = f["disabled"] { rule.disabled = r.bool(d, "disabled") ?? false }
        func refs(_ key: String) -> [(String, SourceLocation)]? {
            guard let n = f[key] else { return nil }
            guard let items = r.strings(n, key, limit: 10_000) else { ok = false; return nil }
            if items.isEmpty { r.error(n.location, "'\(key)' is an empty list; write 'any' to match everything"); ok = false }
            return items.map { ($0.0, $0.1.location) }
        }
        rule.from = refs("from")
        rule.to = refs("to")
        rule.source = refs("source")
        rule.destination = refs("destination")
        rule.applications = refs("applications")
        rule.services = refs("services")
        if let n = f["negateSource"] { rule.negateSource = r.bool(n, "negateSource") ?? false; rule.negateSourceLocation = n.location }
        if let n = f["negateDestination"] { rule.negateDestination = r.bool(n, "negateDestination") ?? false; rule.negateDestinationLocation = n.location }
        if let a = f["action"] {
            rule.action = readAction(a, r)
            if rule.action == nil { ok = false }
        }
        if let l = f["log"] { rule.log = readLog(l, r, default: LogSetting()) }
        if let p = f["profiles"] {
            rule.profilesLocation = p.location
            if let items = r.strings(p, "profiles", limit: 16) { rule.profiles = items.map { ($0.0, $0.1.location) } } else { ok = false }
        }
        // A rule with errors is kept (marked) so its name still counts for duplicates and its
        // references are still checked.
        rule.isValid = ok && r.sink.errors.count == errorsBefore
        return rule
    }

    static func readAction(_ node: YAMLNode, _ r: FieldReader) -> RuleAction? {
        guard let s = r.string(node, "action") else { return nil }
        if let a = RuleAction(name: s) { return a }
        let names = RuleAction.allCases.map(\.name)
        r.error(node.location, "unknown action '\(s.prefix(40))'; expected one of \(names.joined(separator: ", "))"
            + DidYouMean.hint(for: s, among: names))
        return nil
    }

    static func readLog(_ node: YAMLNode, _ r: FieldReader, default d: LogSetting) -> LogSetting {
        guard let f = r.fields(node, "log", allowed: ["start", "end"]) else { return d }
        var log = d
        if let s = f["start"], let v = r.bool(s, "log.start") { log.atStart = v }
        if let e = f["end"], let v = r.bool(e, "log.end") { log.atEnd = v }
        return log
    }

    static func readDefaults(_ node: YAMLNode, _ r: FieldReader, into raw: inout RawPolicy) {
        guard let f = r.fields(node, "defaults", allowed: ["zone", "intrazone", "interzone"]) else { return }
        if let z = f["zone"], let name = r.string(z, "defaults.zone") { raw.defaultZone = (name, z.location) }
        for key in ["intrazone", "interzone"] {
            guard let n = f[key], let df = r.fields(n, "defaults.\(key)", allowed: ["action", "log"]) else { continue }
            var rule = key == "intrazone" ? raw.intrazone : raw.interzone
            if let a = df["action"], let action = readAction(a, r) { rule.action = action }
            if let l = df["log"] { rule.log = readLog(l, r, default: rule.log) }
            if key == "intrazone" { raw.intrazone = rule } else { raw.interzone = rule }
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

// What the reading pass collects before references are resolved.
struct RawNamed<Value> {
    var name: String
    var location: SourceLocation
    var value: Value
}

struct RawZone {
    var name: String
    var location: SourceLocation
    var networks: [AddressRange] = []
    var tags: TagExpression?
    var vni: [UInt32] = []
    var nodes: [AddressRange] = []
    /// Where `vni` or `nodes` is written, when either is.
    var tunnelLocation: SourceLocation?
    var isEmpty = false
}

struct RawGroup {
    var name: String
    var location: SourceLocation
    var match: TagExpression?
    var members: [(String, SourceLocation)] = []
}

struct RawRule {
    var name: String
    var location: SourceLocation
    var nameLocation: SourceLocation
    var description = ""
    var disabled = false
    var from: [(String, SourceLocation)]?
    var to: [(String, SourceLocation)]?
    var source: [(String, SourceLocation)]?
    var destination: [(String, SourceLocation)]?
    var negateSource = false
    var negateSourceLocation: SourceLocation?
    var negateDestination = false
    var negateDestinationLocation: SourceLocation?
    var applications: [(String, SourceLocation)]?
    var services: [(String, SourceLocation)]?
    var action: RuleAction?
    var log = LogSetting()
    /// Profile and profile group names, as written.
    var profiles: [(String, SourceLocation)] = []
    var profilesLocation: SourceLocation?
    var isValid = true
}

struct RawPolicy {
    var zones: [RawZone] = []
    var addresses: [RawNamed<[AddressRange]>] = []
    var groups: [RawGroup] = []
    var services: [RawNamed<PortSpec>] = []
    var applicationGroups: [RawNamed<[(String, SourceLocation)]>] = []
    var rules: [RawRule] = []
    var defaultZone: (String, SourceLocation)?
    var defaultsLocation: SourceLocation?
    var intrazone = DefaultRule(name: "intrazone-default", action: .allow, log: LogSetting())
    var interzone = DefaultRule(name: "interzone-default", action: .deny, log: LogSetting())
    var tags: [(IPAddress, [Tag])] = []
    var threatProfiles: [RawNamed<ThreatProfile>] = []
    var fileProfiles: [RawNamed<FileBlockingProfile>] = []
    var dnsProfiles: [RawNamed<DNSSecurityProfile>] = []
    var urlProfiles: [RawNamed<URLFilteringProfile>] = []
    var aiProfiles: [RawNamed<AISecurityProfile>] = []
    var profileGroups: [RawNamed<[(String, SourceLocation)]>] = []
}
