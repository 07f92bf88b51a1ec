import RampartWire
@testable import RampartPolicy
import RampartTestSupport

/// The policy's meaning written as plainly as possible: rules tried one by one. The
/// compiled matcher must agree with it on every query.
struct ReferenceEvaluator {
    let document: PolicyDocument
    var tags: [IPAddress: Set<RampartPolicy.Tag>]

    func zone(of a: IPAddress) -> Int {
        let t = tags[a] ?? []
        for (i, z) in document.zones.enumerated() {
            if z.networks.contains(where: { $0.contains(a) }) { return i }
            if let e = z.tags, e.evaluate({ t.contains($0) }) { return i }
        }
        return document.defaultZone
    }

    func defaultHolds(_ app: ApplicationID, _ proto: UInt8, _ port: UInt16) -> Bool {
        ApplicationCatalog.defaultPorts(of: app).contains { d in
            d.transport.includes(proto) && (d.ports.isEmpty || d.ports.contains { $0.contains(port) })
        }
    }

    func decide(_ q: PolicyQuery) -> PolicyDecision {
        let sz = zone(of: q.source), dz = zone(of: q.destination)
        let st = tags[q.source] ?? [], dt = tags[q.destination] ?? []
        let proto = q.ipProtocol.rawValue, port = q.destinationPort
        for (i, r) in document.rules.enumerated() where !r.disabled {
            guard r.fromZones?.contains(sz) ?? true, r.toZones?.contains(dz) ?? true,
                  r.source.matches(q.source, tags: st), r.destination.matches(q.destination, tags: dt) else { continue }
            let candidateApps = r.applications ?? (0..<ApplicationCatalog.count).map { ApplicationID(rawValue: UInt16($0)) }
            switch r.services {
            case .any: break
            case .ports(let specs): if !specs.contains(where: { $0.matches(ipProtocol: proto, port: port) }) { continue }
            case .applicationDefault:
                if let app = q.application {
                    if !defaultHolds(app, proto, port) { continue }
                } else if !candidateApps.contains(where: { defaultHolds($0, proto, port) }) {
                    continue
                }
            }
            if let app = q.application {
                if let apps = r.applications, !apps.contains(app) { continue }
                return PolicyDecision(ruleIndex: Int32(i), action: r.action, isFinal: true, logAtStart: r.log.atStart, logAtEnd: r.log.atEnd)
            }
            if r.applications == nil && r.services != .applicationDefault {
                return PolicyDecision(ruleIndex: Int32(i), action: r.action, isFinal: true, logAtStart: r.log.atStart, logAtEnd: r.log.atEnd)
            }
            return PolicyDecision(ruleIndex: Int32(i), action: .allow, isFinal: false, logAtStart: false, logAtEnd: r.log.atEnd)
        }
        // The implicit zone holds addresses without a zone: never intrazone.
        let intra = sz == dz && sz != document.implicitZone
        let d = intra ? document.intrazone : document.interzone
        let index = document.rules.count + (intra ? 0 : 1)
        return PolicyDecision(ruleIndex: Int32(index), action: d.action, isFinal: true, logAtStart: d.log.atStart, logAtEnd: d.log.atEnd)
    }
}

/// Builds random but valid policies (as YAML text, so the loader is exercised too) and
/// random queries over a small universe of addresses, tags, ports and applications.
struct RandomPolicy {
    var rng: SeededRandom

    static let tagPool = ["cluster:prod", "cluster:dev", "ns:a", "ns:b", "ns:c", "label:app=web", "label:app=db",
                          "label:tier=front", "node:n1", "node:n2", "team:x"]
    static let addressPool: [String] = {
        var out: [String] = []
        for a in ["10.0.0.1", "10.0.0.2", "10.0.0.9", "10.0.1.5", "10.0.3.200", "10.1.0.1", "10.1.255.255", "10.2.0.0",
                  "192.168.1.1", "192.168.1.77", "172.16.5.5", "8.8.8.8", "0.0.0.0", "255.255.255.255",
                  "fd00::1", "fd00::2", "fd00::ff", "fd00:1::1", "2001:db8::5", "::", "::1"] { out.append(a) }
        return out
    }()
    static let cidrPool = ["10.0.0.0/24", "10.0.0.0/16", "10.0.0.0/8", "10.0.1.0/24", "10.1.0.0/16", "192.168.1.0/24",
                           "10.0.0.1", "10.0.0.2-10.0.1.10", "10.0.0.5-10.0.0.9", "fd00::/64", "fd00::/16", "fd00::1",
                           "fd00::1-fd00::ff", "2001:db8::/32", "0.0.0.0/0", "::/0", "172.16.0.0/12"]
    static let servicePool = ["tcp/80", "tcp/443", "udp/53", "tcp/8000-8100", "tcp/22,80", "icmp", "sctp/any", "udp/1-1000", "tcp/5432"]
    static let appPool = ["http", "ssl", "dns", "ssh", "postgresql", "mysql", "ping", "grpc", "http2", "unknown-tcp",
                          "category:database", "category:web", "openai-api"]

