import Foundation
import Testing

/// `rampart policy match`: the rule a session hits, from the same matcher the firewall uses;
/// and, through it, the chart's default policy as shipped in deploy/rendered.
@Suite("policy match")
struct PolicyMatchCommandTests {
    func match(_ arguments: [String]) throws -> RampartProcess.Result {
        try RampartProcess.run(["policy", "match"] + arguments)
    }

    @Test func namesTheRuleTheZonesAndWhetherAppIDMustDecide() throws {
        let base = ["Samples/policy.yaml", "--tags", "Samples/tags.yaml", "--from", "10.77.0.1", "--to", "10.77.0.2"]
        let pending = try match(base + ["--service", "tcp/80"])
        #expect(pending.status == 0)
        #expect(pending.stdout.contains("zones: client -> server"))
        #expect(pending.stdout.contains("the first candidate, allow-web, depends on the application"))
        let known = try match(base + ["--service", "tcp/80", "--application", "http"])
        #expect(known.stdout.contains("rule: allow-web\naction: allow"))
        let outside = try match(["Samples/policy.yaml", "--from", "1.2.3.4", "--to", "10.77.0.2", "--service", "udp/53"])
        #expect(outside.stdout.contains("zones: outside -> server"))
        #expect(outside.stdout.contains("rule: interzone-default (default)\naction: deny"))
    }

    @Test func badArgumentsSayWhatWasExpected() throws {
        let base = ["Samples/policy.yaml", "--from", "10.77.0.1", "--to", "10.77.0.2"]
        #expect(try match(["Samples/policy.yaml", "--from", "x", "--to", "10.77.0.2"]).stderr.contains("--from x is not an IP address"))
        #expect(try match(base + ["--service", "tcp"]).stderr.contains("expected PROTOCOL/PORT such as tcp/443"))
        #expect(try match(base + ["--application", "nope"]).stderr.contains("--application nope is not an application"))
        #expect(try match(base + ["--service", "tcp"]).status != 0)
    }

    /// The SecurityPolicy the chart renders into the firewall ConfigMap's `firewall.yaml`
    /// (its second document, after the FirewallConfiguration).
    static func renderedDefaultPolicy() throws -> String {
        let rendered = try String(contentsOfFile: RampartProcess.path("deploy/rendered/rampart.yaml"), encoding: .utf8)
        let lines = rendered.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "firewall.yaml: |" })
        let indent = String(lines[start + 1].prefix { $0 == " " })
        var body: [String] = []
        for line in lines[(start + 1)...] {
            if !line.isEmpty && !line.hasPrefix(indent) { break }
            body.append(String(line.dropFirst(indent.count)))
        }
        let documents = body.joined(separator: "\n").components(separatedBy: "\n---\n")
        return try #require(documents.first { $0.contains("kind: SecurityPolicy") })
    }

    @Test("the chart's default policy: a firewall without tags denies, with them allows within the cluster")
    func chartDefaultPolicyFailsClosedUntilTagged() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = directory.appendingPathComponent("firewall.yaml")
        try Self.renderedDefaultPolicy().write(to: policy, atomically: true, encoding: .utf8)
        let tags = directory.appendingPathComponent("tags.yaml")
        try """
            apiVersion: rampart.io/v1
            kind: AddressTags
            metadata: {name: pushed}
            spec:
              addresses:
                - {address: 10.244.1.5, tags: [cluster:cluster-1, ns:shop]}
                - {address: 10.244.2.7, tags: [cluster:cluster-1, ns:db]}
            """.write(to: tags, atomically: true, encoding: .utf8)
        let pods = ["--from", "10.244.1.5", "--to", "10.244.2.7", "--service", "tcp/5432", "--application", "postgresql"]

        let untagged = try match([policy.path] + pods)
        #expect(untagged.status == 0, "\(untagged.stderr)")
        #expect(untagged.stdout.contains("zones: outside -> outside"))
        #expect(untagged.stdout.contains("rule: outside-until-tagged\naction: deny"), "\(untagged.stdout)")

        let tagged = try match([policy.path, "--tags", tags.path] + pods)
        #expect(tagged.stdout.contains("zones: cluster -> cluster"))
        #expect(tagged.stdout.contains("rule: intrazone-default (default)\naction: allow"), "\(tagged.stdout)")

        let internet = try match([policy.path, "--tags", tags.path, "--from", "10.244.1.5", "--to", "93.184.216.34", "--service", "tcp/443"])
        #expect(internet.stdout.contains("zones: cluster -> outside"))
        #expect(internet.stdout.contains("rule: interzone-default (default)\naction: deny"))
    }
}
