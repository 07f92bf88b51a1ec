import Foundation
import RampartDataplane
import Testing

/// The policy a manager pushes (`PUT /policy`): its body, its place among the configuration
/// file's documents, and its state file.
@Suite("Pushed policy")
struct PushedPolicyTests {
    static let pushedText = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: pushed}
        spec:
          rules:
            - {name: from-manager, action: deny}
        """

    @Test func bodyIsReadStrictly() throws {
        let policy = try PushedPolicy(json: #"{"commit": "7", "policy": "a: 1\n"}"#)
        #expect(policy.commit == "7" && policy.text == "a: 1\n" && policy.fileName == "policy@7")
        #expect(try PushedPolicy(json: policy.json) == policy)
        #expect(policy.digest == PushedPolicy.digest(of: "a: 1\n") && policy.digest.count == 16)
        for (body, why) in [
            (#"{"policy": "x"}"#, "missing \"commit\""), (#"{"commit": "7"}"#, "missing \"policy\""),
            (#"{"commit": "../x", "policy": ""}"#, "must be 1 to 64"), (#"{"commit": "1", "commit": "2", "policy": ""}"#, "not JSON"),
            ("[", "not JSON"),
        ] {
            #expect(throws: PushedPolicyError.self, "\(why)") { try PushedPolicy(json: body) }
            do { _ = try PushedPolicy(json: body) } catch { #expect(error.description.contains(why), "\(error)") }
        }
    }

    @Test func pushedDocumentsReplaceTheFilesPolicy() throws {
        let firewallOnly = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: t}
            spec: {policyState: /var/lib/rampart/policy.json}
            """
        // Without a policy the file alone is refused; with a pushed one it runs that.
        #expect(throws: (any Error).self) { try ConfigurationFile.parse(firewallOnly, file: "fw.yaml") }
        let file = try ConfigurationFile.parse(firewallOnly, file: "fw.yaml", pushed: PushedPolicy(commit: "3", text: Self.pushedText))
        #expect(file.firewall.policyState == "/var/lib/rampart/policy.json")
        #expect(file.matcher.rules.map(\.name).contains("from-manager"))
        // Its errors carry the commit's name and the pushed text's own lines.
        do {
            _ = try ConfigurationFile.parse(firewallOnly, file: "fw.yaml", pushed: PushedPolicy(commit: "4", text: Self.pushedText.replacingOccurrences(of: "action: deny", with: "actoin: deny")))
            Issue.record("a pushed policy with an unknown field was accepted")
        } catch {
            #expect(error.description.contains("policy@4:6:"), "\(error)")
        }
    }

    @Test func stateSurvivesAndIsReplacedWhole() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-pushed-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("policy.json").path
        let state = PushedPolicyState(path: path)
        #expect(try state.restore() == nil)
        state.adopt(PushedPolicy(commit: "5", text: Self.pushedText))
        #expect(state.forReload?.commit == "5")
        #expect(state.prometheusText.contains("rampart_policy_commit_info{commit=\"5\""))
        try "{\"commit\": \"6\", \"policy\": \"x\"}".write(toFile: path, atomically: true, encoding: .utf8)
        let again = PushedPolicyState(path: path)
        #expect(try again.restore()?.commit == "6")
        try "{broken".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PushedPolicyError.self) { try PushedPolicyState(path: path).restore() }
    }
}
