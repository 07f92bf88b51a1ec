import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager
import RampartHTTP

/// The console's flow sums on PostgreSQL (a private cluster per test, `PostgresTestCluster`):
/// the `log_flow_sums` table written with the records by every manager, read by change
/// number, trimmed with the records; and a server that is down when the manager starts.
/// The sums' behaviour shared with SQLite is in FlowAggregatesTests, run on both stores.
@Suite("Log store on PostgreSQL: the console's flow sums, a server down at start", .serialized)
struct PostgresFlowSumsTests {
    func records(_ lines: [String]) -> [LogRecord] {
        lines.compactMap { LogRecord(eve: $0, firewall: "fw-1", tags: { FlowAggregatesTests.map[$0] }) }
    }

    func flow(minute: Int, second: Int = 0, action: String = "allow", rule: String = "web-db") -> String {
        eveFlow(time: "2026-12-04T11:\(String(format: "%02d", minute)):\(String(format: "%02d", second)).000000+0000",
                src: "10.244.1.1", dest: "10.244.2.1", action: action, rule: rule)
    }

    @Test func twoManagersAddToTheSameSumsAndRetentionTakesThemWithTheRecords() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        let first = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        let second = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        try first.insert(records([flow(minute: 1), flow(minute: 1, second: 5), flow(minute: 1, second: 9, action: "deny")]))
        try second.insert(records([flow(minute: 1, second: 20), flow(minute: 1, second: 30), flow(minute: 2)]))
        let reader = try first.flowSums()
        #expect(reader.totals)
        let web = FlowAggregates.Key(source: "lab/shop/web", destination: "lab/shop/db", sourceIsWorkload: true, destinationIsWorkload: true,
                                     application: "postgresql", rule: "web-db")
        let minute = Int64(FlowAggregatesTests.eleven) / 60
        var rows = try reader.flowSums(from: 0, before: nil, through: .max)
        #expect(rows.count == 2, "one row per minute and key, whichever manager wrote: \(rows)")
        #expect(rows.first { $0.minute == minute + 1 } == FlowSumRow(minute: minute + 1, key: web, counts: .init(allowed: 4, denied: 1)))
        #expect(rows.first { $0.minute == minute + 2 }?.counts == .init(allowed: 1))

        // What changed after a position: the changed row's new total, nothing else.
        let position = try reader.newestPosition()
        try second.insert(records([flow(minute: 1, second: 40)]))
        let changes = try reader.flowSumChanges(after: position, through: try reader.newestPosition(), from: 0)
        #expect(changes == [FlowSumRow(minute: minute + 1, key: web, counts: .init(allowed: 5, denied: 1))])
        #expect(try reader.flowSumChanges(after: try reader.newestPosition(), through: .max, from: 0).isEmpty)

        // Names are sent as array literals: quotes, backslashes, commas, braces and non-ASCII
        // text come back as they were.
        let odd = #"a "b" \ {c}, d NULL é"#
        try first.insert(records([eveFlow(time: "2026-12-04T11:03:00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1", action: "allow",
                                          rule: odd.replacing("\\", with: "\\\\").replacing("\"", with: "\\\""))]))
        #expect(try reader.flowSums(from: minute + 3, before: nil, through: .max).map(\.key.rule) == [odd])

