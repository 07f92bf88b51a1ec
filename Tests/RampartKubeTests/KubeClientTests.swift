import Foundation
import RampartTestSupport
import RampartPOSIX
import Testing
@testable import RampartKube

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Kubernetes client against the local API test server", .serialized)
struct KubeClientTests {
    @Test func listsInPagesWithTokenAndWithClientCertificate() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}"#)
        let pods = (0..<12).map { KubeTestServer.pod("shop", "p\($0)", ip: "10.244.0.\($0 + 1)", serviceAccount: "default") }
        try server.control("POST", "/objects", "[" + pods.joined(separator: ",") + "]")

        let byToken = try KubeClient(credentials: .kubeconfig(at: server.kubeconfig))
        let listed = try byToken.listAll(Pod.self, pageSize: 5)
        #expect(listed.items.count == 12)
        #expect(Int(listed.resourceVersion) != nil)
        let byCertificate = try KubeClient(credentials: .kubeconfig(at: server.kubeconfig, context: "rampart-cert"))
        #expect(try byCertificate.listAll(Pod.self, pageSize: 5).items.count == 12)
        let requests = try server.control("GET", "/requests")
        #expect(requests.contains("\"auth\": \"cert\"") || requests.contains("\"auth\":\"cert\""))
        // Three pages of 5 for each client.
        #expect(requests.components(separatedBy: "continue").count - 1 >= 4)
        let one = try byToken.get(Pod.self, name: "p3", namespace: "shop")
        #expect(one.addresses == ["10.244.0.4"])
    }

    @Test func badCredentialsAndAWrongCAAreClearErrors() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        var credentials = try ClusterCredentials.kubeconfig(at: server.kubeconfig)
        credentials.token = "wrong"
        #expect(throws: KubeError.unauthorized(url: "\(server.server)/api/v1/namespaces", message: "Unauthorized")) {
            try KubeClient(credentials: credentials).listAll(Namespace.self)
        }
        var wrongCA = try ClusterCredentials.kubeconfig(at: server.kubeconfig)
        wrongCA.tls.certificateAuthority = Array(FileManager.default.contents(atPath: server.folder.appendingPathComponent("certs/other-ca.crt").path)!)
        do {
            _ = try KubeClient(credentials: wrongCA).listAll(Namespace.self)
            Issue.record("a server signed by another CA was trusted")
        } catch {
            guard case .transport(_, let detail) = error else { Issue.record("unexpected \(error)"); return }
            #expect(detail.lowercased().contains("certificate"))
        }
        let unreachable = ClusterCredentials(server: "https://127.0.0.1:1", token: "x")
        #expect(throws: KubeError.self) { try KubeClient(credentials: unreachable).listAll(Namespace.self) }
    }

    @Test func aSlowServerTimesOutAndIsRetried() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/faults", #"{"delay_ms": 1500}"#)
        let client = try KubeClient(credentials: .kubeconfig(at: server.kubeconfig), requestTimeout: 0.5)
        do {
            _ = try client.listAll(Namespace.self)
            Issue.record("a response slower than the request timeout was waited for")
        } catch {
            guard case .transport(_, let detail) = error else { Issue.record("unexpected \(error)"); return }
            #expect(detail.lowercased().contains("timed out") || detail.lowercased().contains("timeout"))
        }
        // The reflector keeps trying and gets through once the server is quick again.
        try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"late"}}"#)
        let state = ClusterState(scheme: TagScheme(cluster: "c")) { _ in }
        var settings = Reflector<Namespace>.Settings()
        settings.requestTimeout = 0.5
        settings.backoff = Backoff(initial: 0.05, ceiling: 0.2)
        let statuses = StatusLog()
        let reflector = Reflector<Namespace>(credentials: try .kubeconfig(at: server.kubeconfig), settings: settings,
                                             onStatus: statuses.append) { state.apply($0) }
        let stop = StopSignal()
        let thread = Thread { reflector.run(until: stop) }
        thread.start()
        defer {
            stop.stop()
            while thread.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(eventually { statuses.all.contains { if case .failed = $0 { return true }; return false } })
        try server.control("POST", "/faults", #"{"clear": true}"#)
        #expect(eventually { statuses.all.contains(.synced(resource: "namespaces", objects: 1)) })
    }

    @Test func malformedObjectsAreLeftOutAndNamed() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", "[" + KubeTestServer.pod("a", "good", ip: "10.0.0.1", serviceAccount: "default") + ","
            + #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"bad","namespace":"a"},"status":{"podIPs":"not-a-list"}}"# + "]")
        let listed = try KubeClient(credentials: .kubeconfig(at: server.kubeconfig)).listAll(Pod.self)
        #expect(listed.items.map(\.metadata.name) == ["good"])
        #expect(listed.rejected.count == 1)
        #expect(listed.rejected.first?.contains("a/bad") == true)
        #expect(listed.rejected.first?.contains("status.podIPs: expected a list") == true)
    }

    @Test func watcherFollowsChangesAndRecoversFromEveryFault() throws {
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}"#)
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-1", ip: "10.244.1.1", labels: ["app": "web"], serviceAccount: "default"))
        // A token file, so a rotated token is picked up without a restart.
        let tokenFile = server.folder.appendingPathComponent("token").path
        try server.token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        var credentials = try ClusterCredentials.kubeconfig(at: server.kubeconfig)
        credentials.token = nil
        credentials.tokenFile = tokenFile

        let log = UpdateLog()
        let statuses = StatusLog()
        let state = ClusterState(scheme: TagScheme(cluster: "lab"), onUpdate: log.append)
        var settings = Reflector<Pod>.Settings()
        // Watches of 2-3 s that end cleanly all through the test; a stall is a connection
        // silent past that (Reflector.stallWindow: 7-8 s).
        settings.watchTimeoutSeconds = 3
        settings.backoff = Backoff(initial: 0.05, ceiling: 0.5)
        let watcher = ClusterWatcher(credentials: credentials, state: state, settings: settings, onStatus: statuses.append)
        watcher.start()
        defer { watcher.stop() }

        #expect(eventually { watcher.isSynced && state.tags(of: "10.244.1.1").contains("label:app=web") })

        // Live changes: a label change, a new pod, a deletion.
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-1", ip: "10.244.1.1", labels: ["app": "api"], serviceAccount: "default"))
        #expect(eventually { state.tags(of: "10.244.1.1").contains("label:app=api") })
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-2", ip: "10.244.1.2", serviceAccount: "default"))
        #expect(eventually { !state.tags(of: "10.244.1.2").isEmpty })

        // A broken connection: the watch resumes from its resourceVersion.
        try server.control("POST", "/faults", #"{"break_watches": true}"#)
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-3", ip: "10.244.1.3", serviceAccount: "default"))
        #expect(eventually { !state.tags(of: "10.244.1.3").isEmpty })

        // History compacted while disconnected: 410, then a new list that notices the deletion.
        try server.control("DELETE", "/objects/pods/shop/web-2")
        try server.control("POST", "/faults", #"{"compact": true}"#)
        try server.control("POST", "/faults", #"{"break_watches": true}"#)
        #expect(eventually { state.tags(of: "10.244.1.2").isEmpty })

        // A stalled connection (nothing at all, and no end at the watch's timeout) is
        // abandoned after the stall window, and the change arrives once the server is back.
        try server.control("POST", "/faults", #"{"stall_watches_seconds": 12}"#)
        Thread.sleep(forTimeInterval: 0.2)
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-4", ip: "10.244.1.4", serviceAccount: "default"))
        #expect(eventually(20) { !state.tags(of: "10.244.1.4").isEmpty })
        #expect(statuses.all.contains { if case .failed(_, .transport(_, let d), _) = $0 { return d.contains("stall") || d.contains("Operation too slow") || d.contains("timed out") }; return false })

        // Server errors are retried.
        try server.control("POST", "/faults", #"{"clear": true}"#)
        try server.control("POST", "/faults", #"{"fail_next": {"count": 3, "status": 503}}"#)
        try server.control("POST", "/faults", #"{"break_watches": true}"#)
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-5", ip: "10.244.1.5", serviceAccount: "default"))
        #expect(eventually { !state.tags(of: "10.244.1.5").isEmpty })

        // An expired token: 401 until the token file holds the new one.
        try server.control("POST", "/faults", #"{"expire_tokens": true, "token": "rotated-token"}"#)
        try server.control("POST", "/faults", #"{"break_watches": true}"#)
        #expect(eventually { statuses.all.contains { if case .failed(_, .unauthorized, _) = $0 { return true }; return false } })
        try "rotated-token".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-6", ip: "10.244.1.6", serviceAccount: "default"))
        #expect(eventually { !state.tags(of: "10.244.1.6").isEmpty })
    }
}

extension KubeClientTests {
    /// A real API server sends nothing at all, not even a bookmark, on a watch of a resource
    /// that does not change, and ends the watch cleanly at its `timeoutSeconds`. Silence for
    /// longer than the old stall timeout is no failure: no backoff, no "failed" status, and
    /// a change after it arrives at once (it took 18 s against a real server).
    @Test func aSilentResourceIsNotAStall() throws {
        // The test server's defaults: bookmarks only as the real one sends them, none here.
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","labels":{"team":"a"}}}"#)
        let team = LatestValue()
        let statuses = StatusLog()
        var settings = Reflector<Namespace>.Settings()
        settings.stallTimeout = 2          // shorter than the watch: it must not cut a silent watch
        settings.watchTimeoutSeconds = 3   // the server ends each watch cleanly after 2.4-3 s
        let reflector = Reflector<Namespace>(credentials: try .kubeconfig(at: server.kubeconfig), settings: settings,
                                             onStatus: statuses.append) { change in
            switch change {
            case .replaced(let all): team.set(all.first?.metadata.labels?["team"])
            case .upserted(let namespace): team.set(namespace.metadata.labels?["team"])
            case .deleted: team.set(nil)
            }
        }
        let stop = StopSignal()
        let thread = Thread { reflector.run(until: stop) }
        thread.start()
        defer {
            stop.stop()
            while thread.isExecuting { Thread.sleep(forTimeInterval: 0.01) }
        }
        #expect(eventually { statuses.all.contains(.synced(resource: "namespaces", objects: 1)) })
        #expect(team.value == "a")
        // Silent for 9 s: three times the old stall timeout, and three clean watch ends.
        let silentUntil = Date().addingTimeInterval(9)
        var worstBackoff = 0
        while Date() < silentUntil {
            worstBackoff = max(worstBackoff, reflector.consecutiveFailures)
            Thread.sleep(forTimeInterval: 0.05)
        }
        let failures = statuses.all.filter { if case .failed = $0 { return true }; return false }
        #expect(failures.isEmpty, "a silent watch was taken for a failure: \(failures)")
        #expect(worstBackoff == 0, "the backoff grew across clean watch ends")
        let watches = try server.control("GET", "/requests").components(separatedBy: "timeoutSeconds=").count - 1
        #expect(watches >= 3, "the server's clean watch ends were not followed by new watches (\(watches) watches)")

        // A change after the silence is seen within a second.
        let changed = Date()
        try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop","labels":{"team":"b"}}}"#)
        #expect(eventually(5) { team.value == "b" })
        let latency = Date().timeIntervalSince(changed)
        #expect(latency < 1, "the change took \(latency) s")
        #expect(reflector.consecutiveFailures == 0)
    }
}

final class LatestValue: @unchecked Sendable {
    private let lock = NSLock()
    private var current: String?
    func set(_ value: String?) { lock.withLock { current = value } }
    var value: String? { lock.withLock { current } }
}

final class StatusLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [ReflectorStatus] = []
    func append(_ status: ReflectorStatus) { lock.withLock { list.append(status) } }
    var all: [ReflectorStatus] { lock.withLock { list } }
}
