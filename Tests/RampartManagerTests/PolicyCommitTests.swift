import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager
import RampartHTTP

/// A small valid policy: allow web between pods, with `extra` rules before it.
func samplePolicy(_ extra: String = "", name: String = "lab") -> String {
    """
    apiVersion: rampart.io/v1
    kind: SecurityPolicy
    metadata: {name: \(name)}
    spec:
      zones:
        - {name: pods, networks: [10.244.0.0/16]}
      rules:
    \(extra)    - {name: web, from: [pods], to: [pods], action: allow}

    """
}

@Suite("Policy commits: diff, validation, history, rollback")
struct PolicyCommitTests {
    @Test func unifiedDiffAsDiffPrintsIt() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        var lines = (1...10).map { "line \($0)" }
        lines[4] = "line five"
        lines.append("line 11")
        let new = lines.joined(separator: "\n") + "\n"
        let diff = LineDiff.unified(old: old, new: new, oldName: "commit 1", newName: "commit 2")
        #expect(diff == """
            --- commit 1
            +++ commit 2
            @@ -2,9 +2,10 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8
             line 9
             line 10
            +line 11

            """)
        #expect(LineDiff.unified(old: old, new: old, oldName: "a", newName: "b") == "")
        // Against nothing: every line added.
        #expect(LineDiff.unified(old: "", new: "a\nb\n", oldName: "/dev/null", newName: "commit 1") == "--- /dev/null\n+++ commit 1\n@@ -0,0 +1,2 @@\n+a\n+b\n")
    }

    @Test func diffReplaysToTheNewText() {
        var random = SeededRandom(seed: 16)
        for _ in 0 ..< 200 {
            let old = (0 ..< Int(random.next() % 30)).map { _ in "l\(random.next() % 6)" }
            let new = (0 ..< Int(random.next() % 30)).map { _ in "l\(random.next() % 6)" }
            let script = LineDiff.lines(old: old.map { Substring($0) }, new: new.map { Substring($0) })
            var rebuiltOld: [String] = [], rebuiltNew: [String] = []
            for line in script {
                switch line {
                case .same(let s): rebuiltOld.append(s); rebuiltNew.append(s)
                case .removed(let s): rebuiltOld.append(s)
                case .added(let s): rebuiltNew.append(s)
                }
            }
            #expect(rebuiltOld == old && rebuiltNew == new)
        }
    }

    func commits(groups: Set<String> = []) throws -> (PolicyCommits, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-commits-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try PolicyStore(path: folder.appendingPathComponent("manager.sqlite").path)
        return (PolicyCommits(store: store, groups: groups), folder)
    }

    @Test func commitsUnchangedRefusedAndRollback() throws {
        let (commits, folder) = try commits(groups: ["edge"])
        defer { try? FileManager.default.removeItem(at: folder) }
        guard case .committed(let first, _) = try commits.commit(text: samplePolicy(), message: "first", author: "ops") else {
            Issue.record("the first commit was not made"); return
        }
        #expect(first.id == 1 && first.author == "ops" && first.rules == 3 && first.diff.hasPrefix("--- /dev/null\n+++ commit 1\n"))
        guard case .unchanged(let same) = try commits.commit(text: samplePolicy(), message: "again", author: "ops") else {
            Issue.record("the same text made a commit"); return
        }
        #expect(same.id == 1)
        let deny = "    - {name: no-db, from: [pods], to: [pods], services: [tcp/5432], action: deny}\n"
        guard case .committed(let second, _) = try commits.commit(text: samplePolicy(deny), message: "deny db", author: "ops") else {
            Issue.record("the second commit was not made"); return
        }
        #expect(second.id == 2 && second.diff.contains("+    - {name: no-db") && second.diff.contains("--- commit 1\n+++ commit 2"))
        // Refused with the loader's own positions.
        guard case .invalid(let errors) = try commits.commit(text: samplePolicy("    - {name: bad, actoin: allow}\n"), message: "x", author: "ops", file: "p.yaml") else {
            Issue.record("an invalid policy was committed"); return
        }
        #expect(errors.contains { $0.hasPrefix("p.yaml:8:") && $0.contains("actoin") })
        // Rollback: commit 1's text again, as commit 3.
        guard case .committed(let third, _)? = try commits.rollback(to: 1, author: "ops", message: nil) else {
            Issue.record("rollback made no commit"); return
        }
        #expect(third.id == 3 && third.text == first.text && third.source == "rollback of 1" && third.diff.contains("-    - {name: no-db"))
        // A group's commit is newer for its firewalls only.
        guard case .committed(let edge, _) = try commits.commit(text: samplePolicy(deny, name: "edge"), message: "edge", author: "ops", target: "edge") else {
            Issue.record("no group commit"); return
        }
        #expect(try commits.wanted(groups: ["edge"])?.id == edge.id)
        #expect(try commits.wanted(groups: [])?.id == 3)
        #expect(try commits.store.history(target: nil, limit: 10).map(\.id) == [4, 3, 2, 1])
    }

    /// The manager's errors are `rampart policy validate`'s, line for line.
    @Test func errorsAreThoseOfRampartPolicyValidate() throws {
        guard let rampart = TestShell.executable(named: "rampart", packageRoot: packageRoot) else {
            Issue.record("rampart is not built (swift build --build-tests)"); return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-validate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = samplePolicy("    - {name: bad, from: [nowhere], to: [pods], actoin: allow}\n    - {name: web, action: allow}\n")
        try text.write(to: folder.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        let (status, output) = try TestShell.run("'\(rampart.path)' policy validate policy.yaml 2>&1", in: folder)
        #expect(status != 0)
        let cli = output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("policy.yaml:") }
        #expect(cli.count >= 2)
        let api = ManagerAPI(manager: try Manager(configuration: { var c = ManagerConfiguration(); c.state = folder.appendingPathComponent("m.sqlite").path; return c }()))
        let reply = api.handle(HTTPRequest(method: "POST", path: "/policy/commits", query: ["message": "bad"], body: Array(text.utf8)))
        #expect(reply.status == 422)
        let answer = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any]
        #expect(answer?["errors"] as? [String] == cli)
    }
}
