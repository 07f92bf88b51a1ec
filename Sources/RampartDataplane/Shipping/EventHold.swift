/// What rotation may delete when a shipper sends the event files to a collector: a file the
/// collector has not acknowledged is kept beyond `eventsKeep`, up to `holdMaxBytes` of such
/// files; past that the rotation is refused (docs/security.md says why). Pure: it decides
/// from a listing and a cursor, and `EventLog.rotate` carries it out under the file lock.
///
/// ```swift
/// let plan = EventHold.plan(files: EventFiles.list(path), delivered: EventHold.delivered(files, cursor: cursor),
///                           keep: 1, holdMaxBytes: 1 << 30)
/// if plan.refused { /* the records that do not fit are not written, and counted */ }
/// ```
public enum EventHold {
    /// One rotation decided: the files to delete (by current index), those kept beyond
    /// `keep` because unsent, and whether the rotation must not happen at all.
    public struct Plan: Sendable, Equatable {
        public var remove: Set<Int> = []
        public var heldFiles = 0
        public var heldBytes = 0
        public var refused = false
    }

    /// For each file of `files` (oldest first): whether rotation may treat it as delivered.
    /// Records go out in file order, so the files before the cursor's are delivered and none
    /// after it. The cursor's own file is kept even when the cursor stands at its end: a
    /// shipper restarted from that cursor must find it (it moves to the next file as soon
    /// as it reads on). Without a cursor, or when its file is gone, nothing is known
    /// delivered (the shipper starts again at the oldest file there is).
    public static func delivered(_ files: [EventFile], cursor: ShipCursor?) -> [Bool] {
        guard let cursor, let at = files.firstIndex(where: { $0.identity == cursor.file }) else {
            return [Bool](repeating: false, count: files.count)
        }
        return files.indices.map { $0 < at }
    }

    /// What rotating now does: every file moves up one number (the live file becomes .1);
    /// a file that would be numbered past `keep` is deleted when delivered and held when
    /// not. Refused when the held files would pass `holdMaxBytes`.
    public static func plan(files: [EventFile], delivered: [Bool], keep: Int, holdMaxBytes: Int) -> Plan {
        var plan = Plan()
        for (i, file) in files.enumerated() where file.index + 1 > keep {
            if i < delivered.count && delivered[i] {
                plan.remove.insert(file.index)
            } else {
                plan.heldFiles += 1
                plan.heldBytes += file.size
            }
        }
        plan.refused = plan.heldBytes > holdMaxBytes
        return plan
    }

    /// The rotated files numbered past `keep` that the collector has not acknowledged
    /// (kept by an earlier rotation), and their bytes.
    public static func held(_ files: [EventFile], delivered: [Bool], keep: Int) -> (files: Int, bytes: Int) {
        var held = (files: 0, bytes: 0)
        for (i, file) in files.enumerated() where file.index > keep && !(i < delivered.count && delivered[i]) {
            held.files += 1
            held.bytes += file.size
        }
        return held
    }

    /// Bytes of the event files the collector has not acknowledged.
    public static func backlog(_ files: [EventFile], cursor: ShipCursor?) -> Int {
        guard let cursor, let at = files.firstIndex(where: { $0.identity == cursor.file }) else {
            return files.reduce(0) { $0 + $1.size }
        }
        return max(files[at].size - cursor.offset, 0) + files[(at + 1)...].reduce(0) { $0 + $1.size }
    }
}
