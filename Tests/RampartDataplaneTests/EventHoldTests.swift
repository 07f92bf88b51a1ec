import Foundation
@testable import RampartDataplane
import RampartInspect
import RampartWire
import Testing

/// What rotation may delete when the event files are shipped (`EventHold`), and the
/// shipper's cursor on disk (`ShipCursor`): pure decisions and one small file.
@Suite("Event hold and shipping cursor")
struct EventHoldTests {
    @Test func holdPlansDeleteOnlyWhatWasDelivered() {
        func file(_ index: Int, _ inode: UInt64, _ size: Int) -> EventFile {
            EventFile(index: index, identity: FileIdentity(device: 1, inode: inode), size: size)
        }
        let files = [file(3, 13, 100), file(2, 12, 100), file(1, 11, 100), file(0, 10, 50)]
        // The cursor in eve.json.2: .3 is delivered, .2 (the cursor's own) and newer are not.
        let cursor = ShipCursor(file: FileIdentity(device: 1, inode: 12), offset: 100)
        let delivered = EventHold.delivered(files, cursor: cursor)
        #expect(delivered == [true, false, false, false])
        let plan = EventHold.plan(files: files, delivered: delivered, keep: 1, holdMaxBytes: 1000)
        #expect(plan.remove == [3] && plan.heldFiles == 2 && plan.heldBytes == 200 && !plan.refused)
        #expect(EventHold.plan(files: files, delivered: delivered, keep: 1, holdMaxBytes: 199).refused)
        #expect(EventHold.backlog(files, cursor: cursor) == 150)
        #expect(EventHold.held(files, delivered: delivered, keep: 1) == (files: 1, bytes: 100))
        // No cursor: nothing is known delivered, everything past eventsKeep is held.
        #expect(EventHold.delivered(files, cursor: nil) == [false, false, false, false])
        // No shipper: everything counts as delivered, and only eventsKeep files stay.
        let all = [Bool](repeating: true, count: 4)
        #expect(EventHold.plan(files: files, delivered: all, keep: 1, holdMaxBytes: 0).remove == [1, 2, 3])
        #expect(EventHold.plan(files: files, delivered: all, keep: 0, holdMaxBytes: 0).remove == [0, 1, 2, 3])
    }

    @Test func cursorsSurviveARoundTripAndABrokenOneSaysSo() throws {
        let directory = NSTemporaryDirectory() + "rampart-cursor-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json.shipped"
        #expect(try ShipCursor.load(from: path) == nil)
        let cursor = ShipCursor(file: FileIdentity(device: 2049, inode: 1 << 40), offset: 123_456)
        try cursor.save(to: path)
        #expect(try ShipCursor.load(from: path) == cursor)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        try Data("{\"device\":1}".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ShipCursor.load(from: path)
            Issue.record("a cursor without inode and offset was accepted")
        } catch {
            #expect(error.description.contains("does not hold a shipping cursor"))
        }
    }

    @Test func rotationKeepsWhatTheCursorHasNotPassedAndTrimsOnceItHas() throws {
        let directory = NSTemporaryDirectory() + "rampart-hold-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/eve.json"
        let delivery = EventDelivery(events: path, keep: 1, holdMaxBytes: 1 << 30, log: { _ in })
        let log = try EventLog(path: path, maxBytes: 4096, keep: 1, delivery: delivery)
        func record(_ n: Int) -> AnomalyRecord {
            AnomalyRecord(timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: 0), event: .ipv4TooShort, packetNumber: UInt64(n))
        }
        // No cursor: nothing is delivered, nothing past eventsKeep is deleted.
        for i in 1 ... 200 { log.anomaly(record(i)); log.flush() }
        let files = EventFiles.list(path)
        #expect(files.count == log.rotations + 1 && files.count > 3)
        #expect(delivery.counters.heldFiles == UInt64(files.count - 2))
        // Everything up to the end of eve.json delivered: the next rotation trims to eventsKeep.
        let live = try #require(files.last)
        try ShipCursor(file: live.identity, offset: live.size).save(to: delivery.cursorPath)
        let rotations = log.rotations
        var i = 201
        while log.rotations == rotations && i < 1000 { log.anomaly(record(i)); log.flush(); i += 1 }
        #expect(Set(EventFiles.list(path).map(\.index)) == [0, 1])
        #expect(delivery.counters.heldFiles == 0)
    }
}