        // Retention: the minutes the records left go with them.
        #expect(try first.deleteOlder(than: Int64(FlowAggregatesTests.eleven + 120) * 1000, limit: 50_000) == 6)
        rows = try reader.flowSums(from: 0, before: nil, through: .max)
        #expect(rows.map(\.minute).sorted() == [minute + 2, minute + 3])
        #expect(try first.deleteOldest(10) == 2)
        #expect(try reader.flowSums(from: 0, before: nil, through: .max).isEmpty)
    }

    /// The server is down when the manager starts: the log service starts anyway (a log line,
    /// the store-down metric), holds what arrives, and stores it when the server answers; the
    /// console's sums, opened while it was down, then show it.
    @Test func aServerDownAtStartHoldsRecordsUntilItAnswers() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        try cluster.stopServer()
        var settings = LogStoreConfiguration()
        settings.postgres = PostgresLogSettings(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        settings.listen = "127.0.0.1:0"
        let lines = LockedLines()
        let service = try LogService(settings: settings, firewalls: [], tags: { FlowAggregatesTests.map[$0] }, log: { lines.append($0) })
        #expect(lines.all.contains { $0.contains("\"event\":\"log-store-unavailable\"") && $0.contains("cannot connect") })
        #expect(service.metrics().contains("rampart_manager_logs_store_down 1"))
        let sums = FlowAggregates(source: try LogService.openFlowSums(settings))
        let now = FlowAggregatesTests.eleven + 600
        #expect(throws: StoreError.self) { try sums.window(since: now - 900, now: now) }
        try service.listen(firewalls: [])
        service.start()
        defer { service.stop() }
        let port = try #require(service.receiver?.local.split(separator: ":").last.flatMap { Int($0) })
        var text = ""
        for i in 0 ..< 100 {
            let message = "<134>1 2026-12-04T11:00:00.000000Z fw-node-1 rampart-firewall 4711 flow - \(flow(minute: 1, second: i % 60))"
            text += "\(message.utf8.count) \(message)"
        }
        try sendTCP(port: port, Array(text.utf8))
        #expect(eventually(10) {
            metric(service.metrics(), "rampart_manager_logs_queued") == 0 && (metric(service.metrics(), "rampart_manager_logs_store_errors_total") ?? 0) >= 1
        }, "the batch is taken and held, retried")
        #expect(service.storedRecords == 0)
        #expect(throws: StoreError.self) { try service.search(LogQuery()) }

        try cluster.startServer()
        #expect(eventually(30) { service.storedRecords == 100 })
        #expect(eventually(5) { lines.all.contains { $0.contains("\"event\":\"log-store-recovered\"") } })
        #expect(service.metrics().contains("rampart_manager_logs_store_down 0") && service.metrics().contains("rampart_manager_logs_dropped_total 0"))
        #expect(try service.search(LogQuery()).count == 100)
        let window = try sums.window(since: now - 900, now: now)
        #expect(window.count == 1 && window.values.first == .init(allowed: 100), "\(window)")
    }

    /// The console of a manager whose log store is PostgreSQL: the map's edges come from the
    /// sums table; while the server is down the map answers without edges (one log line), and
    /// shows them again when it is back.
    @Test func theConsoleMapDrawsEdgesFromPostgreSQL() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        var configuration = ManagerConfiguration()
        configuration.state = cluster.folder.appendingPathComponent("state.sqlite").path
        var settings = LogStoreConfiguration()
        settings.postgres = PostgresLogSettings(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        configuration.logs = settings
        let lines = LockedLines()
        let manager = try Manager(configuration: configuration, log: { lines.append($0) })
        let logs = try #require(manager.logs)
        let console = ConsoleAPI(manager: manager, users: ConsoleUsers(users: []), logins: try LoginLog(path: configuration.state), log: { lines.append($0) })
        console.flowWindow = FlowAggregates(source: try LogService.openFlowSums(settings))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'000+0000'"
        let stamp = formatter.string(from: Date())
        let web = ["cluster:lab", "ns:shop", "pod:shop/web-1", "workload:web"], db = ["cluster:lab", "ns:shop", "pod:shop/db-0", "workload:db"]
        logs.store([
            SyslogMessage(hostname: "fw-1", messageID: "flow", body: eveFlow(time: stamp, src: "10.244.1.1", dest: "10.244.2.1", action: "allow",
                                                                         rule: "web-db", srcTags: web, destTags: db)),
            SyslogMessage(hostname: "fw-1", messageID: "flow", body: eveFlow(time: stamp, src: "10.244.1.1", dest: "10.244.2.1", action: "deny",
                                                                         rule: "no-db", srcTags: web, destTags: db)),
        ])
        // No cluster is watched: the workloads are drawn from the records' own tags.
        func edges() throws -> [[String: Any]] {
            var request = HTTPRequest(method: "GET", path: "/console/api/map")
            request.principal = HTTPPrincipal(name: "ci", roles: [.readOnly])
            let reply = console.handle(request)
            #expect(reply.status == 200)
            let map = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
            return map["edges"] as? [[String: Any]] ?? []
        }
        var found = try edges()
        #expect(found.count == 1 && found.first?["from"] as? String == "lab/shop/web" && found.first?["to"] as? String == "lab/shop/db"
                && found.first?["allowed"] as? Int == 1 && found.first?["denied"] as? Int == 1, "\(found)")

        try cluster.stopServer()
        #expect(try edges().isEmpty && (try edges()).isEmpty)
        #expect(lines.all.filter { $0.contains("\"event\":\"console-flows\"") }.count == 1, "one line while the store is down")
        try cluster.startServer()
        #expect(eventually(10) { ((try? edges()) ?? []).count == 1 })
        #expect(lines.all.contains { $0.contains("the log store's flows are read again") })
        found = try edges()
        #expect(found.first?["verdict"] as? String == "denied")
    }
}
