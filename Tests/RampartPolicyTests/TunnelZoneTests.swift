import Testing
import RampartWire
@testable import RampartPolicy

/// Zones with `vni` (the tunnel's cluster id) and `nodes` (the sending node's address).
@Suite("Tunnel zones")
struct TunnelZoneTests {
    static let policy = Fixture.policy("""
          zones:
            - name: outside
            - name: web-a
              networks: [10.244.0.0/16]
              vni: [7]
            - name: cluster-b
              vni: [8, 9]
            - name: from-node-1
              nodes: [192.168.1.10, 192.168.2.0/24]
            - name: shop-a
              tags: ns:shop
              vni: 7
            - name: pods
              networks: [10.0.0.0/8]
          rules:
            - {name: a-web-to-pods, from: [web-a], to: [pods], services: [tcp/80], action: allow}
            - {name: b-inside, from: [cluster-b], to: [cluster-b], action: drop}
            - {name: node-1, from: [from-node-1], action: reset-both}
            - {name: shop-to-pods, from: [shop-a], to: [pods], action: allow}
          defaults:
            zone: outside
            intrazone: {action: deny}
        """)

    static func query(_ s: String, _ d: String, port: UInt16 = 80, vni: UInt32 = 0, node: String? = nil) -> PolicyQuery {
        PolicyQuery(source: Fixture.ip(s), destination: Fixture.ip(d), ipProtocol: .tcp, destinationPort: port,
                    tunnelVNI: vni, tunnelSource: node.map(Fixture.ip))
    }

    func matcher() throws -> PolicyMatcher {
        try PolicyMatcher(Fixture.load(Self.policy), tags: [(Fixture.ip("10.5.5.5"), [Fixture.tag("ns:shop")])])
    }

    func rule(_ m: PolicyMatcher, _ q: PolicyQuery) -> String {
        let cached = m.decide(q)
        #expect(cached == m.decideUncached(q), "cache and scan disagree for \(q)")
        return m.rules[Int(cached.ruleIndex)].name
    }

    @Test func zonesFollowTheTunnelsVNIAndNode() throws {
        let m = try matcher()
        func zone(_ a: String, vni: UInt32, node: String?) -> String {
            m.zoneName(m.zone(of: Fixture.ip(a), tunnelVNI: vni, tunnelSource: node.map(Fixture.ip)))
        }
        let node = "192.168.9.9"
        #expect(zone("10.244.1.1", vni: 7, node: node) == "web-a")
        #expect(zone("10.244.1.1", vni: 0, node: nil) == "pods")      // not tunnelled: no tunnel zone
        #expect(zone("10.244.1.1", vni: 3, node: node) == "pods")
        #expect(zone("10.1.1.1", vni: 7, node: node) == "pods")        // outside web-a's networks
        #expect(zone("10.1.1.1", vni: 8, node: node) == "cluster-b")   // no address criteria: every address
        #expect(zone("8.8.8.8", vni: 9, node: node) == "cluster-b")    // the defaults.zone counts as last
        #expect(zone("8.8.8.8", vni: 3, node: node) == "outside")
        #expect(zone("8.8.8.8", vni: 3, node: "192.168.1.10") == "from-node-1")
        #expect(zone("8.8.8.8", vni: 3, node: "192.168.2.77") == "from-node-1")
        #expect(zone("10.244.1.1", vni: 7, node: "192.168.1.10") == "web-a")   // first zone in order wins
        #expect(zone("10.5.5.5", vni: 7, node: node) == "shop-a")      // by tag, in VNI 7 only
        #expect(zone("10.5.5.5", vni: 3, node: node) == "pods")
        #expect(m.zoneName(m.zone(of: Fixture.ip("10.244.1.1"))) == "pods")
    }

