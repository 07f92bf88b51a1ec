import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager

/// The console's sums of the log store (FlowAggregates): connections per workload pair,
/// application and rule, counted as allowed, denied or threat, loaded once per window and
/// then only the new records; and the map's edges drawn from them. Each test runs on both
/// stores: SQLite (the records summed in SQL) and a private PostgreSQL cluster (the sums
/// table its writer keeps with the records).
@Suite("Log store: the console's flow sums", .serialized)
struct FlowAggregatesTests {
    static let stores = ["sqlite", "postgres"]

    /// A log store of `kind` for one test; nil (with a line saying why) when PostgreSQL's
    /// server is not installed.
    final class TestStore {
        let store: any LogBackend
        let folder: URL
        let cluster: PostgresTestCluster?

        static func make(_ kind: String) throws -> TestStore? {
            if kind == "postgres" {
                if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return nil }
                let cluster = try PostgresTestCluster.start()
                return TestStore(store: try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile),
                                 folder: cluster.folder, cluster: cluster)
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-sums-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return TestStore(store: try LogStore(path: folder.appendingPathComponent("logs.sqlite").path), folder: folder, cluster: nil)
        }

        private init(store: any LogBackend, folder: URL, cluster: PostgresTestCluster?) {
            self.store = store
            self.folder = folder
            self.cluster = cluster
        }

