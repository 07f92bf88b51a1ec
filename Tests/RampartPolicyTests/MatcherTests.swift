import Testing
import RampartWire
@testable import RampartPolicy
import RampartTestSupport

@Suite("Compiled matcher")
struct MatcherTests {
    @Test("agrees with the linear reference on random policies and queries", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomAgreement(seed: UInt64) throws {
        var gen = RandomPolicy(rng: SeededRandom(seed: seed))
        let text = gen.yaml(ruleCount: 60)
        let doc = try PolicyLoader.load(yaml: text, file: "random.yaml")
        var tagMap: [IPAddress: Set<RampartPolicy.Tag>] = [:]
        var entries: [(IPAddress, [RampartPolicy.Tag])] = []
        for a in RandomPolicy.addressPool where gen.chance(0.6) {
            let t = gen.tagSet()
            tagMap[Fixture.ip(a)] = Set(t)
            entries.append((Fixture.ip(a), t))
        }
        let m = try PolicyMatcher(doc, tags: entries)
        let ref = ReferenceEvaluator(document: doc, tags: tagMap)
        var mismatches = 0
        var userRuleHits = 0, provisional = 0
        for _ in 0..<3000 {
            let q = gen.query()
            let got = m.decide(q), want = ref.decide(q)
            if Int(got.ruleIndex) < doc.rules.count { userRuleHits += 1 }
            if !got.isFinal { provisional += 1 }
            if got != want {
                mismatches += 1
                if mismatches < 5 { Issue.record("seed \(seed): \(q) got \(got) want \(want)") }
            }
            #expect(m.zone(of: q.source).rawValue == UInt16(ref.zone(of: q.source)))
        }
        #expect(mismatches == 0)
        // The random policy must exercise real rules and provisional answers, not only defaults.
        #expect(userRuleHits > 300)
        #expect(provisional > 0)
    }

    /// Large policies make long rule lists, so every path of the cache-miss scan runs: the
    /// 8-wide search (short lists), the sorted walk (long lists, and rules that match on one
    /// list alone), ranges and tags parts that both name an address, and the dense masks.
    @Test("agrees with the linear reference on large random policies", arguments: [21, 22, 23, 24] as [UInt64])
    func largeRandomAgreement(seed: UInt64) throws {
        var gen = RandomPolicy(rng: SeededRandom(seed: seed))
        let doc = try PolicyLoader.load(yaml: gen.yaml(ruleCount: 400), file: "random.yaml")
        var tagMap: [IPAddress: Set<RampartPolicy.Tag>] = [:]
        var entries: [(IPAddress, [RampartPolicy.Tag])] = []
        for a in RandomPolicy.addressPool where gen.chance(0.7) {
            let t = gen.tagSet()
            tagMap[Fixture.ip(a)] = Set(t)
            entries.append((Fixture.ip(a), t))
        }
        let m = try PolicyMatcher(doc, tags: entries)
        let ref = ReferenceEvaluator(document: doc, tags: tagMap)
        var mismatches = 0, longLists = 0
        for _ in 0..<2000 {
            let q = gen.query()
            let want = ref.decide(q)
            // Twice: the second answer comes from the decision cache.
            for got in [m.decideUncached(q), m.decide(q), m.decide(q)] where got != want {
                mismatches += 1
                if mismatches < 5 { Issue.record("seed \(seed): \(q) got \(got) want \(want)") }
            }
            let (s, d) = m.classes(q.source, q.destination)
            if min(m.sourceClasses.ruleCount(ofClass: s), m.destinationClasses.ruleCount(ofClass: d)) > 40 { longLists += 1 }
        }
        #expect(mismatches == 0)
        #expect(longLists > 100)   // the sorted walk ran, not only the 8-wide search
    }

    @Test("the decision cache tells a missing application from every application id")
    func cacheKeysApplications() throws {
        let doc = try Fixture.load(Fixture.policy("""
          rules:
            - name: web
              applications: [http]
              action: deny
            - name: rest
              action: allow
        """))
        let m = try PolicyMatcher(doc, tags: [])
        var q = PolicyQuery(source: Fixture.ip("10.0.0.1"), destination: Fixture.ip("10.0.0.2"), ipProtocol: .tcp, destinationPort: 80)
        #expect(!m.decide(q).isFinal)
        q.application = ApplicationID(rawValue: 0xFFFF)
        #expect(m.decide(q) == m.decideUncached(q) && m.decide(q).ruleIndex == 1 && m.decide(q).isFinal)
        q.application = Fixture.app("http")
        #expect(m.decide(q).ruleIndex == 0 && m.decide(q).action == .deny)
        q.application = nil
        #expect(!m.decide(q).isFinal && m.decide(q).ruleIndex == 0)
    }

    @Test("incremental tag updates agree with a full recompile", arguments: [11, 12, 13] as [UInt64])
    func incrementalTags(seed: UInt64) throws {
        var gen = RandomPolicy(rng: SeededRandom(seed: seed))
        let doc = try PolicyLoader.load(yaml: gen.yaml(ruleCount: 40), file: "random.yaml")
        let m = try PolicyMatcher(doc, tags: [])
        var tagMap: [IPAddress: [RampartPolicy.Tag]] = [:]
        for step in 0..<300 {
            let a = Fixture.ip(gen.pick(RandomPolicy.addressPool))
            if gen.chance(0.25) {
                m.removeTags(for: a)
                tagMap[a] = nil
            } else {
                let t = gen.tagSet()
                m.setTags(t, for: a)
                tagMap[a] = t
            }
            // Warm the cache with queries between updates, so stale entries would show.
            for _ in 0..<20 { _ = m.decide(gen.query()) }
            if step % 30 == 29 {
                let fresh = try PolicyMatcher(doc, tags: tagMap.map { ($0.key, $0.value) })
                let ref = ReferenceEvaluator(document: doc, tags: tagMap.mapValues { Set($0) })
                for _ in 0..<300 {
                    let q = gen.query()
                    let got = m.decide(q)
                    #expect(got == fresh.decide(q))
                    #expect(got == ref.decide(q))
                }
                for (addr, t) in tagMap { #expect(Set(m.tags(of: addr)) == Set(t)) }
            }
        }
        #expect(m.taggedAddressCount == tagMap.count)
    }

    @Test func zonesAndDefaults() throws {
        let doc = try Fixture.load(Fixture.policy("""
          zones:
            - name: trust
              networks: [10.0.0.0/8]
            - name: untrust
              networks: [0.0.0.0/0, "::/0"]
            - name: prod
              tags: cluster:prod
          rules:
            - name: nothing
              source: [1.2.3.4]
              action: allow
          defaults:
            intrazone: {action: reset-both, log: {start: true, end: false}}
            interzone: {action: drop}
        """))
        let m = try PolicyMatcher(doc, tags: [(Fixture.ip("10.1.1.1"), [Fixture.tag("cluster:prod")])])
        // First zone in declaration order wins: trust's CIDR before prod's tags.
        #expect(m.zoneName(m.zone(of: Fixture.ip("10.1.1.1"))) == "trust")
        let intra = m.decide(PolicyQuery(source: Fixture.ip("10.0.0.1"), destination: Fixture.ip("10.2.0.1"), ipProtocol: .tcp, destinationPort: 1))
        #expect(intra.action == .resetBoth && intra.logAtStart && !intra.logAtEnd && intra.isFinal)
        #expect(m.rules[Int(intra.ruleIndex)].name == "intrazone-default")
        let inter = m.decide(PolicyQuery(source: Fixture.ip("10.0.0.1"), destination: Fixture.ip("8.8.8.8"), ipProtocol: .udp, destinationPort: 53))
        #expect(inter.action == .drop && m.rules[Int(inter.ruleIndex)].name == "interzone-default")
        #expect(m.ruleIndex(named: "interzone-default") == 2)
        #expect(m.ruleIndex(named: "nothing") == 0)
        // The implicit 'unassigned' zone exists and is last.
        #expect(m.zoneName(ZoneID(rawValue: 3)) == "unassigned")
    }

    @Test func provisionalThenFinal() throws {
        let doc = try Fixture.load(Fixture.policy("""
          zones:
            - name: a
              networks: [10.0.0.0/24]
            - name: b
              networks: [10.0.1.0/24]
          rules:
            - name: deny-ssh
              applications: [ssh]
              action: deny
            - name: web-default-ports
              applications: [http]
              services: [application-default]
              action: allow
            - name: any-app-default
              services: [application-default]
              action: reset-server
            - name: allow-rest
              action: allow
              log: {start: true}
        """))
        let m = try PolicyMatcher(doc, tags: [])
        let src = Fixture.ip("10.0.0.1"), dst = Fixture.ip("10.0.1.1")
        var q = PolicyQuery(source: src, destination: dst, ipProtocol: .tcp, destinationPort: 22)
        var d = m.decide(q)
        #expect(!d.isFinal && d.action == .allow && d.ruleIndex == 0)
        q.application = Fixture.app("ssh")
        d = m.decide(q)
        #expect(d.isFinal && d.action == .deny && d.ruleIndex == 0)
        q.application = Fixture.app("http")   // http on port 22: not its default port
        d = m.decide(q)
        #expect(d.isFinal && d.ruleIndex == 3)
        q.destinationPort = 80
        d = m.decide(q)
        #expect(d.isFinal && d.ruleIndex == 1 && d.action == .allow)
        q.application = Fixture.app("dns")      // dns on tcp/80: not default either
        #expect(m.decide(q).ruleIndex == 3)
        q.destinationPort = 53
        #expect(m.decide(q).ruleIndex == 2)
        // A port no application uses by default: the app-default rules cannot match.
        q.application = nil
        q.destinationPort = 9
        d = m.decide(q)
        #expect(!d.isFinal && d.ruleIndex == 0)
        q.application = ApplicationCatalog.unknownTCP
        d = m.decide(q)
        #expect(d.isFinal && d.ruleIndex == 3 && d.logAtStart)
    }

    @Test func ipv6AndTagsAndNegation() throws {
        let doc = try Fixture.load(Fixture.policy("""
          addressGroups:
            - name: web
              match: ns:shop and label:app=web
          rules:
            - name: not-from-lab
              source: [fd00:1::/64]
              negateSource: true
              destination: [web]
              action: deny
            - name: lab-to-web
              destination: [web]
              services: [tcp/443]
              action: allow
        """))
        let web = Fixture.ip("fd00:2::10")
        let m = try PolicyMatcher(doc, tags: [(web, [Fixture.tag("ns:shop"), Fixture.tag("label:app=web")])])
        let inLab = Fixture.ip("fd00:1::5"), outside = Fixture.ip("2001:db8::1")
        #expect(m.decide(PolicyQuery(source: outside, destination: web, ipProtocol: .tcp, destinationPort: 443)).ruleIndex == 0)
        #expect(m.decide(PolicyQuery(source: inLab, destination: web, ipProtocol: .tcp, destinationPort: 443)).ruleIndex == 1)
        // No zones: both addresses are in none, so interzone-default (3) decides what no rule does.
        #expect(m.decide(PolicyQuery(source: inLab, destination: web, ipProtocol: .tcp, destinationPort: 80)).ruleIndex == 3)
        m.setTags([Fixture.tag("ns:shop")], for: web)
        #expect(m.decide(PolicyQuery(source: outside, destination: web, ipProtocol: .tcp, destinationPort: 443)).ruleIndex == 3)
        m.setTags([Fixture.tag("ns:shop"), Fixture.tag("label:app=web")], for: web)
        #expect(m.decide(PolicyQuery(source: outside, destination: web, ipProtocol: .tcp, destinationPort: 443)).ruleIndex == 0)
        m.removeTags(for: web)
        #expect(m.tags(of: web).isEmpty)
        #expect(m.decide(PolicyQuery(source: inLab, destination: web, ipProtocol: .tcp, destinationPort: 443)).ruleIndex == 3)
    }

    @Test func familiesStayApart() throws {
        let doc = try Fixture.load(Fixture.policy("""
          zones:
            - name: v6
              networks: ["::/0"]
            - name: v4
              networks: [0.0.0.0/0]
          rules:
            - name: all-v6
              source: ["::/0"]
              action: drop
            - name: span
              source: ["::fffe:0:0-::1:0:0:0"]
              action: deny
        """))
        #expect(doc.rules[0].source.set.ranges.count == 2)
        let m = try PolicyMatcher(doc, tags: [])
        #expect(m.zoneName(m.zone(of: Fixture.ip("10.0.0.1"))) == "v4")
        #expect(m.zoneName(m.zone(of: Fixture.ip("::1"))) == "v6")
        #expect(m.zoneName(m.zone(of: Fixture.ip("ffff::1"))) == "v6")
        let v4 = m.decide(PolicyQuery(source: Fixture.ip("10.0.0.1"), destination: Fixture.ip("10.0.0.2"), ipProtocol: .tcp, destinationPort: 1))
        #expect(m.rules[Int(v4.ruleIndex)].name == "intrazone-default")
        let v6 = m.decide(PolicyQuery(source: Fixture.ip("fd00::1"), destination: Fixture.ip("fd00::2"), ipProtocol: .tcp, destinationPort: 1))
        #expect(v6.action == .drop)
    }

    @Test func disabledRulesNeverMatch() throws {
        let doc = try Fixture.load(Fixture.policy("""
          rules:
            - name: off
              disabled: true
              action: deny
            - name: on
              action: allow
        """))
        let m = try PolicyMatcher(doc, tags: [])
        let d = m.decide(PolicyQuery(source: Fixture.ip("1.1.1.1"), destination: Fixture.ip("2.2.2.2"), ipProtocol: .tcp, destinationPort: 1))
        #expect(d.ruleIndex == 1)
        #expect(m.rules[0].isDisabled && m.rules.count == 4)
    }

    /// A small table under heavy churn: buckets overflow into their neighbours, and removal
    /// must pull displaced entries back (IPv4 table); IPv6 keys go to the wide table.
    @Test("address map survives churn at high load", arguments: [64, 4096] as [Int])
    func addressClassMapHighLoad(keys: Int) {
        var map = AddressClassMap(minimumCapacity: 1)
        var model: [IPAddress: UInt64] = [:]
        var rng = SeededRandom(seed: UInt64(keys))
        func address(_ k: Int) -> IPAddress {
            k % 7 == 0 ? IPAddress(high: 0xFD00_0000_0000_0000, low: UInt64(k)) : IPAddress(ipv4: 0x0A00_0000 &+ UInt32(k) &* 256)
        }
        for step in 0..<60_000 {
            let a = address(Int.random(in: 0..<keys, using: &rng))
            if Int.random(in: 0..<3, using: &rng) != 0 {
                let v = UInt64.random(in: 0..<(1 << 40), using: &rng)
                map.insert(a, v)
                model[a] = v
            } else {
                map.remove(a)
                model[a] = nil
            }
            if step % 5000 == 4999 {
                #expect(map.count == model.count)
                for k in 0..<keys { #expect(map.lookup(address(k)) == model[address(k)]) }
                for k in stride(from: 0, to: keys - 1, by: 2) {
                    let (x, y) = map.lookup(address(k), address(k + 1))
                    #expect(x == model[address(k)] && y == model[address(k + 1)])
                }
            }
        }
    }

    @Test func addressClassMapSurvivesChurn() {
        var map = AddressClassMap(minimumCapacity: 4)
        var model: [IPAddress: UInt64] = [:]
        var rng = SeededRandom(seed: 99)
        for _ in 0..<20_000 {
            let a = IPAddress(ipv4: UInt32.random(in: 0..<512, using: &rng))
            if Bool.random(using: &rng) {
                let v = UInt64.random(in: 0..<1000, using: &rng)
                map.insert(a, v)
                model[a] = v
            } else {
                map.remove(a)
                model[a] = nil
            }
        }
        #expect(map.count == model.count)
        for k in 0..<512 {
            let a = IPAddress(ipv4: UInt32(k))
            #expect(map.lookup(a) == model[a])
        }
    }
}
