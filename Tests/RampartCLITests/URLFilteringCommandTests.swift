import Foundation
import Testing

/// The CLI seam of the profiles (issue 14): `rampart inspect --lists` applies the policy's URL
/// filtering profile to a real capture; `rampart policy validate` and `policy match` show the
/// profiles.
@Suite("URL filtering from the command line")
struct URLFilteringCommandTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: url}
        spec:
          urlFilteringProfiles: [{name: url-default, categories: {gambling: block}, unknown: alert}]
          profileGroups: [{name: default, profiles: [url-default]}]
          rules:
            - {name: web, action: allow, services: [tcp/80, tcp/8080], profiles: [default]}
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """

    @Test("inspect --lists: the listed host's request is blocked and its http record says so")
    func inspectWithLists() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = directory.appendingPathComponent("policy.yaml").path
        try Self.policy.write(toFile: policy, atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("ut1/gambling"), withIntermediateDirectories: true)
        try "web.rampart.test\n".write(to: directory.appendingPathComponent("ut1/gambling/domains"), atomically: true, encoding: .utf8)
        let out = directory.appendingPathComponent("eve.json").path
        let result = try RampartProcess.run(["inspect", "Tests/Captures/http.pcap", "--policy", policy,
                                             "--lists", directory.appendingPathComponent("ut1").path, "--out", out, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try RampartProcess.events(try String(contentsOfFile: out, encoding: .utf8))
        let decisions = events.compactMap { $0["event_type"] as? String == "http" ? $0["url_filtering"] as? [String: Any] : nil }
        #expect(decisions.count == 5)
        #expect(decisions.filter { $0["category"] as? String == "gambling" && $0["action"] as? String == "block" }.count == 1)
        #expect(decisions.filter { $0["category"] as? String == "unknown" && $0["action"] as? String == "alert" }.count == 4)
        // A list path that does not exist is an error before anything is inspected.
        let missing = try RampartProcess.run(["inspect", "Tests/Captures/http.pcap", "--policy", policy, "--lists", "/nonexistent", "--out", out])
        #expect(missing.status == 2 && missing.stderr.contains("/nonexistent: no such file or folder"))
    }

    @Test("policy validate counts the profiles; policy match prints the rule's")
    func validateAndMatch() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = directory.appendingPathComponent("policy.yaml").path
        try Self.policy.write(toFile: policy, atomically: true, encoding: .utf8)
        let valid = try RampartProcess.run(["policy", "validate", policy])
        #expect(valid.status == 0 && valid.stdout.contains("1 profile (0 threat, 0 file blocking, 0 DNS security, 1 URL filtering, 0 AI security), 1 profile group"))
        let match = try RampartProcess.run(["policy", "match", policy, "--from", "10.0.0.1", "--to", "10.0.0.2", "--service", "tcp/80"])
        #expect(match.stdout.contains("rule: web\n") && match.stdout.contains("profiles: url-default (URL filtering profile)"))
        let bad = Self.policy.replacingOccurrences(of: "profiles: [default]", with: "profiles: [defalt]")
        try bad.write(toFile: policy, atomically: true, encoding: .utf8)
        let refused = try RampartProcess.run(["policy", "validate", policy])
        #expect(refused.status != 0 && refused.stderr.contains("undefined profile or profile group 'defalt' in rule 'web'; did you mean 'default'?"))
    }
}
