import Foundation
import RampartTestSupport
import Testing
@testable import RampartKube
@testable import RampartManager
import RampartWire

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real `rampart-firewall`, on loopback ports, with its tag state in a file.
final class LoopbackFirewall {
    let folder: URL
    let adminPort = freePort()
    let tunnelPort = freePort(type: Int32(SOCK_DGRAM.rawValue))
    var pid: Int32 = 0
    var admin: String { "http://127.0.0.1:\(adminPort)" }

    /// - Parameter tagState: keep admin tags in a file across restarts; without it a restarted
    ///   firewall comes back with no admin tags at all.
    init(tagState: Bool = true) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-mgr-fw-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: manager-test}
            spec:
              listen: 127.0.0.1:\(tunnelPort)
              admin: 127.0.0.1:\(adminPort)
              probes: 127.0.0.1:\(freePort())   # not the admin port + 1, which another listener of the run may hold
              events: \(folder.path)/eve.json
              tagState: \(tagState ? folder.path + "/tags.json" : "off")
              workers: 1
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: manager-test}
            spec:
              zones:
                - {name: pods, networks: [10.244.0.0/16]}
              rules:
                - name: web
                  from: [pods]
                  to: [pods]
                  action: allow
            """.write(to: folder.appendingPathComponent("firewall.yaml"), atomically: true, encoding: .utf8)
        try start()
    }

    func start() throws {
        guard let binary = TestShell.executable(named: "rampart-firewall", packageRoot: packageRoot) else {
            throw KubeTestServerError("rampart-firewall is not built")
        }
        let (status, output) = try TestShell.run(
            // A command of its own after TestShell's `cd dir &&`, so $! is the firewall itself.
            "true\n'\(binary.path)' --config '\(folder.path)/firewall.yaml' >>'\(folder.path)/out' 2>>'\(folder.path)/err' </dev/null & echo $!",
            in: packageRoot)
        guard status == 0, let value = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw KubeTestServerError("cannot start the firewall: \(output)")
        }
        pid = value
        guard eventually(10, { (try? self.get("/healthz"))?.status == 200 }) else {
            throw KubeTestServerError("the firewall did not answer: \((try? String(contentsOf: folder.appendingPathComponent("err"), encoding: .utf8)) ?? "")")
        }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<250 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    func get(_ path: String) throws -> HTTPResponse {
        try HTTPConnection(connectTimeout: 1).request(url: admin + path, timeout: 2)
    }

    /// The firewall's admin tags for an address (empty when it has none).
    func tags(of address: String) -> [String] {
        guard let response = try? get("/tags?address=\(address)"), response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { return [] }
        return object["tags"] as? [String] ?? []
    }

    /// `GET /tags`: the last sequence accepted and how many addresses hold admin tags.
    func summary() -> (sequence: Int, addresses: Int)? {
        guard let response = try? get("/tags"), response.status == 200,
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let sequence = object["sequence"] as? Int, let addresses = object["addresses"] as? Int
        else { return nil }
        return (sequence, addresses)
    }

    func post(_ path: String, _ body: String) throws -> HTTPResponse {
        try HTTPConnection(connectTimeout: 1).request(method: "POST", url: admin + path, body: Array(body.utf8), timeout: 2)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

@Suite("Manager end to end: API server → manager → firewall", .serialized)
struct ManagerEndToEndTests {
    @Test func tagsReachTheFirewallAndSurviveRestartsOfBoth() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot, arguments: "--bookmark-interval 1")
        defer { server.stop() }
        try server.control("POST", "/objects", #"[{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","labels":{"team":"pay"}}},{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"other"}}]"#)
        try server.control("POST", "/objects", "[" + [
            KubeTestServer.pod("shop", "web-1", ip: "10.244.1.1", labels: ["app": "web"]),
            KubeTestServer.pod("shop", "web-2", ip: "10.244.1.2", labels: ["app": "web"]),
        ].joined(separator: ",") + "]")

        let firewall = try LoopbackFirewall()
        defer { firewall.stop() }
        let folder = firewall.folder
        var configuration = ManagerConfiguration()
        configuration.state = folder.appendingPathComponent("manager.sqlite").path
        configuration.clusters = [ClusterConfiguration(name: "lab", clusterID: ClusterID(7)!, source: .kubeconfig(path: server.kubeconfig, context: nil), tagStyle: .both)]
        configuration.firewalls = [FirewallTarget(name: "fw-1", admin: firewall.admin)]

        var manager = try Manager(configuration: configuration)
        manager.start()
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("label:app=web") })
        #expect(firewall.tags(of: "10.244.1.1").contains("k8s.cl_lab.ns_shop"))
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("nslabel:team=pay") })
        #expect(eventually { manager.isReady }, "\(manager.readiness())")
        let beforeChange = Date().timeIntervalSince1970
        Thread.sleep(forTimeInterval: 0.05)

        // A label change, a deletion, and the freed IP taken by a pod of another namespace.
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-1", ip: "10.244.1.1", labels: ["app": "api"]))
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("label:app=api") })
        try server.control("DELETE", "/objects/pods/shop/web-2")
        #expect(eventually { firewall.tags(of: "10.244.1.2").isEmpty })
        try server.control("POST", "/objects", KubeTestServer.pod("other", "batch-1", ip: "10.244.1.2"))
        #expect(eventually { firewall.tags(of: "10.244.1.2").contains("ns:other") })
        #expect(!firewall.tags(of: "10.244.1.2").contains("ns:shop"))

        // The audit log answers what 10.244.1.1 was before the change.
        let then = try manager.audit(address: "10.244.1.1", at: beforeChange)
        #expect(then?.tags.contains("label:app=web") == true)
        let history = try manager.history(address: "10.244.1.2", from: 0, to: .greatestFiniteMagnitude)
        #expect(history.first?.reason.hasSuffix("listed") == true)
        #expect(history.suffix(2).map(\.reason) == ["pod shop/web-2 deleted", "pod other/batch-1 added"])

        // The firewall restarts (keeping its tag state); a change made while it is down
        // arrives by the full resync after it is back.
        firewall.stop()
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-3", ip: "10.244.1.3", labels: ["app": "web"]))
        Thread.sleep(forTimeInterval: 0.3)
        try firewall.start()
        #expect(eventually { firewall.tags(of: "10.244.1.3").contains("ns:shop") })
        #expect(firewall.tags(of: "10.244.1.2").contains("ns:other"))
        let pushStatus = manager.pushers[0].status
        #expect(pushStatus.fullSyncs >= 2, "\(pushStatus)")

        // The manager restarts from its state file; a pod deleted while it was away is removed.
        manager.stop()
        try server.control("DELETE", "/objects/pods/shop/web-3")
        manager = try Manager(configuration: configuration)
        manager.start()
        defer { manager.stop() }
        #expect(eventually { firewall.tags(of: "10.244.1.3").isEmpty })
        #expect(try manager.history(address: "10.244.1.3", from: 0, to: .greatestFiniteMagnitude).last?.reason == "gone while the manager was not watching")
        #expect(firewall.tags(of: "10.244.1.1").contains("label:app=api"))

        // The API answers over HTTP.
        let api = ManagerAPI(manager: manager)
        let listener = try api.listener(address: "127.0.0.1:0", tokens: nil)
        listener.start()
        defer { listener.stop() }
        let connection = try HTTPConnection()
        let clusters = try connection.request(url: "http://127.0.0.1:\(listener.port)/clusters")
        #expect(clusters.status == 200 && clusters.text.contains("\"name\":\"lab\""))
        let audit = try connection.request(url: "http://127.0.0.1:\(listener.port)/audit?address=10.244.1.1&at=\(beforeChange)")
        #expect(audit.text.contains("label:app=web"))
        let metrics = try connection.request(url: "http://127.0.0.1:\(listener.port)/metrics")
        #expect(metrics.text.contains("rampart_manager_firewall_connected{firewall=\"fw-1\"} 1"))
        #expect(metrics.text.contains("rampart_manager_push_seconds_bucket"))
        let missing = try connection.request(url: "http://127.0.0.1:\(listener.port)/audit")
        #expect(missing.status == 400)
    }

    @Test func twoClustersInOneMapAndAnOverlapIsCounted() throws {
        let first = try KubeTestServer.start(packageRoot: packageRoot)
        defer { first.stop() }
        let second = try KubeTestServer.start(packageRoot: packageRoot)
        defer { second.stop() }
        try first.control("POST", "/objects", KubeTestServer.pod("shop", "a", ip: "10.1.0.1"))
        try second.control("POST", "/objects", KubeTestServer.pod("shop", "b", ip: "10.2.0.1"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-two-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = ManagerConfiguration()
        configuration.state = folder.appendingPathComponent("m.sqlite").path
        configuration.clusters = [
            ClusterConfiguration(name: "east", clusterID: ClusterID(1)!, source: .kubeconfig(path: first.kubeconfig, context: nil)),
            ClusterConfiguration(name: "west", clusterID: ClusterID(2)!, source: .kubeconfig(path: second.kubeconfig, context: "rampart-cert")),
        ]
        // A firewall that gets only east's addresses.
        let eastOnly = try LoopbackFirewall()
        defer { eastOnly.stop() }
        configuration.firewalls = [FirewallTarget(name: "fw-east", admin: eastOnly.admin, clusters: ["east"])]
        let manager = try Manager(configuration: configuration)
        manager.start()
        defer { manager.stop() }
        #expect(eventually { eastOnly.tags(of: "10.1.0.1").contains("cluster:east") })
        #expect(eastOnly.tags(of: "10.2.0.1").isEmpty, "west's address went to a firewall of east only")
        #expect(eventually { manager.tags(of: "10.1.0.1")?.tags.contains("cluster:east") == true })
        #expect(eventually { manager.tags(of: "10.2.0.1")?.tags.contains("cluster:west") == true })
        #expect(eventually { manager.isReady }, "\(manager.readiness())")
        // West's pod network overlaps east's: the later claim wins, and it is counted.
        try second.control("POST", "/objects", KubeTestServer.pod("shop", "c", ip: "10.1.0.1"))
        #expect(eventually { manager.tags(of: "10.1.0.1")?.cluster == "west" })
        // East's firewall must not keep east's tags on an address west now holds.
        #expect(eventually { eastOnly.tags(of: "10.1.0.1").isEmpty })
        #expect(manager.metrics().contains("rampart_manager_address_conflicts_total 1"))
        #expect(try manager.history(address: "10.1.0.1", from: 0, to: .greatestFiniteMagnitude).last?.reason.contains("overlap") == true)
    }

    @Test func theCredentialFileComesFromTheTokenSecret() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        let token = Data("watcher-token".utf8).base64EncodedString()
        let ca = try Data(contentsOf: URL(fileURLWithPath: server.caPath)).base64EncodedString()
        let admin = try ClusterCredentials.kubeconfig(at: server.kubeconfig)
        #expect(throws: KubeError.self) { try CredentialFile.make(from: admin) }
        try server.control("POST", "/objects", #"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"rampart-watcher-token","namespace":"rampart-system","annotations":{"kubernetes.io/service-account.name":"rampart-watcher"}},"type":"kubernetes.io/service-account-token","data":{"token":"\#(token)","ca.crt":"\#(ca)"}}"#)
        let text = try CredentialFile.make(from: admin)
        let file = folderFile(text)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let credentials = try ClusterCredentials.credentialFile(at: file)
        #expect(credentials.token == "watcher-token")
        #expect(credentials.server == server.server)
        #expect(credentials.tls.certificateAuthority != nil)
    }

    func folderFile(_ text: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-cred-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}

/// A lab of `count` pods in namespace `shop` (10.244.X.Y), the manager's configuration for
/// it and one firewall.
struct PushLab {
    let server: KubeTestServer
    let firewall: LoopbackFirewall
    var configuration = ManagerConfiguration()
    let count: Int

    init(pods count: Int, tagState: Bool) throws {
        self.count = count
        server = try KubeTestServer.start(packageRoot: packageRoot)
        try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}"#)
        if count > 0 {
            try server.control("POST", "/objects", "[" + (0..<count).map {
                KubeTestServer.pod("shop", "web-\($0)", ip: PushLab.address($0), labels: ["app": "web"])
            }.joined(separator: ",") + "]")
        }
        firewall = try LoopbackFirewall(tagState: tagState)
        configuration.state = firewall.folder.appendingPathComponent("manager.sqlite").path
        configuration.clusters = [ClusterConfiguration(name: "lab", clusterID: ClusterID(7)!, source: .kubeconfig(path: server.kubeconfig, context: nil))]
        configuration.firewalls = [FirewallTarget(name: "fw-1", admin: firewall.admin)]
    }

    static func address(_ index: Int) -> String { "10.244.\(1 + index / 250).\(1 + index % 250)" }

    func stop() {
        firewall.stop()
        server.stop()
    }
}

/// Lines a manager logged.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

@Suite("Manager keeps firewalls whole: restarts, foreign writers, readiness, failures", .serialized)
struct ManagerResyncTests {
    /// A firewall restarted without `tagState` comes back empty. Nothing changes in the
    /// cluster, so no push would ever reach it: the manager's timer notices the new run and
    /// sends the whole map.
    @Test func aFirewallRestartedWithoutStateGetsTheWholeMapWhileNothingChanges() throws {
        var lab = try PushLab(pods: 300, tagState: false)
        defer { lab.stop() }
        lab.configuration.firewallCheckSeconds = 2
        let manager = try Manager(configuration: lab.configuration)
        manager.start()
        defer { manager.stop() }
        #expect(eventually { manager.isReady && lab.firewall.summary()?.addresses == 300 })

        // Every admin answer names the firewall's run; a restart is a new one.
        let before = try lab.firewall.get("/healthz").headers["x-rampart-boot-id"]
        #expect(before?.count == 32)
        #expect(try lab.firewall.get("/nowhere").headers["x-rampart-boot-id"] == before)
        #expect(manager.pushers[0].status.boot == before)

        lab.firewall.stop()
        try lab.firewall.start()
        let after = try lab.firewall.get("/tags")
        #expect(after.headers["x-rampart-boot-id"] != before && after.text.contains("\"boot\": \"\(after.headers["x-rampart-boot-id"] ?? "-")\""))
        #expect(lab.firewall.summary()?.addresses == 0, "the firewall kept its tags without tagState")
        let restarted = Date()
        #expect(eventually(8) { lab.firewall.summary()?.addresses == 300 })
        let took = Date().timeIntervalSince(restarted)
        #expect(took < 2 + 1.5, "the whole map came back after \(took) s; the check runs every 2 s")
        #expect(lab.firewall.tags(of: PushLab.address(299)).contains("label:app=web"))
        #expect(eventually(2) { manager.isReady })
        // A resync for the new boot id (or, had the check caught the firewall down, after
        // the failure): either way a second full sync.
        #expect(manager.pushers[0].status.fullSyncs == 2, "\(manager.pushers[0].status)")
        #expect(manager.metrics().contains("rampart_manager_firewall_in_sync{firewall=\"fw-1\"} 1"))
    }

    /// A change in flight when the firewall comes back: its small update is accepted on its
    /// own by the empty firewall (its sequence is above 0). The answer carries the new run's
    /// boot id, so the manager follows it with the whole map at once, long before its timer.
    @Test func aChangeInFlightToARestartedFirewallIsFollowedByTheWholeMap() throws {
        var lab = try PushLab(pods: 300, tagState: false)
        defer { lab.stop() }
        lab.configuration.firewallCheckSeconds = 600
        let manager = try Manager(configuration: lab.configuration)
        manager.start()
        defer { manager.stop() }
        #expect(eventually { manager.isReady && lab.firewall.summary()?.addresses == 300 },
                "\(manager.readiness()) \(String(describing: lab.firewall.summary())) \(manager.pushers[0].status)")

        lab.firewall.stop()
        try lab.firewall.start()
        try lab.server.control("POST", "/objects", KubeTestServer.pod("shop", "web-7", ip: PushLab.address(7), labels: ["app": "api"]))
        #expect(eventually(3) { lab.firewall.summary()?.addresses == 300 }, "\(String(describing: lab.firewall.summary()))")
        #expect(lab.firewall.tags(of: PushLab.address(7)).contains("label:app=api"))
        #expect(lab.firewall.tags(of: PushLab.address(8)).contains("label:app=web"))
        #expect(manager.pushers[0].status.resyncs == 1, "\(manager.pushers[0].status)")
        #expect(manager.metrics().contains("rampart_manager_firewall_resyncs_total{firewall=\"fw-1\"} 1"))
    }

    /// Someone else writes to the firewall (a second manager restored from a backup, an
    /// operator with curl): a higher sequence and an empty map, same firewall run. The
    /// timer's check sees a sequence the manager did not send and resyncs.
    @Test func aForeignWriterIsUndoneByTheNextCheck() throws {
        var lab = try PushLab(pods: 50, tagState: true)
        defer { lab.stop() }
        lab.configuration.firewallCheckSeconds = 2
        let manager = try Manager(configuration: lab.configuration)
        manager.start()
        defer { manager.stop() }
        #expect(eventually { manager.isReady && lab.firewall.summary()?.addresses == 50 },
                "\(manager.readiness()) \(String(describing: lab.firewall.summary())) \(manager.pushers[0].status)")
        let wiped = try lab.firewall.post("/tags", #"{"sequence": 1000000, "replace": true, "updates": []}"#)
        #expect(wiped.status == 202)
        #expect(lab.firewall.summary()?.addresses == 0)
        #expect(eventually(5) { lab.firewall.summary()?.addresses == 50 })
        #expect((lab.firewall.summary()?.sequence ?? 0) > 1_000_000)
    }

    /// Ready means every firewall holds the map: at the first moment `/readyz` says 200,
    /// the firewall already has every address.
    @Test func readyOnlyOnceTheFirewallHoldsTheWholeMap() throws {
        let lab = try PushLab(pods: 1500, tagState: false)
        defer { lab.stop() }
        let manager = try Manager(configuration: lab.configuration)
        let api = ManagerAPI(manager: manager)
        #expect(api.handle(HTTPRequest(method: "GET", path: "/readyz", query: [:], body: [])).status == 503)
        manager.start()
        defer { manager.stop() }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline && api.handle(HTTPRequest(method: "GET", path: "/readyz", query: [:], body: [])).status != 200 {
            usleep(500)
        }
        let held = lab.firewall.summary()?.addresses ?? -1
        #expect(held == 1500, "ready while the firewall held \(held) of 1500 addresses")
    }

    /// Push failures are logged, not only counted: one JSON line naming the firewall, the
    /// status and the error, rate-limited, and a line when pushes work again.
    @Test func pushFailuresAreLoggedAndRateLimited() throws {
        let lab = try PushLab(pods: 5, tagState: false)
        defer { lab.stop() }
        lab.firewall.stop()
        let lines = LogLines()
        let manager = try Manager(configuration: lab.configuration, log: lines.append)
        manager.start()
        defer { manager.stop() }
        #expect(eventually(5) { manager.pushers[0].status.failures >= 5 })
        let failed = lines.all.filter { $0.contains("\"push-failed\"") }
        #expect(failed.count >= 1 && failed.count < manager.pushers[0].status.failures, "\(failed.count) lines for \(manager.pushers[0].status.failures) failures")
        let first = failed.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(first?["firewall"] as? String == "fw-1")
        #expect(first?["status"] != nil)
        #expect((first?["error"] as? String)?.isEmpty == false)
        try lab.firewall.start()
        #expect(eventually(15) { lines.all.contains { $0.contains("\"push-recovered\"") } })
        #expect(eventually { lab.firewall.summary()?.addresses == 5 })
    }
}
