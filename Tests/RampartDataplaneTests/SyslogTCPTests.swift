import Foundation
import Glibc
@testable import RampartDataplane
import RampartInspect
import RampartWire
import Testing

/// A TCP listener on 127.0.0.1 (a free port) that plays a syslog collector over TCP.
final class SyslogTCPCollector {
    let listener: Int32
    let port: UInt16
    var connection: Int32 = -1
    var received: [UInt8] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        try #require(bound)
        port = UInt16(bigEndian: address.sin_port)
    }

    deinit {
        if connection >= 0 { close(connection) }
        close(listener)
    }

    /// Accepts the forwarder's connection (and reads) while `tick` runs, for up to 5 s,
    /// until `frames` whole frames arrived.
    func collect(frames wanted: Int, tick: () -> Void) -> [[UInt8]] {
        for _ in 0 ..< 500 {
            tick()
            if connection < 0 {
                var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 10) > 0 { connection = accept(listener, nil, nil) }
                continue
            }
            var p = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 10) > 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                if n > 0 { received += buffer[0 ..< n] }
            }
            if Self.frames(received).frames.count >= wanted { break }
        }
        return Self.frames(received).frames
    }

    /// Drops the current connection (as a collector restart would).
    func hangUp() {
        if connection >= 0 { close(connection) }
        connection = -1
        received = []
    }

    /// RFC 6587 octet-counted frames, and whether the bytes ended on a frame boundary.
    static func frames(_ bytes: [UInt8]) -> (frames: [[UInt8]], whole: Bool) {
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard let space = bytes[i...].firstIndex(of: 32), let n = Int(String(decoding: bytes[i ..< space], as: UTF8.self)),
                  space + 1 + n <= bytes.count else { return (out, false) }
            out.append(Array(bytes[(space + 1) ..< (space + 1 + n)]))
            i = space + 1 + n
        }
        return (out, true)
    }
}

@Suite("Syslog over TCP, names and counters")
struct SyslogTCPTests {
    func record(_ forwarder: SyslogForwarder, _ i: Int) {
        forwarder.send(eventType: "flow", severity: SyslogForwarder.informational, json: Array("{\"event_type\":\"flow\",\"n\":\(i)}\n".utf8))
    }

    @Test func framesAreOctetCountedRFC5424Messages() throws {
        let collector = try SyslogTCPCollector()
        let forwarder = try SyslogForwarder(target: SyslogTarget(parsing: "tcp://127.0.0.1:\(collector.port)")!)
        for i in 0 ..< 3 { record(forwarder, i) }
        let frames = collector.collect(frames: 3) { forwarder.flush() }
        #expect(frames.count == 3)
        #expect(SyslogTCPCollector.frames(collector.received).whole)
        for (i, frame) in frames.enumerated() {
            let message = try #require(SyslogMessage(frame))
            #expect(message.priority == 134 && message.messageID == "flow")
            #expect(message.message == Array("{\"event_type\":\"flow\",\"n\":\(i)}".utf8))
        }
        #expect(forwarder.sent == 3 && forwarder.failures == 0)
    }

    @Test func aLostConnectionIsDialledAgainAndStartsOnAFrameBoundary() throws {
        let collector = try SyslogTCPCollector()
        let forwarder = try SyslogForwarder(target: SyslogTarget(parsing: "tcp://127.0.0.1:\(collector.port)")!)
        record(forwarder, 0)
        #expect(collector.collect(frames: 1) { forwarder.flush() }.count == 1)
        collector.hangUp()
        // Sends notice the hang-up (EPIPE/ECONNRESET); the stream reconnects after its backoff.
        var i = 1
        let frames = collector.collect(frames: 3) {
            if i < 200 { record(forwarder, i); i += 1 }
            forwarder.flush()
        }
        #expect(frames.count >= 3)
        #expect(frames.allSatisfy { SyslogMessage($0) != nil })
        #expect(forwarder.connects >= 2)
    }

    @Test func aFullQueueDropsAndCountsWithoutBlocking() throws {
        let closed: UInt16
        do { closed = try SyslogTCPCollector().port }   // nobody listens there any more
        let target = SyslogTarget(parsing: "tcp://127.0.0.1:\(closed)")!
        let forwarder = try SyslogForwarder(destination: target.resolve(), target: target, queueBytes: 4096)
        for i in 0 ..< 200 { record(forwarder, i) }
        #expect(forwarder.sent == 0)
        let reasons = Dictionary(uniqueKeysWithValues: forwarder.failuresByReason.map { ($0.reason, $0.count) })
        #expect(reasons["queue_full"] ?? 0 > 100)
    }

    @Test func hostNamesResolveAndUnknownOnesSaySo() throws {
        let target = try #require(SyslogTarget(parsing: "udp://localhost:5514"))
        #expect(target.host == "localhost" && target.port == 5514 && target.description == "udp://localhost:5514")
        let address = try target.resolve()
        #expect(address.port == 5514)
        #expect(address.address == IPAddress("127.0.0.1")! || address.address == IPAddress("::1")!)
        #expect(SyslogTarget(parsing: "udp://bad host:514") == nil && SyslogTarget(parsing: "tcp://h:0") == nil)
        #expect(SyslogTarget(parsing: "tcp://[fd00::53]:6514") == SyslogTarget(transport: .tcp, host: "fd00::53", port: 6514))
        do {
            _ = try SyslogTarget(parsing: "udp://no-such-host.invalid:514")!.resolve()
            Issue.record("resolved a name that does not exist")
        } catch {
            #expect(error.description.hasPrefix("syslog host 'no-such-host.invalid' does not resolve"))
        }
    }

    @Test func countersAreOnMetrics() throws {
        var snapshot = FirewallSnapshot()
        snapshot.counters.syslogMessages = 41
        snapshot.counters.syslogErrors = [1, 2, 3]
        let text = FirewallSnapshot.sum([snapshot, snapshot]).prometheusText()
        #expect(text.contains("# HELP rampart_syslog_messages_total "))
        #expect(text.contains("# TYPE rampart_syslog_messages_total counter\nrampart_syslog_messages_total 82\n"))
        #expect(text.contains("# TYPE rampart_syslog_errors_total counter"))
        #expect(text.contains("rampart_syslog_errors_total{reason=\"send_failed\"} 2\n"))
        #expect(text.contains("rampart_syslog_errors_total{reason=\"queue_full\"} 4\n"))
        #expect(text.contains("rampart_syslog_errors_total{reason=\"disconnected\"} 6\n"))
    }
}
