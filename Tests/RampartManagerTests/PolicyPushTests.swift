import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager
import RampartHTTP

@Suite("Policy commits pushed to a real firewall; GitOps", .serialized)
struct PolicyPushTests {
    /// The loopback firewall with `spec.policyState` (or without).
    func firewall(policyState: Bool) throws -> LoopbackFirewall {
        let firewall = try LoopbackFirewall()
        firewall.stop()
        let path = firewall.folder.appendingPathComponent("firewall.yaml")
        var text = try String(contentsOf: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "  workers: 1\n", with: "  workers: 1\n  policyState: \(policyState ? firewall.folder.path + "/policy.json" : "off")\n")
        try text.write(to: path, atomically: true, encoding: .utf8)
        try firewall.start()
        return firewall
    }

    func runs(_ firewall: LoopbackFirewall) -> String? {
        guard let response = try? firewall.get("/policy"), response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else { return nil }
        return object["commit"] as? String
    }

    func post(_ api: ManagerAPI, _ path: String, _ query: [String: String] = [:], _ body: String = "", as name: String = "ops") -> HTTPReply {
        var request = HTTPRequest(method: "POST", path: path, query: query, body: Array(body.utf8))
        request.principal = HTTPPrincipal(name: name, roles: [.policyWriter])
        return api.handle(request)
    }

    @Test func commitsReachTheFirewallRollBackAndSurviveRestarts() throws {
        let firewall = try firewall(policyState: true)
        defer { firewall.stop() }
        var configuration = ManagerConfiguration()
        configuration.state = firewall.folder.appendingPathComponent("manager.sqlite").path
        configuration.firewallCheckSeconds = 0.5
        configuration.firewalls = [FirewallTarget(name: "fw-1", admin: firewall.admin)]
        let manager = try Manager(configuration: configuration)
        manager.start()
        defer { manager.stop() }
        let api = ManagerAPI(manager: manager)
        #expect(runs(firewall) == nil)

        let deny = "    - {name: no-db, from: [pods], to: [pods], services: [tcp/5432], action: deny}\n"
        let first = post(api, "/policy/commits", ["message": "deny db"], samplePolicy(deny))
        #expect(first.status == 201)
        #expect(eventually(10) { runs(firewall) == "1" })
        let metrics = try firewall.get("/metrics").text
        #expect(metrics.contains("rampart_policy_commit_info{commit=\"1\""))
        #expect(eventually(5) { manager.metrics().contains("rampart_manager_firewall_policy_commit{firewall=\"fw-1\"} 1") })
        #expect(manager.metrics().contains("rampart_manager_firewall_policy_in_sync{firewall=\"fw-1\"} 1"))
        let history = api.handle(HTTPRequest(method: "GET", path: "/policy/commits"))
        #expect(String(decoding: history.body, as: UTF8.self).contains("\"author\":\"ops\""))

        // Refused: 422 with the errors, nothing committed.
        let bad = post(api, "/policy/commits", ["message": "typo"], samplePolicy("    - {name: x, actoin: deny}\n"))
        #expect(bad.status == 422 && String(decoding: bad.body, as: UTF8.self).contains("policy.yaml:8:"))
        // A second commit, then a rollback to the first: commit 3, the first's text.
        #expect(post(api, "/policy/commits", ["message": "open"], samplePolicy()).status == 201)
        #expect(eventually(10) { runs(firewall) == "2" })
        let rollback = post(api, "/policy/commits/1/rollback")
        #expect(rollback.status == 201 && String(decoding: rollback.body, as: UTF8.self).contains("\"source\":\"rollback of 1\""))
        #expect(eventually(10) { runs(firewall) == "3" })
        let diff = api.handle(HTTPRequest(method: "GET", path: "/policy/commits/3/diff"))
        #expect(String(decoding: diff.body, as: UTF8.self).contains("+    - {name: no-db"))

        // Restarted with its policy state: it runs commit 3 from the start.
        firewall.stop()
        try firewall.start()
        #expect(runs(firewall) == "3")
        let log = try String(contentsOf: firewall.folder.appendingPathComponent("err"), encoding: .utf8)
        #expect(log.contains("\"event\":\"policy-state-restored\""))

        // Restarted without it (the file gone): it comes back on its file's policy and the
        // manager pushes the current commit again within firewallCheckSeconds.
        firewall.stop()
        try FileManager.default.removeItem(at: firewall.folder.appendingPathComponent("policy.json"))
        try firewall.start()
        #expect(runs(firewall) == nil)
        #expect(eventually(10) { runs(firewall) == "3" })
    }