    @Test func rulesSeeTunnelZonesAndCachedAnswersStayApart() throws {
        let m = try matcher()
        let node = "192.168.9.9"
        // The same addresses, asked in turn through different tunnels: each answer cached apart.
        for _ in 0 ..< 3 {
            #expect(rule(m, Self.query("10.244.1.1", "10.1.1.1", vni: 7, node: node)) == "a-web-to-pods")
            #expect(rule(m, Self.query("10.244.1.1", "10.1.1.1")) == "intrazone-default")
            #expect(rule(m, Self.query("10.244.1.1", "10.1.1.1", vni: 3, node: node)) == "intrazone-default")
            #expect(rule(m, Self.query("10.244.1.1", "10.1.1.1", vni: 8, node: node)) == "b-inside")
            #expect(rule(m, Self.query("10.244.1.1", "10.1.1.1", port: 443, vni: 7, node: node)) == "interzone-default")
            #expect(rule(m, Self.query("8.8.8.8", "10.1.1.1", vni: 3, node: "192.168.1.10")) == "node-1")
            #expect(rule(m, Self.query("10.5.5.5", "10.1.1.1", port: 22, vni: 7, node: node)) == "shop-to-pods")
        }
    }

    @Test func tagChangesMoveAddressesInAndOutOfTunnelZones() throws {
        let m = try matcher()
        let q = Self.query("10.6.6.6", "10.1.1.1", port: 22, vni: 7, node: "192.168.9.9")
        #expect(rule(m, q) == "intrazone-default")
        m.setTags([Fixture.tag("ns:shop")], for: Fixture.ip("10.6.6.6"))
        #expect(rule(m, q) == "shop-to-pods")
        m.setTags([Fixture.tag("ns:other")], for: Fixture.ip("10.6.6.6"))
        #expect(rule(m, q) == "intrazone-default")
        m.setTags([Fixture.tag("ns:shop")], for: Fixture.ip("10.6.6.6"))
        m.removeTags(for: Fixture.ip("10.6.6.6"))
        #expect(rule(m, q) == "intrazone-default")
    }

    @Test func untaggedAddressesMatchNegatedTunnelZoneTags() throws {
        let m = try PolicyMatcher(Fixture.load(Fixture.policy("""
              zones:
                - {name: not-system, tags: "not ns:kube-system", vni: [7]}
                - {name: pods, networks: [10.0.0.0/8]}
              rules:
                - {name: r, from: [not-system], to: [not-system], action: drop}
            """)), tags: [(Fixture.ip("10.0.0.2"), [Fixture.tag("ns:kube-system")])])
        #expect(rule(m, Self.query("10.0.0.1", "10.0.0.3", vni: 7, node: "1.1.1.1")) == "r")
        #expect(rule(m, Self.query("10.0.0.2", "10.0.0.3", vni: 7, node: "1.1.1.1")) == "interzone-default")
    }

    @Test("bad vni and nodes values are reported where they are written", arguments: [
        ("  zones:\n    - name: z\n      vni: [7, seven]\n", "8:16: a VNI must be a whole number, found 'seven'"),
        ("  zones:\n    - name: z\n      nodes: [10.0.0.300]\n", "8:15: bad address: '10.0.0.300' is not an IP address, CIDR or range; expected an IP address, a CIDR (10.0.0.0/8) or a range (10.0.0.5-10.0.0.20)"),
        ("  zones:\n    - name: z\n      vni: []\n", "8:12: zone 'z' has an empty vni list; give at least one VNI or leave vni out"),
        ("  zones:\n    - name: z\n      nodes: []\n", "8:14: zone 'z' has an empty nodes list; give at least one node address or leave nodes out"),
        ("  zones:\n    - name: z\n      vni: [7]\n  defaults:\n    zone: z\n",
         "8:12: zone 'z' is the defaults.zone, which holds every address no other zone claims; it cannot have vni or nodes"),
    ] as [(String, String)])
    func badValues(spec: String, expected: String) {
        #expect(Fixture.errors(Fixture.policy(spec)) == [expected])
    }

    @Test func atMost64TunnelZones() {
        var spec = "  zones:\n"
        for i in 0 ..< 65 { spec += "    - {name: z\(i), vni: [\(i)]}\n" }
        let errors = Fixture.errors(Fixture.policy(spec))
        #expect(errors.count == 1 && errors.first?.hasSuffix("zone 'z64': at most 64 zones may have vni or nodes") == true)
    }
}
