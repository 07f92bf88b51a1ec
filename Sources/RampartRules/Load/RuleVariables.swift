/// The address and port variables a rule header may name (`$HOME_NET`, `$HTTP_PORTS`),
/// as suricata.yaml's `vars:` section defines them, and their resolution into sets.
///
/// Negation inside a group subtracts (`[10.0.0.0/8,!10.1.0.0/16]`); a group holding only
/// negations starts from `any`; `!any` and groups that leave nothing are refused, as
/// Suricata refuses them.
public struct RuleVariables: Sendable {
    public var addressGroups: [String: String]
    public var portGroups: [String: String]

    public init(addressGroups: [String: String] = [:], portGroups: [String: String] = [:]) {
        self.addressGroups = addressGroups
        self.portGroups = portGroups
    }

    /// Suricata 7's default suricata.yaml `vars:` section.
    public static let suricataDefaults = RuleVariables(
        addressGroups: [
            "HOME_NET": "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
            "EXTERNAL_NET": "!$HOME_NET",
            "HTTP_SERVERS": "$HOME_NET", "SMTP_SERVERS": "$HOME_NET", "SQL_SERVERS": "$HOME_NET",
            "DNS_SERVERS": "$HOME_NET", "TELNET_SERVERS": "$HOME_NET", "AIM_SERVERS": "$EXTERNAL_NET",
            "DC_SERVERS": "$HOME_NET", "DNP3_SERVER": "$HOME_NET", "DNP3_CLIENT": "$HOME_NET",
            "MODBUS_CLIENT": "$HOME_NET", "MODBUS_SERVER": "$HOME_NET", "ENIP_CLIENT": "$HOME_NET",
            "ENIP_SERVER": "$HOME_NET",
        ],
        portGroups: [
            "HTTP_PORTS": "80", "SHELLCODE_PORTS": "!80", "ORACLE_PORTS": "1521", "SSH_PORTS": "22",
            "DNP3_PORTS": "20000", "MODBUS_PORTS": "502", "FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
            "FTP_PORTS": "21", "GENEVE_PORTS": "6081", "VXLAN_PORTS": "4789", "TEREDO_PORTS": "3544",
        ])

