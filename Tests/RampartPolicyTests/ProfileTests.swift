import Testing
import RampartWire
@testable import RampartPolicy

/// The profiles of the policy language: threat, file blocking, DNS security and URL
/// filtering profiles, profile groups, and `profiles:` on rules.
@Suite("Policy loader: profiles")
struct ProfileTests {
    static let profiles = """
      threatProfiles:
        - name: strict
          description: reset what is serious
          severity: {critical: reset-both, high: reset-both, medium: alert, low: alert, informational: allow}
          exceptions: [{sid: 2013028, action: allow}, {sid: 7, action: drop}]
      fileBlockingProfiles:
        - name: no-executables
          fileTypes: [{types: [pe, elf], direction: download, action: block}, {types: [pdf], action: alert}]
          verdicts: {malicious: block}
      dnsSecurityProfiles:
        - name: dns-default
          categories: {malware: sinkhole, phishing: block, gambling: alert}
          sinkhole: {ipv4: 198.18.0.1, ipv6: "fd00::5:1"}
          dga: {action: block, threshold: 0.9}
          tunnelling: {action: block, queriesPerMinute: 600, maxLabelLength: 52, minEntropy: 3.8, txtShare: 0.5, uniqueSubdomainsPerMinute: 120}
      urlFilteringProfiles:
        - name: url-default
          categories: {gambling: block, malware: block, news: continue, "Social Networking": alert}
          unknown: alert
          notResolved: allow
          blockPage: block.html
          continueMinutes: 30
        - name: url-lax
          categories: {gambling: alert}
      profileGroups:
        - name: default
          profiles: [strict, dns-default, url-default]

    """

