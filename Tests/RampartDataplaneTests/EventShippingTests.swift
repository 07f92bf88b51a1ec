import Foundation
@testable import RampartDataplane
import RampartInspect
import RampartTestSupport
import RampartWire
import Testing

/// Issue 19, "log flooding must not erase history": with TCP syslog the event files are
/// shipped from disk, and rotation keeps what the collector has not received. Real parts
/// only: event logs writing files, the shipper's thread, a TCP collector on loopback.
@Suite("Event shipping from the files")
struct EventShippingTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "rampart-shipping-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func record(_ number: Int) -> AnomalyRecord {
        AnomalyRecord(timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 0), event: .ipv4TooShort, packetNumber: UInt64(number))
    }

    static func write(_ log: EventLog, _ numbers: ClosedRange<Int>) {
        for i in numbers {
            log.anomaly(record(i))
            if i % 5 == 0 { log.flush() }
        }
        log.flush()
    }

    /// The record numbers in the event files (eve.json.N … eve.json), in file order.
    static func numbersOnDisk(_ path: String) throws -> [Int] {
        try EventFiles.list(path).flatMap { file in
            try Data(contentsOf: URL(fileURLWithPath: EventFiles.name(path, index: file.index))).split(separator: 0x0A).map {
                try #require((try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["pcap_cnt"] as? Int)
            }
        }
    }

    /// The record numbers of received frames, each checked to be the forwarder's message.
    static func numbers(_ frames: [[UInt8]]) throws -> [Int] {
        try frames.map { frame in
            let message = try #require(SyslogMessage(frame))
            #expect(message.priority == 132 && message.messageID == "anomaly" && message.appName == "rampart-firewall")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(message.message)) as? [String: Any])
            return try #require(json["pcap_cnt"] as? Int)
        }
    }

    static func target(_ collector: ShippingCollector) -> SyslogTarget {
        SyslogTarget(transport: .tcp, host: "127.0.0.1", port: collector.port)
    }

    /// The saved cursor stands at the end of the live file: everything written is delivered.
    static func cursorAtEnd(_ delivery: EventDelivery) -> Bool {
        guard let live = EventFiles.list(delivery.events).last, live.index == 0,
              let cursor = try? ShipCursor.load(from: delivery.cursorPath) else { return false }
        return cursor == ShipCursor(file: live.identity, offset: live.size)
    }

    @Test func aCollectorThatIsDownHoldsRotatedFilesAndGetsEveryRecordOnceWhenItReturns() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let collector = try ShippingCollector(up: false)
        let lines = CapturedLines()
        let delivery = EventDelivery(events: path, keep: 1, holdMaxBytes: 1 << 30, log: lines.add)
        let log = try EventLog(path: path, maxBytes: 4096, keep: 1, delivery: delivery)
        let shipper = try EventShipper(delivery: delivery, target: Self.target(collector), maximumBackoffSeconds: 0.2)
        shipper.start()
        defer { shipper.stop(drainSeconds: 0) }
        #expect(lines.events("ship-cursor-new").count == 1)

        Self.write(log, 1 ... 400)
        // Nothing was delivered, so no rotated file was deleted: every record is on disk.
        #expect(try Self.numbersOnDisk(path) == Array(1 ... 400))
        let files = EventFiles.list(path)
        #expect(files.count > 4, "eventsKeep 1 and 4 KiB files: \(files.count) files")
        #expect(log.rotations == files.count - 1)
        // eve.json and eve.json.1 are kept anyway; every other file is held for the collector.
        #expect(eventually { delivery.counters.heldFiles == UInt64(files.count - 2) })
        let board = MetricsBoard()
        board.attach(delivery)
        #expect(board.snapshot.prometheusText().contains("\nrampart_events_held_files \(files.count - 2)\n"))
        #expect(delivery.counters.shippedRecords == 0)
        let written = UInt64(files.reduce(0) { $0 + $1.size })
        #expect(eventually { delivery.counters.backlogBytes == written })
        #expect(eventually { !lines.events("syslog-unreachable").isEmpty })

        try collector.up()
        let frames = collector.collect { $0.count >= 400 }
        #expect(try Self.numbers(frames) == Array(1 ... 400), "every record once, in order")
        #expect(eventually { delivery.counters.shippedRecords == 400 && Self.cursorAtEnd(delivery) })
        #expect(eventually { delivery.counters.backlogBytes == 0 })
        #expect(!lines.events("syslog-reconnected").isEmpty)

        // Delivered: the next rotation trims the files back to eventsKeep.
        let rotations = log.rotations
        var next = 401
        while log.rotations == rotations && next < 1000 {
            log.anomaly(Self.record(next))
            log.flush()
            next += 1
        }
        #expect(Set(EventFiles.list(path).map(\.index)) == [0, 1])
        #expect(eventually { delivery.counters.heldFiles == 0 })
        let all = collector.collect { $0.count >= next - 1 }
        #expect(try Self.numbers(all) == Array(1 ..< next))
        #expect(collector.connections == 1)
    }

    @Test func aRestartedShipperResumesAtItsCursorWithoutLosingARecord() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let collector = try ShippingCollector(up: true)
        let delivery = EventDelivery(events: path, keep: 1, holdMaxBytes: 1 << 30, log: { _ in })
        let log = try EventLog(path: path, maxBytes: 4096, keep: 1, delivery: delivery)

        let first = try EventShipper(delivery: delivery, target: Self.target(collector), maximumBackoffSeconds: 0.2)
        first.start()
        Self.write(log, 1 ... 100)
        #expect(try Self.numbers(collector.collect { $0.count >= 100 }) == Array(1 ... 100))
        #expect(eventually { Self.cursorAtEnd(delivery) })
        let cursorAfter100 = try #require(try ShipCursor.load(from: delivery.cursorPath))
        first.stop(drainSeconds: 10)

        // Written while no shipper runs: rotation holds it all (the cursor says unsent).
        Self.write(log, 101 ... 200)
        #expect(try Self.numbersOnDisk(path).suffix(100) == Array(101 ... 200))
        collector.hangUp()
        let second = try EventShipper(delivery: delivery, target: Self.target(collector), maximumBackoffSeconds: 0.2)
        second.start()
        let resumed = collector.collect { $0.count >= 200 }
        #expect(try Self.numbers(resumed) == Array(1 ... 200), "resumed after 100, nothing lost or sent twice")
        #expect(eventually { Self.cursorAtEnd(delivery) })
        second.stop(drainSeconds: 10)

        // A crash loses at most what came after the last saved cursor: bring back the cursor
        // saved after record 100, and records 101...200 go again, in order, none missing.
        try cursorAfter100.save(to: delivery.cursorPath)
        collector.hangUp()
        let third = try EventShipper(delivery: delivery, target: Self.target(collector), maximumBackoffSeconds: 0.2)
        third.start()
        defer { third.stop(drainSeconds: 0) }
        let again = collector.collect { $0.count >= 300 }
        #expect(try Self.numbers(again) == Array(1 ... 200) + Array(101 ... 200))
    }

    @Test func aFullHoldKeepsHistoryAndCountsTheRecordsItCouldNotWrite() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let collector = try ShippingCollector(up: false)
        let lines = CapturedLines()
        let holdMaxBytes = 3 * 4096
        let delivery = EventDelivery(events: path, keep: 1, holdMaxBytes: holdMaxBytes, log: lines.add)
        let log = try EventLog(path: path, maxBytes: 4096, keep: 1, delivery: delivery)
        let shipper = try EventShipper(delivery: delivery, target: Self.target(collector), maximumBackoffSeconds: 0.2)
        shipper.start()
        defer { shipper.stop(drainSeconds: 0) }

        Self.write(log, 1 ... 400)
        // The oldest records stay; the newest were not written, and are counted.
        let kept = try Self.numbersOnDisk(path)
        let unwritten = Int(delivery.counters.unwrittenRecords)
        #expect(unwritten > 0 && !kept.isEmpty)
        #expect(kept == Array(1 ... kept.count), "history kept from the first record")
        #expect(kept.count + unwritten == 400)
        #expect(delivery.counters.unwrittenBytes > 0)
        let files = EventFiles.list(path)
        let held = files.filter { $0.index > 1 }.reduce(0) { $0 + $1.size }
        #expect(held > 0 && held <= holdMaxBytes)
        #expect(eventually { delivery.counters.heldBytes == UInt64(held) })
        let full = lines.events("events-hold-full")
        #expect(full.count == 1, "one line per episode, not one per refused flush")
        #expect(full.first?["level"] as? String == "error")
        let board = MetricsBoard()
        board.attach(delivery)
        #expect(board.snapshot.prometheusText().contains("\nrampart_events_unwritten_records_total \(unwritten)\n"))

        // The collector returns: what was kept goes out, then writing resumes.
        try collector.up()
        #expect(try Self.numbers(collector.collect { $0.count >= kept.count }) == kept)
        #expect(eventually { Self.cursorAtEnd(delivery) })
        Self.write(log, 401 ... 420)
        #expect(delivery.counters.unwrittenRecords == UInt64(unwritten))
        let released = lines.events("events-hold-released")
        #expect(released.count == 1)
        #expect(released.first?["unwritten_records"] as? Int == unwritten)
        let all = collector.collect { $0.count >= kept.count + 20 }
        #expect(try Self.numbers(all) == kept + Array(401 ... 420))
    }

    @Test func udpSyslogStillSendsFromMemoryAndRotationDoesNotWait() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let collector = try SyslogCollector()
        let log = try EventLog(path: path, maxBytes: 4096, keep: 1, syslog: try SyslogForwarder(destination: collector.address))
        Self.write(log, 1 ... 200)
        #expect(Set(EventFiles.list(path).map(\.index)) == [0, 1])
        #expect(log.syslog?.sent == 200)
    }

    @Test func aLineLongerThanAMessageIsReadWholeAndSentCut() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let long = "{\"event_type\":\"http\",\"x\":\"" + String(repeating: "a", count: 10_000) + "\"}\n"
        try Data((long + "{\"event_type\":\"flow\"}\n").utf8).write(to: URL(fileURLWithPath: path))
        var reader = EventFileReader(path: path)
        #expect(reader.open(at: nil) == .atOldest)
        #expect(reader.next() == .record)
        #expect(reader.head.count == EventFileReader.headBytes && reader.recordBytes == long.utf8.count)
        #expect(reader.head[EventShipper.eventType(in: reader.head)].elementsEqual("http".utf8))
        #expect(reader.next() == .record)
        #expect(reader.recordBytes == 22 && reader.position.offset == long.utf8.count + 22)
        #expect(reader.next() == .waiting)
    }

    @Test func aLiveFileTruncatedInPlaceIsReadAgainFromItsStart() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        try Data("{\"event_type\":\"flow\",\"n\":1}\n{\"event_type\":\"flow\",\"n\":2}\n".utf8).write(to: URL(fileURLWithPath: path))
        var reader = EventFileReader(path: path)
        #expect(reader.open(at: nil) == .atOldest)
        #expect(reader.next() == .record && reader.next() == .record && reader.next() == .waiting)
        // copytruncate: the same inode emptied, then written again from its start.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data("{\"n\":3}\n".utf8))
        try handle.close()
        #expect(reader.next() == .record)
        #expect(reader.head == Array("{\"n\":3}".utf8) && reader.truncations == 1)
        #expect(reader.next() == .waiting)
    }

    @Test func configurationReadsTheHoldBound() throws {
        func parse(_ spec: String) throws(PolicyErrorsProxy) -> FirewallConfiguration {
            do {
                return try EventLogRotationTests.firewallSettings(spec)
            } catch { throw PolicyErrorsProxy(messages: error.errors.map { "\($0.line): \($0.message)" }) }
        }
        #expect(try parse("  events: /tmp/eve.json").eventsHoldMaxBytes == 1 << 30)
        #expect(try parse("  eventsHoldMaxBytes: 0").eventsHoldMaxBytes == 0)
        #expect(try parse("  eventsHoldMaxBytes: 10737418240").eventsHoldMaxBytes == 10 << 30)
        do {
            _ = try parse("  eventsHoldMaxBytes: -1")
            Issue.record("a negative hold was accepted")
        } catch {
            #expect(error.messages == ["5: spec.eventsHoldMaxBytes must be a size in bytes from 0 (hold nothing past eventsKeep) to 17592186044416 (16 TiB), found '-1'"])
        }
    }

    struct PolicyErrorsProxy: Error { var messages: [String] }
}
