import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager
import RampartWire

/// The log store on a real PostgreSQL server (a private cluster per test, `PostgresTestCluster`).
@Suite("Log store on PostgreSQL: the same search, retention, failing closed", .serialized)
struct PostgresLogStoreTests {
    @Test func recordsAreSearchedAsInSQLite() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        let store = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        try LogStoreTests.searchContract(store)
        // COPY's escapes: backslashes, an escaped quote, a tab between tokens, non-ASCII text.
        let odd = "{\"timestamp\":\"2026-12-04T12:00:00.000000+0000\",\t\"event_type\":\"alert\",\"src_ip\":\"10.244.1.1\","
            + "\"alert\":{\"signature\":\"C:\\\\tmp \\\"x\\\" \\u00e9 ü\",\"action\":\"blocked\"}}"
        let record = try #require(LogRecord(eve: odd, firewall: "fw-ü", tags: { LogStoreTests.map[$0] }))
        try store.insert([record])
        var query = LogQuery()
        query.rule = "C:\\tmp \"x\" é ü"
        let found = try store.search(query)
        #expect(found.count == 1 && found.first?.record.json == odd && found.first?.record.firewall == "fw-ü")
        // A second connection (another manager, or the service's reader) sees the same rows and names.
        let other = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        #expect(try other.count() == 5)
        var pod = LogQuery()
        pod.pod = "shop/web-1"
        #expect(try other.search(pod).count == 4)   // the three, and the alert from 10.244.1.1
    }

    @Test func aWrongPasswordOrAnInlineOneIsRefused() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        let wrong = cluster.folder.appendingPathComponent("wrong").path
        try "not-it\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        #expect { try PostgresLogStore(parameters: cluster.parameters, passwordFile: wrong) } throws: { error in
            "\(error)".contains("password authentication failed for user \"rampart\"")
        }
        let parsed = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            metadata: {name: main}
            spec:
              logs:
                postgres: {host: /run/pg, port: "5433", database: logs, user: rampart, passwordFile: pg-password, sslmode: disable}
            """, file: "/etc/rampart/manager.yaml")
        #expect(parsed.logs?.postgres == PostgresLogSettings(
            parameters: ["host": "/run/pg", "port": "5433", "dbname": "logs", "user": "rampart", "sslmode": "disable"],
            passwordFile: "/etc/rampart/pg-password"))
        let uri = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            metadata: {name: main}
            spec:
              logs: {store: "postgres://rampart@db.example:5432/logs?sslmode=require", postgres: {passwordFile: /etc/pg}}
            """, file: "/etc/rampart/manager.yaml")
        #expect(uri.logs?.postgres == PostgresLogSettings(parameters: ["dbname": "postgres://rampart@db.example:5432/logs?sslmode=require"], passwordFile: "/etc/pg"))
        for inline in ["postgres://rampart:hunter2@db/logs", "postgres://rampart@db/logs?sslmode=require&password=hunter2"] {
            #expect { try ManagerConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: ManagerConfiguration
                metadata: {name: main}
                spec:
                  logs: {store: "\(inline)"}
                """, file: "m.yaml") } throws: { error in "\(error)".contains("m.yaml:5:") && "\(error)".contains("a password in the URI is refused") }
        }
    }

    @Test func retentionTrimsByAgeAndSize() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        var settings = LogStoreConfiguration()
        settings.postgres = PostgresLogSettings(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        settings.retentionDays = 1
        settings.maxBytes = 6 << 20
        let lines = LockedLines()
        let now = 1_796_386_000.0   // 2026-12-04T12:06:40Z
        let service = try LogService(settings: settings, firewalls: [], tags: { LogStoreTests.map[$0] }, clock: { now }, log: { lines.append($0) })
        service.store((0 ..< 100).map { _ in SyslogMessage(hostname: "fw-1", messageID: "flow",
                                                             body: eveFlow(time: "2026-12-02T10:00:00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1")) })
        for batch in 0 ..< 10 {
            service.store((0 ..< 2000).map { i in SyslogMessage(hostname: "fw-1", messageID: "flow",
                body: eveFlow(time: "2026-12-04T12:00:\(String(format: "%02d", batch)).\(String(format: "%06d", i))+0000", src: "10.244.1.1", dest: "10.244.2.1")) })
        }
        let store = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        #expect(try store.liveBytes() > settings.maxBytes)   // the test means something
        service.trim(now: now)
        let metrics = service.metrics()
        #expect(metrics.contains("rampart_manager_logs_trimmed_total{reason=\"age\"} 100"))
        #expect(!metrics.contains("rampart_manager_logs_trimmed_total{reason=\"size\"} 0"))
        let left = try store.count()
        let filesAfterTrim = try store.sizeOfFiles()
        #expect(metric(service.metrics(), "rampart_manager_logs_bytes").map { $0 <= settings.maxBytes } == true)
        #expect(left > 0 && left < 20_000)
        #expect(lines.all.contains { $0.contains("\"event\":\"logs-trimmed\"") && $0.contains("\"byAge\":100") })
        var query = LogQuery()
        query.limit = 1
        #expect(try store.search(query).first?.record.json.contains("12:00:09.001999") == true)
        // Trimmed once, the store stays under its bound as records keep coming: freed space is reused.
        for batch in 10 ..< 14 {
            service.store((0 ..< 2000).map { i in SyslogMessage(hostname: "fw-1", messageID: "flow",
                body: eveFlow(time: "2026-12-04T12:00:\(String(format: "%02d", batch)).\(String(format: "%06d", i))+0000", src: "10.244.1.1", dest: "10.244.2.1")) })
            service.trim(now: now)
            #expect(metric(service.metrics(), "rampart_manager_logs_bytes").map { $0 <= settings.maxBytes } == true)
        }
        // 8,000 more records (40% of what was there) grew the files by less than a quarter.
        #expect(try store.sizeOfFiles() < filesAfterTrim + filesAfterTrim / 4)
        #expect(try store.count() > 1000)
    }

    /// The server goes away while firewalls send: the batch is held, the queue fills to its
    /// bound (a log line, a metric), the receiver stops reading; when the server is back,
    /// every record is stored and none is counted as dropped.
    @Test func aStoreThatIsDownHoldsTheSendersBack() throws {
        if let reason = PostgresTestCluster.unavailable { print("skipped: \(reason)"); return }
        let cluster = try PostgresTestCluster.start()
        defer { cluster.remove() }
        var settings = LogStoreConfiguration()
        settings.postgres = PostgresLogSettings(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        settings.listen = "127.0.0.1:0"
        let lines = LockedLines()
        let service = try LogService(settings: settings, firewalls: [], tags: { LogStoreTests.map[$0] }, queueLimit: 200, log: { lines.append($0) })
        try service.listen(firewalls: [])
        service.start()
        defer { service.stop() }
        let port = try #require(service.receiver?.local.split(separator: ":").last.flatMap { Int($0) })
        func frames(_ range: Range<Int>) -> [UInt8] {
            var text = ""
            for i in range {
                let stamp = "2026-12-04T12:00:\(String(format: "%02d", i / 1000)).\(String(format: "%03d", i % 1000))000+0000"
                let body = eveFlow(time: stamp, src: "10.244.1.1", dest: "10.244.2.1")
                let message = "<134>1 2026-12-04T12:00:00.000000Z fw-node-1 rampart-firewall 4711 flow - \(body)"
                text += "\(message.utf8.count) \(message)"
            }
            return Array(text.utf8)
        }
        try sendTCP(port: port, frames(0 ..< 100))
        #expect(eventually(10) { service.storedRecords == 100 })

        try cluster.stopServer()
        // A few records find the store down: their batch is held.
        try sendTCP(port: port, frames(100 ..< 150))
        #expect(eventually(20) { service.metrics().contains("rampart_manager_logs_store_down 1") })
        #expect(eventually(5) { lines.all.contains { $0.contains("\"event\":\"log-store-failed\"") } })
        // Then more than the queue holds, from another thread: the receiver stops reading, so the sender blocks.
        let held = frames(150 ..< 3150)
        let sender = Thread { try? sendTCP(port: port, held) }
        sender.start()
        #expect(eventually(20) { (metric(service.metrics(), "rampart_manager_logs_queue_full_total") ?? 0) >= 1 })
        #expect(eventually(5) { lines.all.contains { $0.contains("\"event\":\"logs-queue-full\"") && $0.contains("\"storeDown\":true") } })
        // Bounded: the limit, plus at most the messages of the one read (256 KiB) that found it full.
        #expect(metric(service.metrics(), "rampart_manager_logs_queued").map { (200 ... 200 + 600).contains($0) } == true)
        #expect(service.storedRecords == 100)

        try cluster.startServer()
        #expect(eventually(30) { service.storedRecords == 3150 })
        #expect(eventually(5) { lines.all.contains { $0.contains("\"event\":\"log-store-recovered\"") } })
        let metrics = service.metrics()
        #expect(metrics.contains("rampart_manager_logs_store_down 0") && metrics.contains("rampart_manager_logs_dropped_total 0"))
        // The service's reader connection was cut by the restart too: it connects again.
        var shop = LogQuery()
        shop.namespace = "shop"
        shop.limit = 10
        #expect(try service.search(shop).count == 10)
        let store = try PostgresLogStore(parameters: cluster.parameters, passwordFile: cluster.passwordFile)
        #expect(try store.count() == 3150)
        // Each record once, in order: the held batch went in whole, once.
        var query = LogQuery()
        query.limit = 5000
        let times = try store.search(query).map(\.record.time)
        #expect(Set(times).count == 3150)
    }
}

/// A metric's value on a Prometheus text page.
func metric(_ page: String, _ name: String) -> Int64? {
    page.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int64($0.split(separator: " ").last ?? "") }
}
