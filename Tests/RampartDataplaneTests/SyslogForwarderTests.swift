import Foundation
import Glibc
import RampartDataplane
import RampartInspect
import RampartWire
import Testing

/// A UDP socket bound on 127.0.0.1 (a free port) that plays the syslog collector.
final class SyslogCollector {
    let descriptor: Int32
    let address: SocketAddress

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var bind = SocketAddress(parsing: "127.0.0.1:0")!
        var storage = sockaddr_storage()
        var length = bind.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        try #require(bound == 0)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        bind = try #require(withUnsafePointer(to: &storage) { SocketAddress(reading: UnsafeRawPointer($0)) })
        descriptor = fd
        address = bind
        // A safety net so a lost datagram fails the test instead of hanging it.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buffer[0 ..< n]) : nil
    }
}

/// The fields of an RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP PROCID MSGID SD MSG`.
struct SyslogMessage {
    var priority: Int
    var version: String
    var timestamp: String
    var hostname: String
    var appName: String
    var processID: String
    var messageID: String
    var structuredData: String
    var message: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.first == UInt8(ascii: "<"), let close = bytes.firstIndex(of: UInt8(ascii: ">")),
              let priority = Int(String(decoding: bytes[1 ..< close], as: UTF8.self)) else { return nil }
        self.priority = priority
        var fields: [String] = []
        var start = close + 1
        while fields.count < 7 {
            guard let space = bytes[start...].firstIndex(of: UInt8(ascii: " ")) else { return nil }
            fields.append(String(decoding: bytes[start ..< space], as: UTF8.self))
            start = space + 1
        }
        (version, timestamp, hostname, appName, processID, messageID, structuredData) =
            (fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6])
        message = Array(bytes[start...])
    }
}

@Suite("Syslog forwarding")
struct SyslogForwarderTests {
    @Test func anomalyRecordsGoAsRFC5424WarningsWithTheEVELine() throws {
        let collector = try SyslogCollector()
        let forwarder = try SyslogForwarder(destination: collector.address)
        let directory = NSTemporaryDirectory() + "rampart-syslog-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = try EventLog(path: directory + "/eve.json", syslog: forwarder)
        log.anomaly(AnomalyRecord(timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 0), event: .ipv4TooShort, packetNumber: 9))
        #expect(log.close())

        let received = try #require(collector.receive())
        let message = try #require(SyslogMessage(received))
        #expect(message.priority == 16 * 8 + 4)
        #expect(message.version == "1")
        #expect(message.timestamp.count == "2026-11-23T14:40:34.123456Z".count && message.timestamp.hasSuffix("Z"))
        #expect(message.hostname != "")
        #expect(message.appName == "rampart-firewall")
        #expect(message.processID == String(getpid()))
        #expect(message.messageID == "anomaly")
        #expect(message.structuredData == "-")
        // The JSON part is exactly the EVE line written to the file, without its newline.
        let line = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/eve.json")))
        #expect(message.message + [0x0A] == line)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(message.message)) as? [String: Any])
        #expect(json["event_type"] as? String == "anomaly")
        #expect(forwarder.sent == 1 && forwarder.failures == 0)
    }

    @Test func flowRecordsAreInformational() throws {
        let collector = try SyslogCollector()
        let forwarder = try SyslogForwarder(destination: collector.address)
        forwarder.send(eventType: "flow", severity: SyslogForwarder.informational, json: Array(#"{"event_type":"flow"}"#.utf8) + [0x0A],
                       now: Timestamp(seconds: 1_700_000_000, nanoseconds: 5_000))
        let received = try #require(collector.receive())
        let message = try #require(SyslogMessage(received))
        #expect(message.priority == 134)
        #expect(message.timestamp == "2023-11-14T22:13:20.000005Z")
        #expect(message.messageID == "flow")
        #expect(message.message == Array(#"{"event_type":"flow"}"#.utf8))
    }

    @Test func longMessagesAreCutAtACharacterBoundary() throws {
        let collector = try SyslogCollector()
        let forwarder = try SyslogForwarder(destination: collector.address)
        // "é" is two bytes: a cut at an odd offset would split one.
        let json = Array(#"{"event_type":"http","http":{"url":""#.utf8) + Array(String(repeating: "é", count: 2000).utf8) + Array(#""}}"#.utf8)
        forwarder.send(eventType: "http", severity: SyslogForwarder.informational, json: json)
        let received = try #require(collector.receive())
        #expect(received.count <= SyslogForwarder.maximumLength)
        #expect(received.count >= SyslogForwarder.maximumLength - 1)
        #expect(String(validating: received, as: UTF8.self) != nil)
        let message = try #require(SyslogMessage(received))
        #expect(Array(json.prefix(message.message.count)) == message.message)
        #expect(forwarder.truncated == 1)
    }

    @Test func sendsToNobodyAreCountedNotThrown() throws {
        var address: SocketAddress
        do {
            let collector = try SyslogCollector()
            address = collector.address
        }
        // The collector is closed: sends fail (refused) or vanish, and never block or throw.
        let forwarder = try SyslogForwarder(destination: address)
        for _ in 0 ..< 10 { forwarder.send(eventType: "flow", severity: SyslogForwarder.informational, json: Array("{}".utf8)) }
        #expect(forwarder.sent + forwarder.failures == 10)
    }
}
