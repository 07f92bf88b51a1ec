/// The frames the shipper handed to its connection and the collector has not yet
/// acknowledged, in order: where each ends in the connection's byte stream, and where its
/// record ends in the event files. Bounded by the shipper's window (`EventShipper.window`
/// bytes in flight, so about window ÷ 60 entries, a frame's smallest size), plus one
/// marker per event file entered.
///
/// ```swift
/// ledger.append(ShipLedger.Entry(streamEnd: 120, position: cursor, bytes: 64, records: 1))
/// let done = ledger.acknowledge(upTo: connection.sent - unacknowledged)   // done.position: the new cursor
/// ```
struct ShipLedger {
    struct Entry {
        /// The connection's byte count once this frame is sent.
        var streamEnd: Int
        /// The end of the record in the event files (a marker: the start of a file).
        var position: ShipCursor
        /// The record's bytes in the event file, and 1 (0 for a marker).
        var bytes: Int
        var records: Int
    }

    private var entries: [Entry] = []
    private var first = 0

    var isEmpty: Bool { first == entries.count }
    var count: Int { entries.count - first }

    mutating func append(_ entry: Entry) { entries.append(entry) }

    /// Forgets the entries whose frames end at or before `acknowledged` bytes of the stream:
    /// the position after the last of them (nil when none), and their bytes and records.
    mutating func acknowledge(upTo acknowledged: Int) -> (position: ShipCursor?, bytes: Int, records: Int) {
        var done: (position: ShipCursor?, bytes: Int, records: Int) = (nil, 0, 0)
        while first < entries.count && entries[first].streamEnd <= acknowledged {
            done.position = entries[first].position
            done.bytes += entries[first].bytes
            done.records += entries[first].records
            first += 1
        }
        // Compacted once the dead head is half the array: amortised O(1), never per frame.
        if first == entries.count {
            entries.removeAll(keepingCapacity: true)
            first = 0
        } else if first > 4096 && first * 2 > entries.count {
            entries.removeFirst(first)
            first = 0
        }
        return done
    }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        first = 0
    }
}
