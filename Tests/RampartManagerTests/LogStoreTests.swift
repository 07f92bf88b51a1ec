import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager
import RampartHTTP
import RampartWire

/// An EVE flow line as the firewall writes it (the fields the store reads).
func eveFlow(time: String, src: String, dest: String, port: Int = 5432, app: String = "postgresql", action: String = "deny",
             rule: String = "no-db", srcTags: [String] = [], destTags: [String] = []) -> String {
    func list(_ tags: [String]) -> String { tags.map { "\"\($0)\"" }.joined(separator: ",") }
    return "{\"timestamp\":\"\(time)\",\"flow_id\":1,\"event_type\":\"flow\",\"src_ip\":\"\(src)\",\"src_port\":40000,\"dest_ip\":\"\(dest)\","
        + "\"dest_port\":\(port),\"proto\":\"TCP\",\"app_proto\":\"\(app)\",\"flow\":{\"action\":\"\(action)\"},"
        + "\"rampart\":{\"rule\":\"\(rule)\",\"action\":\"\(action)\",\"app\":\"\(app)\",\"src_tags\":[\(list(srcTags))],\"dest_tags\":[\(list(destTags))]}}"
}

@Suite("Log store: records, search, retention, syslog framing")
struct LogStoreTests {
    static let map: [String: [String]] = [
        "10.244.1.1": ["cluster:lab", "ns:shop", "pod:shop/web-1", "workload:web", "label:app=web"],
        "10.244.2.1": ["cluster:lab", "ns:shop", "pod:shop/db-0", "workload:db", "label:app=db"],
        "10.244.3.1": ["cluster:lab", "ns:other", "pod:other/cli-1", "workload:cli"],
    ]

