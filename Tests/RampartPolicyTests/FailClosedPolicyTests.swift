import Foundation
import Testing
import RampartWire
@testable import RampartPolicy

/// Issue 11, "Fail-closed by default": no policy is refused, a policy without rules denies
/// between zones (and addresses without a zone are in none), and a policy that allows
/// everything is warned about.
@Suite("Fail-closed policies")
struct FailClosedPolicyTests {
    static func query(_ s: String, _ d: String, port: UInt16 = 80) -> PolicyQuery {
        PolicyQuery(source: Fixture.ip(s), destination: Fixture.ip(d), ipProtocol: .tcp, destinationPort: port)
    }

    static func decide(_ yaml: String, _ s: String, _ d: String) throws -> (action: RuleAction, rule: String) {
        let m = try PolicyMatcher(Fixture.load(yaml), tags: [])
        let decision = m.decide(query(s, d))
        return (decision.action, m.rules[Int(decision.ruleIndex)].name)
    }

    @Test("a file without a SecurityPolicy document is refused at 1:1 and says what to add",
          arguments: ["", "# only a comment\n# and another\n", "---\n---\n",
                      "apiVersion: rampart.io/v1\nkind: AddressTags\nmetadata: {name: t}\nspec:\n  addresses: []\n"])
    func missingPolicy(_ text: String) {
        let errors = Fixture.errors(text)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("1:1: no policy:") == true)
        #expect(errors.first?.contains("kind: SecurityPolicy") == true)
        #expect(errors.first?.contains("docs/policy.md") == true)
    }

    @Test("a document with its own errors is not also called missing")
    func brokenDocumentIsNotMissing() {
        let errors = Fixture.errors("apiVersion: rampart.io/v1\nkind: SecurityPolcy\nmetadata: {name: t}\nspec: {}\n")
        #expect(errors.count == 1)
        #expect(errors.first?.contains("unknown kind") == true)
    }

    @Test("no zones and no rules: nothing is allowed (addresses without a zone are in none)")
    func emptyPolicyDenies() throws {
        let yaml = Fixture.policy("  rules: []\n")
        let d = try Self.decide(yaml, "10.0.0.1", "10.0.0.2")
        #expect(d.action == .deny)
        #expect(d.rule == "interzone-default")
        let spec = try Self.decide(Fixture.policy("  {}\n"), "192.168.1.1", "8.8.8.8")
        #expect(spec.action == .deny)
    }

    @Test("zones without rules: intrazone allowed, interzone and unzoned denied")
    func zonesWithoutRules() throws {
        let yaml = Fixture.policy("""
              zones:
                - {name: web, networks: [10.1.0.0/16]}
                - {name: db, networks: [10.2.0.0/16]}
              rules: []
            """)
        #expect(try Self.decide(yaml, "10.1.0.1", "10.1.0.2") == (.allow, "intrazone-default"))
        #expect(try Self.decide(yaml, "10.1.0.1", "10.2.0.2") == (.deny, "interzone-default"))
        #expect(try Self.decide(yaml, "10.9.0.1", "10.9.0.2") == (.deny, "interzone-default"))
        #expect(try Self.decide(yaml, "10.1.0.1", "10.9.0.2") == (.deny, "interzone-default"))
    }

    @Test("both defaults stay overridable, and a declared defaults.zone is a real zone")
    func overridable() throws {
        let open = Fixture.policy("  defaults:\n    interzone: {action: allow}\n")
        #expect(try Self.decide(open, "10.9.0.1", "10.9.0.2") == (.allow, "interzone-default"))
        let outside = Fixture.policy("""
              zones:
                - {name: web, networks: [10.1.0.0/16]}
                - {name: outside}
              defaults:
                zone: outside
                intrazone: {action: allow}
            """)
        #expect(try Self.decide(outside, "10.9.0.1", "10.9.0.2") == (.allow, "intrazone-default"))
        #expect(try Self.decide(outside, "10.1.0.1", "10.9.0.2") == (.deny, "interzone-default"))
        let closed = Fixture.policy("""
              zones:
                - {name: web, networks: [10.1.0.0/16]}
              defaults:
                intrazone: {action: drop}
            """)
        #expect(try Self.decide(closed, "10.1.0.1", "10.1.0.2") == (.drop, "intrazone-default"))
        // A rule can still name the implicit zone.
        let named = Fixture.policy("  rules:\n    - {name: lab, from: unassigned, to: unassigned, action: allow}\n")
        #expect(try Self.decide(named, "10.9.0.1", "10.9.0.2") == (.allow, "lab"))
    }

    static func warnings(_ yaml: String) throws -> [String] {
        try Fixture.load(yaml).warnings.map { "\($0.line):\($0.column): \($0.message)" }
    }

    @Test("an any-to-any allow rule is warned about, at the rule")
    func anyAllowRule() throws {
        let yaml = Fixture.policy("""
              zones:
                - {name: web, networks: [10.1.0.0/16]}
              rules:
                - {name: web-only, from: web, to: web, services: [tcp/80], action: allow}
                - {name: everything, action: allow}
                - {name: deny-all, action: deny}
                - {name: off, action: allow, disabled: true}
            """)
        let w = try Self.warnings(yaml)
        #expect(w.count == 1)
        #expect(w.first?.hasPrefix("10:") == true)
        #expect(w.first?.contains("rule 'everything' allows every session") == true)
        // Listing every zone on both sides is the same as any.
        let listed = Fixture.policy("""
              zones:
                - {name: a, networks: [10.1.0.0/16]}
              rules:
                - {name: all-zones, from: [a, unassigned], to: [a, unassigned], action: allow}
            """)
        #expect(try Self.warnings(listed).first?.contains("rule 'all-zones'") == true)
    }

    @Test("both defaults allowing, or one zone holding every address, is warned about")
    func allowingDefaults() throws {
        let both = Fixture.policy("  defaults:\n    intrazone: {action: allow}\n    interzone: {action: allow}\n")
        let w = try Self.warnings(both)
        #expect(w.count == 1)
        #expect(w.first?.hasPrefix("7:") == true)   // the defaults' mapping
        #expect(w.first?.contains("both allow") == true)
        let oneZone = Fixture.policy("  zones:\n    - {name: all}\n  defaults:\n    zone: all\n")
        #expect(try Self.warnings(oneZone).first?.contains("every address is in zone 'all'") == true)
        #expect(try Self.warnings(Fixture.policy("  rules: []\n")).isEmpty)
    }

    @Test("the sample policy loads without warnings")
    func sampleHasNoWarnings() throws {
        let url = Fixture.samplesDirectory().appendingPathComponent("policy.yaml")
        let document = try PolicyLoader.load(yaml: String(contentsOf: url, encoding: .utf8), file: "policy.yaml")
        #expect(document.warnings.isEmpty)
        #expect(document.securityPolicyDocuments == 1)
    }
}