    /// Reads a variables file: suricata.yaml's `vars:` layout, or just its two groups.
    ///
    /// ```yaml
    /// vars:
    ///   address-groups:
    ///     HOME_NET: "[10.0.0.0/8]"
    ///   port-groups:
    ///     HTTP_PORTS: "[80,8080]"
    /// ```
    /// Variables not in the file keep Suricata's defaults. Only this small subset of YAML is
    /// read (block maps, `KEY: VALUE` with plain or quoted values, `#` comments); other
    /// top-level sections of a suricata.yaml are skipped.
    public static func parse(yaml text: String, file: String) -> Result<RuleVariables, RuleProblem> {
        var vars = RuleVariables.suricataDefaults
        var path: [(indent: Int, key: String)] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let indent = line.prefix(while: { $0 == " " }).count
            var body = line.dropFirst(indent)
            if body.isEmpty || body.hasPrefix("#") || body.hasPrefix("%") || body.hasPrefix("---") || body.hasPrefix("- ") || body == "-" { continue }
            if let hash = body.firstRange(of: " #") { body = body[..<hash.lowerBound] }
            guard let colon = body.firstIndex(of: ":") else { continue }
            let key = String(body[..<colon]).trimmingBlanks
            var value = String(body[body.index(after: colon)...]).trimmingBlanks
            if value.count >= 2, let f = value.first, f == "\"" || f == "'", value.last == f {
                value = String(value.dropFirst().dropLast())
            }
            while let last = path.last, last.indent >= indent { path.removeLast() }
            let parents = path.map(\.key)
            if value.isEmpty {
                path.append((indent, key))
                continue
            }
            let group: String
            if parents == ["vars", "address-groups"] || parents == ["address-groups"] {
                group = "address-groups"
            } else if parents == ["vars", "port-groups"] || parents == ["port-groups"] {
                group = "port-groups"
            } else {
                continue
            }
            guard HeaderParser.isVariableName(key) else {
                return .failure(RuleProblem(.invalidValue, keyword: "vars", "'\(key)' is not a variable name (letters, digits and '_')", file: file, line: n + 1, column: indent + 1))
            }
            let check = group == "address-groups" ? HeaderParser.address(value).map { _ in () } : HeaderParser.port(value).map { _ in () }
            if case .failure(let e) = check {
                return .failure(RuleProblem(.invalidValue, keyword: "vars", "\(key): \(e)", file: file, line: n + 1, column: indent + 1))
            }
            if group == "address-groups" { vars.addressGroups[key] = value } else { vars.portGroups[key] = value }
        }
        return .success(vars)
    }

    public func resolve(_ spec: AddressSpec) -> Result<AddressSet, RuleProblem> {
        var cache: [String: AddressSet] = [:]
        return resolve(spec, depth: 0, cache: &cache)
    }

    public func resolve(_ spec: PortSpec) -> Result<PortSet, RuleProblem> { resolve(spec, depth: 0) }

    private func problem(_ name: String?, _ message: String) -> RuleProblem {
        RuleProblem(name == nil ? .header : .missing, keyword: name.map { "$\($0)" }, message)
    }

    func resolve(_ spec: AddressSpec, depth: Int, cache: inout [String: AddressSet]) -> Result<AddressSet, RuleProblem> {
        guard depth < 64 else { return .failure(problem(nil, "address variables refer to each other in a loop")) }
        switch spec {
        case .any: return .success(.any)
        case .block(let b): return .success(AddressSet(blocks: [b]))
        case .variable(let name):
            if let c = cache[name] { return .success(c) }
            guard let text = addressGroups[name] else {
                if portGroups[name] != nil { return .failure(problem(name, "$\(name) is a port variable, used as an address")) }
                return .failure(problem(name, "address variable $\(name) is not defined (give it in --vars)"))
            }
            guard case .success(let inner) = HeaderParser.address(text) else {
                return .failure(RuleProblem(.header, keyword: "$\(name)", "the value of $\(name) is not an address list: \(text)"))
            }
            let r = resolve(inner, depth: depth + 1, cache: &cache)
            if case .success(let s) = r { cache[name] = s }
            return r
        case .negated(let inner):
            if inner == .any { return .failure(problem(nil, "'!any' matches no address")) }
            return resolve(inner, depth: depth + 1, cache: &cache).flatMap { s in
                let c = s.complement
                return c.isEmpty ? .failure(problem(nil, "'\(spec)' matches no address")) : .success(c)
            }
        case .group(let items):
            var positive: AddressSet?
            var negative = AddressSet(blocks: [])
            for item in items {
                if case .negated(let inner) = item {
                    if inner == .any { return .failure(problem(nil, "'!any' matches no address")) }
                    switch resolve(inner, depth: depth + 1, cache: &cache) {
                    case .success(let s): negative = negative.union(s)
                    case .failure(let e): return .failure(e)
                    }
                } else {
                    switch resolve(item, depth: depth + 1, cache: &cache) {
                    case .success(let s): positive = (positive ?? AddressSet(blocks: [])).union(s)
                    case .failure(let e): return .failure(e)
                    }
                }
            }
            let result = (positive ?? .any).subtracting(negative)
            return result.isEmpty ? .failure(problem(nil, "'\(spec)' matches no address")) : .success(result)
        }
    }

    func resolve(_ spec: PortSpec, depth: Int) -> Result<PortSet, RuleProblem> {
        guard depth < 64 else { return .failure(problem(nil, "port variables refer to each other in a loop")) }
        switch spec {
        case .any: return .success(.any)
        case .range(let r): return .success(PortSet(ranges: [r]))
        case .variable(let name):
            guard let text = portGroups[name] else {
                if addressGroups[name] != nil { return .failure(problem(name, "$\(name) is an address variable, used as a port")) }
                return .failure(problem(name, "port variable $\(name) is not defined (give it in --vars)"))
            }
            guard case .success(let inner) = HeaderParser.port(text) else {
                return .failure(RuleProblem(.header, keyword: "$\(name)", "the value of $\(name) is not a port list: \(text)"))
            }
            return resolve(inner, depth: depth + 1)
        case .negated(let inner):
            if inner == .any { return .failure(problem(nil, "'!any' matches no port")) }
            return resolve(inner, depth: depth + 1).flatMap { s in
                let c = s.complement
                return c.isEmpty ? .failure(problem(nil, "'\(spec)' matches no port")) : .success(c)
            }
        case .group(let items):
            var positive: PortSet?
            var negative = PortSet(ranges: [])
            for item in items {
                if case .negated(let inner) = item {
                    if inner == .any { return .failure(problem(nil, "'!any' matches no port")) }
                    switch resolve(inner, depth: depth + 1) {
                    case .success(let s): negative = negative.union(s)
                    case .failure(let e): return .failure(e)
                    }
                } else {
                    switch resolve(item, depth: depth + 1) {
                    case .success(let s): positive = (positive ?? PortSet(ranges: [])).union(s)
                    case .failure(let e): return .failure(e)
                    }
                }
            }
            let result = (positive ?? .any).subtracting(negative)
            return result.isEmpty ? .failure(problem(nil, "'\(spec)' matches no port")) : .success(result)
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingBlanks: String {
        let u = utf8
        var lo = u.startIndex, hi = u.endIndex
        while lo < hi, u[lo] == 0x20 || u[lo] == 0x09 { lo = u.index(after: lo) }
        while hi > lo, u[u.index(before: hi)] == 0x20 || u[u.index(before: hi)] == 0x09 { hi = u.index(before: hi) }
        if lo == u.startIndex && hi == u.endIndex { return self }
        return String(self[lo..<hi])
    }
}
