import RampartPOSIX
import Synchronization
import Testing

/// Services start in order and stop in reverse; a failed start leaves nothing running.
@Suite struct ServiceGroupTests {
    struct Refused: Error {}

    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test func startsInOrderAndStopsInReverse() throws {
        let journal = Journal()
        let group = ServiceGroup()
        for name in ["store", "probes", "api"] {
            try group.start(name, { journal.add("start \(name)") }, stop: { journal.add("stop \(name)") })
        }
        #expect(group.running == ["store", "probes", "api"])
        group.stopAll()
        #expect(journal.all == ["start store", "start probes", "start api", "stop api", "stop probes", "stop store"])
        group.stopAll()
        #expect(journal.all.count == 6, "a second stopAll stops nothing twice")
        #expect(group.running.isEmpty)
    }

    @Test func aFailedStartStopsWhatAlreadyRuns() throws {
        let journal = Journal()
        let group = ServiceGroup()
        try group.start("store", { journal.add("start store") }, stop: { journal.add("stop store") })
        group.adopt("shipper", stop: { journal.add("stop shipper") })
        #expect(throws: Refused.self) {
            try group.start("api", { throw Refused() }, stop: { journal.add("stop api") })
        }
        #expect(journal.all == ["start store", "stop shipper", "stop store"], "the refused service is never stopped; the others in reverse")
        #expect(group.running.isEmpty)
    }
}