    @Test func firewallRefusesWhatDoesNotCompileAndKeepsItsPolicy() throws {
        let firewall = try firewall(policyState: false)
        defer { firewall.stop() }
        let body = #"{"commit": "9", "policy": "apiVersion: rampart.io/v1\nkind: SecurityPolicy\nmetadata: {name: x}\nspec:\n  rules:\n    - {name: a, actoin: allow}\n"}"#
        let response = try HTTPConnection(connectTimeout: 1).request(method: "PUT", url: firewall.admin + "/policy", body: Array(body.utf8), timeout: 5)
        #expect(response.status == 422)
        #expect(response.text.contains("policy@9:6:"))
        #expect(runs(firewall) == nil)
        #expect(try firewall.get("/metrics").text.contains("rampart_policy_pushes_total{result=\"rejected\"} 1"))
    }

    @Test func gitBranchIsCommittedWhenItValidates() throws {
        guard (try? TestShell.run("command -v git", in: packageRoot))?.status == 0 else {
            Issue.record("git is not installed (scripts/setup.sh installs it)"); return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-gitops-\(UUID().uuidString.prefix(8))")
        let repository = folder.appendingPathComponent("policy-repo")
        try FileManager.default.createDirectory(at: repository, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func git(_ command: String) throws {
            let (status, output) = try TestShell.run("git -c user.name=alice -c user.email=a@example.org \(command) 2>&1", in: repository)
            if status != 0 { throw KubeTestServerError("git \(command): \(output)") }
        }
        try git("init --quiet --initial-branch main")
        try samplePolicy().write(to: repository.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        try git("add policy.yaml")
        try git("commit --quiet -m 'first policy'")

        var configuration = ManagerConfiguration()
        configuration.state = folder.appendingPathComponent("manager.sqlite").path
        configuration.gitPolicy = GitPolicySource(repository: repository.path, intervalSeconds: 1)
        let manager = try Manager(configuration: configuration)
        manager.start()
        defer { manager.stop() }
        let control = try #require(manager.policy)
        #expect(eventually(10) { (try? control.commits.store.history(target: nil, limit: 5))?.count == 1 })
        let first = try #require(try control.commits.store.commit(1))
        #expect(first.author == "git:alice" && first.message.hasPrefix("first policy (main ") && first.source.hasPrefix("git main "))

        // A revision that does not validate: refused, reported, nothing committed.
        try samplePolicy("    - {name: oops, actoin: deny}\n").write(to: repository.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        try git("commit --quiet -am 'typo'")
        #expect(eventually(10) { control.puller?.status.refused?.contains { $0.hasPrefix("policy.yaml:8:") } == true })
        #expect(try control.commits.store.history(target: nil, limit: 5).count == 1)
        let overview = String(decoding: ManagerAPI(manager: manager).handle(HTTPRequest(method: "GET", path: "/policy")).body, as: UTF8.self)
        #expect(overview.contains("actoin"))
        #expect(manager.metrics().contains("rampart_manager_gitops_refused 1"))

        // Fixed: committed.
        let deny = "    - {name: no-db, from: [pods], to: [pods], services: [tcp/5432], action: deny}\n"
        try samplePolicy(deny).write(to: repository.appendingPathComponent("policy.yaml"), atomically: true, encoding: .utf8)
        try git("commit --quiet -am 'deny db'")
        #expect(eventually(10) { (try? control.commits.store.history(target: nil, limit: 5))?.count == 2 })
        #expect(control.puller?.status.refused == nil)
        #expect(try control.commits.store.commit(2)?.diff.contains("+    - {name: no-db") == true)
    }
}

/// Runs scripts/manager-control-e2e.sh against the built executables: a policy committed
/// through the manager's API enforced by a real firewall in network namespaces, the flows
/// found through GET /logs and `rampart logs`, and the same manager's console in headless
/// Chromium showing them on its map (Tests/Console/map_e2e_test.py; root only).
@Suite("Manager control end to end", .serialized)
struct ManagerControlEndToEndTests {
    @Test func commitEnforcedAndFlowsFound() throws {
        try TestShell.runEndToEnd(
            script: "scripts/manager-control-e2e.sh", executables: ["rampart-manager"], passing: .folder, packageRoot: packageRoot,
            test: "manager control end-to-end", expecting: ["ALL PASSED", "all console end-to-end checks passed"])
    }
}

@Suite("Each firewall's share of sessions (issue 18)", .serialized)
struct FirewallShareTests {
    @Test func sessionsGaugeIsReadFromPrometheusText() {
        let text = "# TYPE rampart_sessions gauge\nrampart_sessions_created_total 9\nrampart_sessions 7\nrampart_sessions_ended_total 2\n"
        #expect(PolicyPusher.gauge("rampart_sessions", in: text) == 7)
        #expect(PolicyPusher.gauge("rampart_sessions", in: "rampart_sessions_created_total 9\n") == nil)
        #expect(PolicyPusher.gauge("rampart_sessions", in: "rampart_sessions NaN\n") == nil)
    }

    @Test func sharesAreOfTheFirewallsServingTheSameClusters() {
        func line(_ name: String, _ peers: String, _ sessions: Int?) -> FirewallShare {
            FirewallShare(name: name, admin: "http://\(name)", peers: peers, reachable: sessions != nil, commit: nil, sessions: sessions,
                          share: 0, readAt: nil, error: nil)
        }
        let shares = FirewallShares.shared([line("a", "*", 300), line("b", "*", 100), line("c", "*", nil),
                                            line("d", "prod", 50), line("e", "prod", 0)])
        #expect(shares.map(\.share) == [0.75, 0.25, 0, 1, 0])
        // Nothing counted anywhere: no share, no division by zero.
        #expect(FirewallShares.shared([line("a", "*", 0), line("b", "*", nil)]).map(\.share) == [0, 0])
    }

    @Test func twoRealFirewallsShowTheirSessionsInTheManagersMetrics() throws {
        let first = try LoopbackFirewall(), second = try LoopbackFirewall()
        defer { first.stop(); second.stop() }
        var configuration = ManagerConfiguration()
        configuration.state = first.folder.appendingPathComponent("manager.sqlite").path
        configuration.firewallCheckSeconds = 0.5
        configuration.firewalls = [FirewallTarget(name: "fw-1", admin: first.admin), FirewallTarget(name: "fw-2", admin: second.admin),
                                   FirewallTarget(name: "fw-down", admin: "http://127.0.0.1:\(freePort())")]
        let manager = try Manager(configuration: configuration)
        manager.start()
        defer { manager.stop() }
        // The numbers come from each firewall's own gauge.
        func own(_ firewall: LoopbackFirewall) -> Int? { PolicyPusher.gauge("rampart_sessions", in: (try? firewall.get("/metrics").text) ?? "") }
        #expect(own(first) != nil)
        #expect(eventually(10) {
            let metrics = manager.metrics()
            return metrics.contains("rampart_manager_firewall_sessions{firewall=\"fw-1\"} \(own(first) ?? -1)")
                && metrics.contains("rampart_manager_firewall_sessions{firewall=\"fw-2\"} \(own(second) ?? -1)")
        })
        let metrics = manager.metrics()
        #expect(metrics.contains("rampart_manager_firewall_session_share{firewall=\"fw-1\"}"))
        #expect(!metrics.contains("rampart_manager_firewall_sessions{firewall=\"fw-down\"}"))
        let shares = FirewallShares.of(manager.policy!.pushers)
        #expect(shares.map(\.name) == ["fw-1", "fw-2", "fw-down"])
        #expect(shares[0].reachable && shares[1].reachable && !shares[2].reachable)
        #expect(shares[2].sessions == nil && shares[2].share == 0 && shares[2].error != nil)
        #expect(shares[0].readAt != nil)
    }
}
