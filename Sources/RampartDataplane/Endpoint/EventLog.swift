#if canImport(Glibc)
import Glibc
#endif
import RampartInspect

/// Writes the firewall's events as EVE JSON lines (the shape `rampart inspect` writes) to
/// a file or standard output through one buffer, flushed every publish interval; rotates
/// the file by size and optionally forwards each record to syslog.
///
/// Rotation with several workers appending to one file: every worker has its own
/// descriptor and `EventLog`, and each flush takes `flock(LOCK_EX)` on its file (flush time
/// only, never per packet). Under the lock it reopens the path when it no longer names the
/// file it holds (another worker rotated: `fstat` and `stat` inodes differ), rotates when
/// the next line would pass `maxBytes`, and writes whole lines. So no line is split, lost
/// or written to a renamed file, and only one worker rotates each time.
///
/// With a shipper (`delivery`: syslog over TCP, sent from these files), rotation keeps a
/// rotated file the collector has not acknowledged beyond `keep`, and refuses to rotate
/// when such files would pass `eventsHoldMaxBytes`: the lines that do not fit are then not
/// written, and counted (`EventHold`, docs/security.md).
///
/// ```swift
/// let log = try EventLog(path: "/var/log/rampart/eve.json", maxBytes: 100 << 20, keep: 5)
/// log.flush()
/// ```
public final class EventLog: EventSink {
    public let path: String
    var descriptor: Int32
    let ownsDescriptor: Bool
    /// Rotate before the file would pass this many bytes; 0: never.
    public let maxBytes: Int
    /// Rotated files kept (eve.json.1 newest ... eve.json.<keep>); 0: none kept.
    public let keep: Int
    public let syslog: SyslogForwarder?
    /// The shipper's delivery of these files (TCP syslog); nil: rotation deletes by count.
    public let delivery: EventDelivery?
    var line = JSONLine()
    /// Whole lines only: with several workers appending to one file, each `write` of whole
    /// lines lands intact (O_APPEND), where stdio could flush half a line.
    var buffer: [UInt8] = []
    /// The end offset of each line in `buffer`, so rotation can cut between lines.
    var lineEnds: [Int] = []
    public private(set) var flowCount = 0
    public private(set) var anomalyCount = 0
    public private(set) var alertCount = 0
    public private(set) var fileCount = 0
    public private(set) var aiCount = 0
    public private(set) var summaryCount = 0
    public private(set) var writeFailed = false
    /// Rotations this log performed (other workers' rotations are not counted here).
    public private(set) var rotations = 0
    static let flushThreshold = 64 << 10

    /// Opens `path` for appending, or standard output for "-" (never rotated).
    public init(path: String, maxBytes: Int = 0, keep: Int = 5, syslog: SyslogForwarder? = nil, delivery: EventDelivery? = nil) throws {
        self.path = path
        self.maxBytes = path == "-" ? 0 : max(maxBytes, 0)
        self.keep = max(keep, 0)
        self.syslog = syslog
        self.delivery = path == "-" ? nil : delivery
        if path != "-" {
            descriptor = try Self.open(path)
            ownsDescriptor = true
        } else {
            descriptor = 1
            ownsDescriptor = false
        }
        buffer.reserveCapacity(Self.flushThreshold * 2)
        lineEnds.reserveCapacity(1024)
    }

    static func open(_ path: String) throws -> Int32 {
        // 0640: flow records name pods and their traffic; only the firewall and its group read them.
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        return fd
    }

    deinit {
        if ownsDescriptor && descriptor >= 0 { Glibc.close(descriptor) }
    }

    public func flowStarted(_ record: FlowRecord) {
        line.reset()
        record.writeEVE(into: &line, reason: "start")
        emit("flow", severity: SyslogForwarder.informational)
    }

    public func flowEnded(_ record: FlowRecord) {
        flowCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit("flow", severity: SyslogForwarder.informational)
        for type in record.applicationEventTypes {
            line.reset()
            record.writeApplicationEVE(type, into: &line)
            emit(type, severity: SyslogForwarder.informational)
        }
    }

    public func flowSummary(_ record: FlowSummary) {
        summaryCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit("flow_summary", severity: SyslogForwarder.informational)
    }

    public func alert(_ record: AlertRecord) {
        alertCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit("alert", severity: SyslogForwarder.warning)
    }

    public func fileInfo(_ record: FileRecord) {
        fileCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit("fileinfo", severity: record.verdict == "malicious" ? SyslogForwarder.warning : SyslogForwarder.informational)
    }

    public func ai(_ record: AIRecord) {
        aiCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit("ai", severity: record.action == "allowed" ? SyslogForwarder.informational : SyslogForwarder.warning)
    }

    public func anomaly(_ record: AnomalyRecord) {
        anomalyCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit("anomaly", severity: SyslogForwarder.warning)
    }

