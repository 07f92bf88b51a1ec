import Foundation
import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

@Suite("Event log rotation")
struct EventLogRotationTests {
    /// A fresh directory for one test's event files.
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "rampart-eventlog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func record(_ number: UInt64) -> AnomalyRecord {
        AnomalyRecord(timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 0), event: .ipv4TooShort, packetNumber: number)
    }

    /// Every file of the log (current and rotated) with its lines, each parsed as JSON.
    static func files(_ path: String) throws -> [String: [[String: Any]]] {
        var result: [String: [[String: Any]]] = [:]
        let directory = (path as NSString).deletingLastPathComponent
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
            #expect(data.isEmpty || data.last == 0x0A, "\(name) ends inside a line")
            result[name] = try data.split(separator: 0x0A).map {
                try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any], "\(name): a split record")
            }
        }
        return result
    }

    static func packetNumbers(_ files: [String: [[String: Any]]]) -> [Int] {
        files.values.flatMap { $0.compactMap { $0["pcap_cnt"] as? Int } }.sorted()
    }

    @Test func rotatesBeforePassingTheSizeAndKeepsEveryRecord() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let log = try EventLog(path: path, maxBytes: 4096, keep: 100)
        for i in 1 ... 400 {
            log.anomaly(Self.record(UInt64(i)))
            if i % 7 == 0 { log.flush() }
        }
        #expect(log.close())
        let files = try Self.files(path)
        #expect(files.count > 3)
        #expect(log.rotations == files.count - 1)
        for name in files.keys {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            let size = attributes[.size] as? Int ?? 0
            #expect(size <= 4096, "\(name) has \(size) bytes")
            // Issue 19: flow records name pods and what they did; never world-readable.
            let mode = (attributes[.posixPermissions] as? Int ?? 0o777) & 0o777
            #expect(mode & 0o007 == 0 && mode & 0o600 == 0o600, "\(name) has mode \(String(mode, radix: 8))")
        }
        #expect(Self.packetNumbers(files) == Array(1 ... 400))
        // The newest records are in eve.json, the oldest in the highest number.
        let oldest = files["eve.json.\(files.count - 1)"]?.first?["pcap_cnt"] as? Int
        #expect(oldest == 1)
    }

    @Test func keepsOnlyTheConfiguredNumberOfRotatedFiles() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let log = try EventLog(path: path, maxBytes: 4096, keep: 2)
        for i in 1 ... 400 { log.anomaly(Self.record(UInt64(i))) }
        #expect(log.close())
        let files = try Self.files(path)
        #expect(Set(files.keys) == ["eve.json", "eve.json.1", "eve.json.2"])
        // What remains is the newest records, contiguous up to the last one.
        let numbers = Self.packetNumbers(files)
        #expect(numbers.last == 400)
        #expect(numbers == Array((numbers.first ?? 0) ... 400))
    }

    @Test func aLineLongerThanTheLimitGoesWholeIntoItsOwnFile() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        // 64 bytes is below any record: each record gets a file of its own.
        let log = try EventLog(path: path, maxBytes: 64, keep: 10)
        for i in 1 ... 5 { log.anomaly(Self.record(UInt64(i))) }
        #expect(log.close())
        let files = try Self.files(path)
        #expect(files.count == 5)
        #expect(files.values.allSatisfy { $0.count == 1 })
        #expect(Self.packetNumbers(files) == Array(1 ... 5))
    }

    @Test func workersSharingOneFileRotateItSafely() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let workers = 4
        let perWorker = 300
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                let log = try EventLog(path: path, maxBytes: 8192, keep: 1000)
                for i in 0 ..< perWorker {
                    log.anomaly(Self.record(UInt64(worker * 100_000 + i + 1)))
                    if i % 5 == 0 { log.flush() }
                }
                if !log.close() { failures.add() }
            } catch { failures.add() }
        }
        #expect(failures.count == 0)
        let files = try Self.files(path)
        #expect(files.count > 4)
        for name in files.keys {
            let size = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int ?? 0
            #expect(size <= 8192, "\(name) has \(size) bytes")
        }
        let expected = (0 ..< workers).flatMap { w in (1 ... perWorker).map { w * 100_000 + $0 } }.sorted()
        let written = Self.packetNumbers(files)
        #expect(written.count == expected.count, "duplicated or lost records")
        #expect(Set(expected).subtracting(written).sorted().prefix(10) == [], "lost records")
    }

    /// The firewall settings of a configuration whose `spec:` holds `spec` (indented lines)
    /// beside a one-rule policy.
    static func firewallSettings(_ spec: String) throws(PolicyErrors) -> FirewallConfiguration {
        try ConfigurationFile.parse("""
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
            \(spec)
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: p}
            spec:
              rules:
                - {name: web, services: [tcp/80], action: allow}
            """, file: "fw.yaml").firewall
    }

    @Test func configurationReadsRotationAndSyslogKeys() throws {
        let parse = Self.firewallSettings
        let defaults = try parse("  events: /tmp/eve.json")
        #expect(defaults.eventsMaxBytes == 100 << 20 && defaults.eventsKeep == 5 && defaults.syslog == nil)
        let set = try parse("  eventsMaxBytes: 0\n  eventsKeep: 2\n  syslog: udp://[::1]:5514")
        #expect(set.eventsMaxBytes == 0 && set.eventsKeep == 2)
        #expect(set.syslog == SyslogTarget(transport: .udp, host: "::1", port: 5514))
        #expect(try parse("  syslog: tcp://syslog.example:6514").syslog == SyslogTarget(transport: .tcp, host: "syslog.example", port: 6514))
        #expect(try parse("  syslog: off").syslog == nil)
        do {
            _ = try parse("  syslog: tls://10.0.0.1:514\n  eventsMaxBytes: 10\n  eventsKeep: -1")
            Issue.record("bad values accepted")
        } catch {
            let messages = error.errors.map(\.message)
            #expect(messages.contains { $0.hasPrefix("spec.syslog must be udp://host:port or tcp://") })
            #expect(messages.contains { $0.hasPrefix("spec.eventsMaxBytes must be 0") })
            #expect(messages.contains { $0.hasPrefix("spec.eventsKeep must be") })
        }
    }

    @Test func standardOutputIsNeverRotated() throws {
        let log = try EventLog(path: "-", maxBytes: 4096, keep: 5)
        #expect(log.maxBytes == 0)
    }
}

/// A thread-safe counter for the workers' failures.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() { lock.lock(); value += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
}
