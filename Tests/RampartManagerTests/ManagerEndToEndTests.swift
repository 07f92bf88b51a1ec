import Foundation
import RampartTestSupport
import Testing
@testable import RampartKube
@testable import RampartManager

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The real `rampart-firewall`, on loopback ports, with its tag state in a file.
final class LoopbackFirewall {
    let folder: URL
    let adminPort = freePort()
    let tunnelPort = freePort(type: Int32(SOCK_DGRAM.rawValue))
    var pid: Int32 = 0
    var admin: String { "http://127.0.0.1:\(adminPort)" }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-mgr-fw-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: manager-test}
            spec:
              listen: 127.0.0.1:\(tunnelPort)
              admin: 127.0.0.1:\(adminPort)
              events: \(folder.path)/eve.json
              tagState: \(folder.path)/tags.json
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
        configuration.clusters = [ClusterConfiguration(name: "lab", id: 7, source: .kubeconfig(path: server.kubeconfig, context: nil), tagStyle: .both)]
        configuration.firewalls = [FirewallTarget(name: "fw-1", admin: firewall.admin)]

        var manager = try Manager(configuration: configuration)
        manager.start()
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("label:app=web") })
        #expect(firewall.tags(of: "10.244.1.1").contains("k8s.cl_lab.ns_shop"))
        #expect(eventually { firewall.tags(of: "10.244.1.1").contains("nslabel:team=pay") })
        #expect(eventually { manager.isReady })
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
            ClusterConfiguration(name: "east", id: 1, source: .kubeconfig(path: first.kubeconfig, context: nil)),
            ClusterConfiguration(name: "west", id: 2, source: .kubeconfig(path: second.kubeconfig, context: "rampart-cert")),
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
        #expect(eventually { manager.isReady })
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