        func remove() {
            if let cluster { cluster.remove() } else { try? FileManager.default.removeItem(at: folder) }
        }
    }

    static let map: [String: [String]] = [
        "10.244.1.1": ["cluster:lab", "ns:shop", "pod:shop/web-1", "workload:web"],
        "10.244.1.2": ["cluster:lab", "ns:shop", "pod:shop/web-2", "workload:web"],
        "10.244.2.1": ["cluster:lab", "ns:shop", "pod:shop/db-0", "workload:db"],
        "10.244.3.1": ["cluster:lab", "ns:tools", "pod:tools/shell"],
    ]
    /// 2026-12-04T11:00:00Z
    static let eleven = 1_796_382_000.0

    func time(_ minutesAfterEleven: Int, second: Int = 0) -> String {
        "2026-12-04T11:\(String(format: "%02d", minutesAfterEleven)):\(String(format: "%02d", second)).000000+0000"
    }

    func records(_ lines: [String]) -> [LogRecord] {
        lines.compactMap { LogRecord(eve: $0, firewall: "fw-1", tags: { FlowAggregatesTests.map[$0] }) }
    }

    @Test(arguments: FlowAggregatesTests.stores)
    func connectionsAreSummedPerWorkloadPairAndVerdictThenOnlyNewRecordsAreRead(kind: String) throws {
        guard let test = try TestStore.make(kind) else { return }
        defer { test.remove() }
        let store = test.store
        let alert = "{\"timestamp\":\"\(time(5))\",\"event_type\":\"alert\",\"src_ip\":\"10.244.3.1\",\"src_port\":1,\"dest_ip\":\"10.244.2.1\","
            + "\"dest_port\":5432,\"proto\":\"TCP\",\"alert\":{\"action\":\"allowed\",\"signature\":\"ET EXPLOIT x\"},\"rampart\":{\"rule\":\"tools-db\"}}"
        let dns = "{\"timestamp\":\"\(time(5))\",\"event_type\":\"dns\",\"src_ip\":\"10.244.1.1\",\"dest_ip\":\"10.244.2.1\",\"dest_port\":53}"
        try store.insert(records([
            eveFlow(time: time(1), src: "10.244.1.1", dest: "10.244.2.1", action: "allow", rule: "web-db"),
            eveFlow(time: time(2), src: "10.244.1.2", dest: "10.244.2.1", action: "allow", rule: "web-db"),
            eveFlow(time: time(3), src: "10.244.1.2", dest: "10.244.2.1", action: "deny", rule: "no-db"),
            eveFlow(time: time(4), src: "10.244.1.1", dest: "10.244.2.1", action: "reset-both", rule: "no-db"),
            alert, dns,
            // Outside the 15-minute window asked first (10:40).
            eveFlow(time: "2026-12-04T10:40:00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1", action: "allow", rule: "web-db"),
            // An end with no identity: kept by address.
            eveFlow(time: time(6), src: "192.0.2.7", dest: "10.244.1.1", port: 80, app: "http", action: "allow", rule: "ingress"),
        ]))
        let sums = FlowAggregates(source: try store.flowSums())
        var now = FlowAggregatesTests.eleven + 600
        var window = try sums.window(since: now - 900, now: now)
        func counts(_ source: String, _ destination: String, rule: String) -> FlowAggregates.Counts? {
            window.first { $0.key.source == source && $0.key.destination == destination && $0.key.rule == rule }?.value
        }
        #expect(counts("lab/shop/web", "lab/shop/db", rule: "web-db") == .init(allowed: 2, denied: 0, threats: 0),
                "both web pods are one workload; the 10:40 record is outside the window")
        #expect(counts("lab/shop/web", "lab/shop/db", rule: "no-db") == .init(allowed: 0, denied: 2, threats: 0), "deny and reset-both refuse")
        #expect(counts("lab/tools/shell", "lab/shop/db", rule: "tools-db") == .init(allowed: 0, denied: 0, threats: 1),
                "an alert is a threat; a pod without a controller is its own workload")
        #expect(counts("192.0.2.7", "lab/shop/web", rule: "ingress") == .init(allowed: 1, denied: 0, threats: 0))
        #expect(window.count == 4, "dns records describe sessions already counted: \(window.keys)")
        let firstSummed = sums.recordsSummed
        #expect(firstSummed == 6)

        // New records: only they are read, after refreshSeconds.
        try store.insert(records([eveFlow(time: time(9), src: "10.244.1.1", dest: "10.244.2.1", action: "allow", rule: "web-db")]))
        window = try sums.window(since: now - 900, now: now)
        #expect(counts("lab/shop/web", "lab/shop/db", rule: "web-db")?.allowed == 2, "not before refreshSeconds")
        now += 1
        window = try sums.window(since: now - 900, now: now)
        #expect(counts("lab/shop/web", "lab/shop/db", rule: "web-db")?.allowed == 3)
        #expect(sums.recordsSummed == firstSummed + 1, "the refresh read the one new record, not the window again")

        // A longer window loads only the older minutes.
        window = try sums.window(since: now - 3600, now: now)
        #expect(counts("lab/shop/web", "lab/shop/db", rule: "web-db")?.allowed == 4)
        #expect(sums.recordsSummed == firstSummed + 2)

        // The map: the two workloads and their edge, drawn from the records alone when the tag
        // map does not know the pods.
        let edges = ClusterMap(addresses: [:], flows: try sums.summaries(since: now - 900, now: now))
        let ids = edges.clusters.flatMap { $0.namespaces.flatMap { $0.workloads.map(\.id) } }
        #expect(Set(ids) == ["lab/shop/db", "lab/shop/web", "lab/tools/shell"], "\(ids)")
        let web = edges.edges.first { $0.from == "lab/shop/web" && $0.to == "lab/shop/db" }
        #expect(web?.allowed == 3 && web?.denied == 2 && web?.verdict == "denied")
        #expect(edges.edges.first { $0.from == "lab/tools/shell" }?.verdict == "threat")

        // Hit counts per rule, from the same sums.
        let lines = ConsoleAPI.ruleLines(policy: """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: shop}
            spec:
              zones:
                - {name: pods, networks: [10.244.0.0/16]}
              rules:
                - {name: web-db, from: [pods], to: [pods], services: [tcp/5432], action: allow}
                - {name: no-db, from: [pods], to: [pods], action: deny}
                - {name: unused, from: [pods], to: [pods], action: deny}
            """, hits: Dictionary(grouping: try sums.summaries(since: now - 900, now: now), by: \.rule).mapValues {
                $0.reduce(into: FlowAggregates.Counts()) { $0.add(.init(allowed: $1.allowed, denied: $1.denied, threats: $1.threats)) }
            })
        #expect(lines.map(\.name) == ["web-db", "no-db", "unused", "ingress", "tools-db"], "the policy's order, then names only the records carry")
        #expect(lines[0].allowed == 3 && lines[1].denied == 2 && lines[2].allowed + lines[2].denied == 0 && lines[1].line == 9)
        #expect(!lines[3].inPolicy && lines[0].inPolicy)
    }

    @Test(arguments: FlowAggregatesTests.stores)
    func theSumsHoldAtMostKeyLimitKeys(kind: String) throws {
        guard let test = try TestStore.make(kind) else { return }
        defer { test.remove() }
        let store = test.store
        // 105 distinct outside addresses over two minutes, each its own key, and a limit of 100.
        let lines = (0..<105).map { i in
            eveFlow(time: time(1 + i % 2), src: "10.9.\(i / 256).\(i % 256)", dest: "10.244.2.1", action: "allow", rule: "r")
        }
        try store.insert(records(lines))
        let logged = LockedLines()
        let sums = FlowAggregates(source: try store.flowSums(), keyLimit: 100, log: { logged.append($0) })
        let window = try sums.window(since: FlowAggregatesTests.eleven, now: FlowAggregatesTests.eleven + 180)
        #expect(window.count == 100 && sums.keys == 100)
        #expect(sums.overflow == 5)
        // A day later the minutes are past the horizon: dropped, and their keys with them.
        #expect(try sums.window(since: FlowAggregatesTests.eleven + 86_400, now: FlowAggregatesTests.eleven + 86_400 + 180).isEmpty)
        #expect(sums.keys == 0)
        #expect(logged.all.contains { $0.contains("flow-aggregates-full") })
        #expect(sums.metrics().contains("rampart_manager_flow_sums_keys 0\n") && sums.metrics().contains("rampart_manager_flow_sums_keys_limit 100\n") && sums.metrics().contains("rampart_manager_flow_sums_overflow_total 5\n"))
    }
}