    func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-logs-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func recordsAreSearchedByEitherEndAndTheirFields() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try LogStoreTests.searchContract(LogStore(path: folder.appendingPathComponent("logs.sqlite").path))
    }

    /// What every store answers alike (SQLite here, PostgreSQL in PostgresLogStoreTests).
    static func searchContract(_ store: any LogBackend) throws {
        let lines = [
            eveFlow(time: "2026-12-04T10:00:00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1"),
            eveFlow(time: "2026-12-04T11:00:00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1", action: "allow", rule: "db"),
            eveFlow(time: "2026-12-04T11:30:00.000000+0000", src: "10.244.3.1", dest: "10.244.1.1", port: 80, app: "http", action: "allow", rule: "web"),
            // An address the manager does not know: the record's own tags name it.
            eveFlow(time: "2026-12-04T11:40:00.000000+0000", src: "10.9.9.9", dest: "10.244.2.1", srcTags: ["ns:ext", "pod:ext/x"]),
        ]
        try store.insert(lines.compactMap { LogRecord(eve: $0, firewall: "fw-1", tags: { LogStoreTests.map[$0] }) })
        func search(_ change: (inout LogQuery) -> Void) throws -> [StoredLog] {
            var query = LogQuery()
            change(&query)
            return try store.search(query)
        }
        #expect(try search { _ in }.count == 4)
        #expect(try search { $0.namespace = "shop" }.count == 4)
        #expect(try search { $0.namespace = "shop"; $0.app = "postgresql"; $0.action = "deny" }.count == 2)
        #expect(try search { $0.pod = "shop/web-1" }.map(\.record.rule) == ["web", "db", "no-db"])   // newest first
        #expect(try search { $0.workload = "other/cli" }.count == 1)
        #expect(try search { $0.address = "10.244.3.1" }.count == 1)
        #expect(try search { $0.port = 80 }.count == 1)
        #expect(try search { $0.tag = "label:app=db" }.count == 3)
        #expect(try search { $0.tag = "label:app=d" }.isEmpty)   // whole tags only
        #expect(try search { $0.pod = "ext/x" }.count == 1)
        #expect(try search { $0.pod = "shop/nobody" }.isEmpty)
        #expect(try search { $0.from = 1_796_382_000_000 }.count == 3)   // 11:00:00 on
        #expect(try search { $0.limit = 1 }.count == 1)
        let first = try search { $0.rule = "web" }.first?.record
        #expect(first?.source.pod == "other/cli-1" && first?.destination.namespace == "shop" && first?.destination.tags.contains("label:app=web") == true)
        #expect(first?.json == lines[2])
    }

    @Test func retentionTrimsByAgeAndSizeAndSaysSo() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = LogStoreConfiguration()
        settings.store = folder.appendingPathComponent("logs.sqlite").path
        settings.retentionDays = 1
        settings.maxBytes = 2 << 20
        let lines = LockedLines()
        let now = 1_796_386_000.0   // 2026-12-04T12:06:40Z
        let service = try LogService(settings: settings, firewalls: [], tags: { LogStoreTests.map[$0] }, clock: { now }, log: { lines.append($0) })
        // Two days old: gone by age.
        service.store((0 ..< 100).map { _ in SyslogMessage(hostname: "fw-1", messageID: "flow",
                                                             body: eveFlow(time: "2026-12-02T10:00:00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1")) })
        // Then over 2 MiB of fresh records: the oldest go by size.
        for batch in 0 ..< 10 {
            service.store((0 ..< 1000).map { i in SyslogMessage(hostname: "fw-1", messageID: "flow",
                body: eveFlow(time: "2026-12-04T12:00:\(String(format: "%02d", batch)).\(String(format: "%06d", i))+0000", src: "10.244.1.1", dest: "10.244.2.1")) })
        }
        service.trim(now: now)
        let metrics = service.metrics()
        #expect(metrics.contains("rampart_manager_logs_trimmed_total{reason=\"age\"} 100"))
        #expect(!metrics.contains("rampart_manager_logs_trimmed_total{reason=\"size\"} 0"))
        let store = try LogStore(path: settings.store)
        #expect(try store.liveBytes() <= settings.maxBytes)
        #expect(try store.count() > 0 && store.count() < 10_000)
        #expect(lines.all.contains { $0.contains("\"event\":\"logs-trimmed\"") && $0.contains("\"byAge\":100") })
        // The newest records stay.
        var query = LogQuery()
        query.limit = 1
        #expect(try store.search(query).first?.record.json.contains("12:00:09.000999") == true)
    }

    @Test func syslogFramesAcrossReads() throws {
        let message = "<134>1 2026-12-04T12:00:00.000000Z fw-node-1 rampart-firewall 4711 flow - {\"event_type\":\"flow\"}"
        let framed = "\(message.utf8.count) \(message)"
        let stream = Array((framed + framed + "<134>1 - fw-2 app - dns [x a=\"]\"] {\"b\":1}\n").utf8)
        for cut in [1, 3, 7, 50, stream.count] {
            var decoder = SyslogFrameDecoder()
            var messages: [SyslogMessage] = []
            var offset = 0
            while offset < stream.count {
                let end = min(offset + cut, stream.count)
                messages += try decoder.feed(stream[offset ..< end])
                offset = end
            }
            #expect(messages.count == 3)
            #expect(messages.first == SyslogMessage(hostname: "fw-node-1", messageID: "flow", body: "{\"event_type\":\"flow\"}"))
            #expect(messages.last == SyslogMessage(hostname: "fw-2", messageID: "dns", body: "{\"b\":1}"))
            #expect(decoder.pending == 0)
        }
        var decoder = SyslogFrameDecoder()
        #expect(throws: SyslogFrameError.self) { try decoder.feed(Array("999999999 <1>".utf8)) }
        var other = SyslogFrameDecoder()
        #expect(throws: SyslogFrameError.self) { try other.feed(Array("GET / HTTP/1.1\r\n".utf8)) }
        var third = SyslogFrameDecoder()
        #expect(try third.feed(Array("5 hello".utf8)).isEmpty && third.malformed == 1)
    }

    /// Over a real TCP connection: records stored with the manager's tags; a sender outside
    /// spec.logs.sources is refused.
    @Test func receiverStoresWhatArrivesAndRefusesStrangers() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var settings = LogStoreConfiguration()
        settings.store = folder.appendingPathComponent("logs.sqlite").path
        settings.listen = "127.0.0.1:0"
        let service = try LogService(settings: settings, firewalls: [], tags: { LogStoreTests.map[$0] }, log: { _ in })
        try service.listen(firewalls: [])
        service.start()
        defer { service.stop() }
        let port = try #require(service.receiver?.local.split(separator: ":").last.flatMap { Int($0) })
        var text = ""
        for minute in 0 ..< 20 {
            let body = eveFlow(time: "2026-12-04T12:\(String(format: "%02d", minute)):00.000000+0000", src: "10.244.1.1", dest: "10.244.2.1")
            let message = "<134>1 2026-12-04T12:00:00.000000Z fw-node-1 rampart-firewall 4711 flow - \(body)"
            text += "\(message.utf8.count) \(message)"
        }
        try sendTCP(port: port, Array(text.utf8))
        var query = LogQuery()
        query.pod = "shop/db-0"
        query.limit = 1000
        #expect(eventually(5) { ((try? service.search(query)) ?? []).count == 20 })
        #expect(try service.search(query).first?.record.firewall == "fw-node-1")

        var closed = LogStoreConfiguration()
        closed.store = folder.appendingPathComponent("other.sqlite").path
        closed.listen = "127.0.0.1:0"
        closed.sources = [try #require(IPNetwork("10.9.9.9/32"))]
        let strict = try LogService(settings: closed, firewalls: [], tags: { _ in nil }, log: { _ in })
        try strict.listen(firewalls: [])
        strict.start()
        defer { strict.stop() }
        let strictPort = try #require(strict.receiver?.local.split(separator: ":").last.flatMap { Int($0) })
        try? sendTCP(port: strictPort, Array(text.utf8))
        #expect(eventually(5) { strict.metrics().contains("rampart_manager_log_connections_total{outcome=\"refused\"} 1") })
        #expect(strict.metrics().contains("rampart_manager_logs_stored_total 0"))
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}

func sendTCP(port: Int, _ bytes: [UInt8]) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard connected == 0 else { throw KubeTestServerError("cannot connect to 127.0.0.1:\(port)") }
    var sent = 0
    while sent < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { throw KubeTestServerError("send failed") }
        sent += n
    }
    usleep(100_000)
}