    func emit(_ eventType: String, severity: UInt8) {
        buffer.append(contentsOf: line.bytes)
        lineEnds.append(buffer.count)
        syslog?.send(eventType: eventType, severity: severity, json: line.bytes)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    /// Writes the buffered lines (cheap when there are none), rotating the file first when
    /// they would pass `maxBytes`.
    public func flush() {
        syslog?.flush()
        guard !buffer.isEmpty else { return }
        if maxBytes > 0 && descriptor >= 0 {
            flushRotating()
        } else {
            buffer.withUnsafeBytes { writeAll($0[0 ..< $0.count]) }
        }
        buffer.removeAll(keepingCapacity: true)
        lineEnds.removeAll(keepingCapacity: true)
    }

    func flushRotating() {
        guard lockCurrentFile() else {
            // The path cannot be reopened: keep appending to the file held, unrotated.
            buffer.withUnsafeBytes { writeAll($0[0 ..< $0.count]) }
            return
        }
        var size = fileSize()
        var start = 0
        var index = 0
        while index < lineEnds.count {
            // As many whole lines as fit; a single line longer than the limit goes alone
            // into a file of its own.
            var end = index
            while end < lineEnds.count && size + (lineEnds[end] - start) <= maxBytes { end += 1 }
            if end == index && size == 0 { end = index + 1 }
            if end > index {
                let stop = lineEnds[end - 1]
                buffer.withUnsafeBytes { writeAll($0[start ..< stop]) }
                size += stop - start
                start = stop
                index = end
            }
            if index < lineEnds.count {
                switch rotate() {
                case .rotated:
                    size = fileSize()
                case .failed:
                    buffer.withUnsafeBytes { writeAll($0[start ..< $0.count]) }
                    index = lineEnds.count
                case .refused(let plan):
                    // History the collector has not received outlives these lines (docs/security.md).
                    delivery?.refused(plan, records: lineEnds.count - index, bytes: buffer.count - start)
                    index = lineEnds.count
                }
            }
        }
        _ = flock(descriptor, LOCK_UN)
    }

    /// Locks the file `path` names now, reopening it when another worker rotated it away.
    func lockCurrentFile() -> Bool {
        for _ in 0 ..< 64 {
            while flock(descriptor, LOCK_EX) != 0 {
                if errno != EINTR { return false }
            }
            var held = stat()
            var named = stat()
            if fstat(descriptor, &held) == 0, stat(path, &named) == 0,
               held.st_dev == named.st_dev, held.st_ino == named.st_ino {
                return true
            }
            _ = flock(descriptor, LOCK_UN)
            guard let fd = try? Self.open(path) else { return false }
            Glibc.close(descriptor)
            descriptor = fd
        }
        return false
    }

    func fileSize() -> Int {
        var held = stat()
        return fstat(descriptor, &held) == 0 ? Int(held.st_size) : 0
    }

    enum Rotation {
        case rotated
        /// A rename or the new file failed: the caller keeps appending to the file it holds.
        case failed
        /// Rotating would delete more unsent history than the hold allows.
        case refused(EventHold.Plan)
    }

    /// With the lock held: every file moves up one number (eve.json → .1, .1 → .2, ...,
    /// highest first so none is overwritten), a file numbered past `keep` is deleted unless
    /// the shipper has not delivered it, then a new eve.json is opened and locked. Other
    /// workers holding the old file find it renamed when they lock it; one of them may open
    /// and write the new file before this worker locks it, so the caller reads the size again.
    func rotate() -> Rotation {
        let files = EventFiles.list(path)
        let delivered = delivery.map { EventHold.delivered(files, cursor: $0.savedCursor()) }
            ?? [Bool](repeating: true, count: files.count)
        let plan = EventHold.plan(files: files, delivered: delivered, keep: keep, holdMaxBytes: delivery?.holdMaxBytes ?? .max)
        if plan.refused { return .refused(plan) }
        for file in files where file.index > 0 {
            if plan.remove.contains(file.index) {
                unlink(EventFiles.name(path, index: file.index))
            } else {
                rename(EventFiles.name(path, index: file.index), EventFiles.name(path, index: file.index + 1))
            }
        }
        if plan.remove.contains(0) {
            unlink(path)
        } else {
            guard rename(path, "\(path).1") == 0 else { return .failed }
        }
        guard let fd = try? Self.open(path) else { return .failed }
        _ = flock(descriptor, LOCK_UN)
        Glibc.close(descriptor)
        descriptor = fd
        rotations += 1
        delivery?.rotated(plan)
        return lockCurrentFile() ? .rotated : .failed
    }

    func writeAll(_ bytes: Slice<UnsafeRawBufferPointer>) {
        guard let base = bytes.base.baseAddress else { return }
        var written = bytes.startIndex
        while written < bytes.endIndex {
            let n = write(descriptor, base + written, bytes.endIndex - written)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { writeFailed = true; return }
            written += n
        }
    }

    /// Flushes (and syncs a file it opened); reports whether every byte was written.
    public func close() -> Bool {
        flush()
        if ownsDescriptor { fsync(descriptor) }
        return !writeFailed
    }
}