    @Test func everyKindIsRead() throws {
        let doc = try Fixture.load(Fixture.policy(Self.profiles + """
          rules:
            - name: allow-web
              action: allow
              profiles: [default, no-executables]
            - name: allow-lax
              action: allow
              profiles: url-lax
            - name: deny-rest
              action: deny
        """))
        let p = doc.profiles
        #expect(p.threat.count == 1 && p.file.count == 1 && p.dns.count == 1 && p.url.count == 2 && p.groups.count == 1)
        let strict = p.threat[0]
        #expect(strict.severity[.critical] == .resetBoth && strict.severity[.informational] == .allow)
        #expect(strict.action(sid: 2013028, severity: .critical) == .allow)
        #expect(strict.action(sid: 7, severity: .low) == .drop)
        #expect(strict.action(sid: 8, severity: .medium) == .alert)
        #expect(p.file[0].fileTypes == [FileTypeRule(types: ["pe", "elf"], direction: .download, action: .block),
                                        FileTypeRule(types: ["pdf"], direction: .both, action: .alert)])
        #expect(p.file[0].verdicts == [.malicious: .block])
        let dns = p.dns[0]
        #expect(dns.categories == ["malware": .sinkhole, "phishing": .block, "gambling": .alert])
        #expect(dns.sinkholeIPv4 == IPAddress("198.18.0.1") && dns.sinkholeIPv6 == IPAddress("fd00::5:1"))
        #expect(dns.dga == DGASetting(action: .block, threshold: 0.9))
        #expect(dns.tunnelling?.queriesPerMinute == 600 && dns.tunnelling?.minEntropy == 3.8 && dns.tunnelling?.uniqueSubdomainsPerMinute == 120)
        let url = p.url[0]
        #expect(url.categories["news"] == .continue && url.categories["Social Networking"] == .alert)
        #expect(url.unknown == .alert && url.notResolved == .allow && url.continueMinutes == 30)
        #expect(url.blockPagePath(policyFile: "/etc/rampart/policy.yaml") == "/etc/rampart/block.html")
        #expect(p.url[1].unknown == .allow && p.url[1].notResolved == .allow && p.url[1].blockPage == nil)
        #expect(doc.rules[0].profiles == RuleProfiles(threat: 0, file: 0, dns: 0, url: 0))
        #expect(doc.rules[1].profiles == RuleProfiles(url: 1))
        #expect(doc.rules[2].profiles == .none)
    }

    @Test func theMatcherGivesEachRuleItsProfiles() throws {
        let doc = try Fixture.load(Fixture.policy(Self.profiles + """
          rules:
            - name: deny-db
              action: deny
              services: [tcp/5432]
            - name: allow-web
              action: allow
              services: [tcp/80]
              profiles: [default]
        """))
        let matcher = try PolicyMatcher(doc, tags: [])
        let d = matcher.decide(PolicyQuery(source: Fixture.ip("10.0.0.1"), destination: Fixture.ip("10.0.0.2"),
                                           ipProtocol: .tcp, destinationPort: 80, application: nil))
        #expect(matcher.rules[Int(d.ruleIndex)].name == "allow-web")
        let p = matcher.profiles(ofRule: d.ruleIndex)
        #expect(p == RuleProfiles(threat: 0, dns: 0, url: 0))
        #expect(matcher.profiles.names(of: p).map(\.name) == ["strict", "dns-default", "url-default"])
        #expect(matcher.profiles(ofRule: 0) == .none)
        #expect(matcher.profiles(ofRule: -1) == .none)
        #expect(matcher.profiles(ofRule: Int32(matcher.rules.count - 1)) == .none)   // interzone-default
        #expect(matcher.profiles(ofRule: 99) == .none)
    }

    @Test func unknownCategoriesAreFine() throws {
        let doc = try Fixture.load(Fixture.policy("""
          urlFilteringProfiles:
            - {name: u, categories: {no-list-has-this: block}}
          rules: [{name: r, action: allow, profiles: [u]}]
        """))
        #expect(doc.profiles.url[0].categories == ["no-list-has-this": .block])
    }

    func errors(_ body: String) -> [String] { Fixture.errors(Fixture.policy(Self.profiles + body)) }

    @Test func profilesOnlyOnAllowRules() {
        #expect(errors("""
          rules:
            - name: deny-bad
              action: deny
              profiles: [default]
        """) == ["36:17: rule 'deny-bad' has action 'deny'; profiles inspect the traffic a rule allows, so only allow rules carry them (remove 'profiles' or make the rule allow)"])
    }

    @Test func unknownProfileNamesSayWhatWasMeant() {
        #expect(errors("""
          rules:
            - name: r
              action: allow
              profiles: [defualt, url-dfault, nothing-like-it]
        """) == [
            "36:18: undefined profile or profile group 'defualt' in rule 'r'; did you mean 'default'?",
            "36:27: undefined profile or profile group 'url-dfault' in rule 'r'; did you mean 'url-default'?",
            "36:39: undefined profile or profile group 'nothing-like-it' in rule 'r'",
        ])
        #expect(Fixture.errors(Fixture.policy("""
          rules: [{name: r, action: allow, profiles: [x]}]
        """)).first?.contains("the policy defines no profiles") == true)
    }

    @Test func oneProfileOfEachKind() {
        #expect(errors("""
          rules:
            - name: r
              action: allow
              profiles: [default, url-lax]
        """) == ["36:27: rule 'r' gets two URL filtering profiles, 'url-default' (from group 'default') and 'url-lax'; a rule carries at most one of each kind"])
        #expect(errors("""
            - name: two-urls
              profiles: [url-default, url-lax]
            - name: nested
              profiles: [default, strict]
            - name: default
              profiles: [strict]
          rules: []
        """) == [
            "34:31: profile group 'two-urls' has two URL filtering profiles, 'url-default' and 'url-lax'; a group holds at most one of each kind",
            "36:18: profile group 'nested' names the group 'default'; a group holds profiles, not groups",
            "37:13: duplicate profile name 'default'; first defined at 31:13 (profiles and profile groups share one set of names)",
        ])
    }

    @Test func badValuesAreReportedWhereTheyAre() {
        let e = Fixture.errors(Fixture.policy("""
          threatProfiles:
            - name: t
              severity: {critcal: reset-both, high: reset-bth}
              exceptions: [{sid: 0, action: allow}, {sid: 5, action: allow}, {sid: 5, action: drop}]
          fileBlockingProfiles:
            - name: f
              fileTypes: [{types: [pe], direction: sideways, action: block}]
              verdicts: {malicous: block}
          dnsSecurityProfiles:
            - name: d
              categories: {malware: sinkhol}
              dga: {action: sinkhole, threshold: 1.5}
              sinkhole: {ipv4: "fd00::1"}
            - name: d2
              categories: {malware: sinkhole}
          urlFilteringProfiles:
            - name: u
              categories: {gambling: blok}
              unknown: maybe
              continueMinutes: 0
              colour: red
          rules: []
        """))
        #expect(e == [
            "8:18: unknown field 'critcal' in severity of threat profile 't'; did you mean 'critical'?",
            "8:45: unknown threat action 'reset-bth'; expected one of default, allow, alert, drop, reset-client, reset-server, reset-both; did you mean 'reset-both'?",
            "9:26: sid must be within 1...4294967295, found 0",
            "9:76: sid 5 has two exceptions in threat profile 't'; first at 9:51",
            "12:44: unknown direction 'sideways'; expected one of upload, download, both",
            "13:18: unknown field 'malicous' in verdicts of file blocking profile 'f'; did you mean 'malicious'?",
            "16:29: unknown action 'sinkhol'; expected one of allow, alert, block, sinkhole; did you mean 'sinkhole'?",
            "17:21: DNS security profile 'd' sinkholes but has no sinkhole address; add 'sinkhole: {ipv4: ADDRESS, ipv6: ADDRESS}'",
            "17:42: dga.threshold must be within 0.0...1.0, found 1.5",
            "18:24: sinkhole.ipv4 must be an IPv4 address, found 'fd00::1'",
            "20:29: DNS security profile 'd2' sinkholes but has no sinkhole address; add 'sinkhole: {ipv4: ADDRESS, ipv6: ADDRESS}'",
            "23:30: unknown action 'blok'; expected one of allow, alert, continue, override, block; did you mean 'block'?",
            "24:16: unknown URL action 'maybe'; expected one of allow, alert, continue, override, block",
            "25:24: continueMinutes must be within 1...1440, found 0",
            "26:7: unknown field 'colour' in a URL filtering profile (expected one of: name, description, categories, unknown, notResolved, blockPage, continueMinutes, overridePassword, overrideMinutes)",
        ])
    }

    @Test func duplicateNamesAcrossKindsAreRefused() {
        let e = Fixture.errors(Fixture.policy("""
          threatProfiles: [{name: same}]
          urlFilteringProfiles: [{name: same}]
          rules: []
        """))
        #expect(e == ["7:33: duplicate profile name 'same'; first defined at 6:27 (profiles and profile groups share one set of names)"])
    }

    @Test func aBadProfileLeavesTheRuleUnresolvedNotTrapping() {
        // Every reference error is still reported, the loader never traps.
        let e = Fixture.errors(Fixture.policy("""
          profileGroups: [{name: g, profiles: [missing]}]
          rules: [{name: r, action: reset-both, profiles: [g, also-missing]}]
        """))
        #expect(e.count == 3)
    }
}