    mutating func pick<T>(_ a: [T]) -> T { a[Int.random(in: 0..<a.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func expression(depth: Int = 0) -> String {
        let roll = Int.random(in: 0..<10, using: &rng)
        if depth > 2 || roll < 4 { return pick(RandomPolicy.tagPool) }
        if roll < 6 { return "not " + expression(depth: depth + 1) }
        let op = chance(0.5) ? "and" : "or"
        return "(\(expression(depth: depth + 1)) \(op) \(expression(depth: depth + 1)))"
    }

    mutating func satisfiableExpression() -> String {
        while true {
            let e = expression()
            if let parsed = try? TagExpression.parse(e), parsed.isSatisfiable { return e }
        }
    }

    mutating func list(_ items: [String]) -> String { "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]" }

    mutating func yaml(ruleCount: Int) -> String {
        var s = "  zones:\n"
        s += "    - name: z-net\n      networks: [10.0.0.0/16, fd00::/64]\n"
        s += "    - name: z-tag\n      tags: '\(satisfiableExpression())'\n"
        s += "    - name: z-both\n      networks: [192.168.0.0/16]\n      tags: 'ns:c'\n"
        s += "    - name: z-default\n"
        s += "  addresses:\n"
        for k in 0..<4 { s += "    - name: a\(k)\n      address: '\(pick(RandomPolicy.cidrPool))'\n" }
        s += "  addressGroups:\n"
        for k in 0..<5 { s += "    - name: g\(k)\n      match: '\(satisfiableExpression())'\n" }
        s += "    - name: s0\n      members: [a0, a1, g0, '\(pick(RandomPolicy.cidrPool))']\n"
        s += "    - name: s1\n      members: [s0, g1]\n"
        let zones = ["z-net", "z-tag", "z-both", "z-default"]
        let addressRefs = ["a0", "a1", "a2", "a3", "g0", "g1", "g2", "g3", "g4", "s0", "s1"]
        s += "  rules:\n"
        for i in 0..<ruleCount {
            s += "    - name: r\(i)\n"
            if chance(0.1) { s += "      disabled: true\n" }
            if chance(0.5) { s += "      from: \(list((0..<Int.random(in: 1...2, using: &rng)).map { _ in pick(zones) }))\n" }
            if chance(0.5) { s += "      to: \(list((0..<Int.random(in: 1...2, using: &rng)).map { _ in pick(zones) }))\n" }
            for key in ["source", "destination"] where chance(0.6) {
                let items = (0..<Int.random(in: 1...3, using: &rng)).map { _ in chance(0.5) ? pick(addressRefs) : pick(RandomPolicy.cidrPool) }
                s += "      \(key): \(list(items))\n"
                if chance(0.15) { s += "      negate\(key == "source" ? "Source" : "Destination"): true\n" }
            }
            if chance(0.5) { s += "      applications: \(list((0..<Int.random(in: 1...3, using: &rng)).map { _ in pick(RandomPolicy.appPool) }))\n" }
            let sv = Int.random(in: 0..<10, using: &rng)
            if sv < 3 { s += "      services: [application-default]\n" } else if sv < 7 {
                s += "      services: \(list((0..<Int.random(in: 1...2, using: &rng)).map { _ in pick(RandomPolicy.servicePool) }))\n"
            }
            s += "      action: \(pick(RuleAction.allCases).name)\n"
            if chance(0.3) { s += "      log: {start: \(chance(0.5)), end: \(chance(0.5))}\n" }
        }
        s += "  defaults:\n    zone: z-default\n    intrazone: {action: \(pick(RuleAction.allCases).name), log: {start: true}}\n"
        s += "    interzone: {action: \(pick(RuleAction.allCases).name)}\n"
        return Fixture.policy(s)
    }

    mutating func tagSet() -> [RampartPolicy.Tag] {
        var out = Set<String>()
        for _ in 0..<Int.random(in: 0...4, using: &rng) { out.insert(pick(RandomPolicy.tagPool)) }
        return out.sorted().map(Fixture.tag)
    }

    mutating func query() -> PolicyQuery {
        let protos: [UInt8] = [6, 6, 17, 17, 1, 58, 132, 47]
        let ports: [UInt16] = [0, 22, 53, 80, 81, 443, 5432, 8050, 8100, 8101, 1000, 1001, 65535]
        var app: ApplicationID?
        let r = Int.random(in: 0..<10, using: &rng)
        if r < 6 { app = ApplicationID(rawValue: UInt16.random(in: 0..<UInt16(ApplicationCatalog.count), using: &rng)) } else if r < 7 {
            app = ApplicationID(rawValue: 500)
        }
        return PolicyQuery(source: Fixture.ip(pick(RandomPolicy.addressPool)), destination: Fixture.ip(pick(RandomPolicy.addressPool)),
                           ipProtocol: IPProtocol(rawValue: pick(protos)), destinationPort: pick(ports), application: app)
    }
}
