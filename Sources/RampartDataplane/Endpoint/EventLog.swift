#if canImport(Glibc)
import Glibc
#endif
import RampartInspect

/// Writes the firewall's events as EVE JSON lines (the shape `rampart inspect` writes) to
/// a file or standard output through one buffer, flushed every publish interval.
///
/// ```swift
/// let log = try EventLog(path: "/var/log/rampart/eve.json")   // or "-" for stdout
/// log.flush()
/// ```
public final class EventLog: EventSink {
    let descriptor: Int32
    let ownsDescriptor: Bool
    var line = JSONLine()
    /// Whole lines only: with several workers appending to one file, each `write` of whole
    /// lines lands intact (O_APPEND), where stdio could flush half a line.
    var buffer: [UInt8] = []
    public private(set) var flowCount = 0
    public private(set) var anomalyCount = 0
    public private(set) var writeFailed = false
    static let flushThreshold = 64 << 10

    /// Opens `path` for appending, or standard output for "-".
    public init(path: String) throws {
        if path != "-" {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw SystemError("open \(path)") }
            descriptor = fd
            ownsDescriptor = true
        } else {
            descriptor = 1
            ownsDescriptor = false
        }
        buffer.reserveCapacity(Self.flushThreshold * 2)
    }

    deinit {
        if ownsDescriptor { Glibc.close(descriptor) }
    }

    public func flowStarted(_ record: FlowRecord) {
        line.reset()
        record.writeEVE(into: &line, reason: "start")
        emit()
    }

    public func flowEnded(_ record: FlowRecord) {
        flowCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit()
        for type in record.applicationEventTypes {
            line.reset()
            record.writeApplicationEVE(type, into: &line)
            emit()
        }
    }

    public func anomaly(_ record: AnomalyRecord) {
        anomalyCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit()
    }

    func emit() {
        buffer.append(contentsOf: line.bytes)
        if buffer.count >= Self.flushThreshold { flush() }
    }

    /// Writes the buffered lines (cheap when there are none).
    public func flush() {
        guard !buffer.isEmpty else { return }
        var written = 0
        buffer.withUnsafeBytes { bytes in
            while written < bytes.count {
                let n = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { writeFailed = true; return }
                written += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes (and closes a file it opened); reports whether every byte was written.
    public func close() -> Bool {
        flush()
        if ownsDescriptor { fsync(descriptor) }
        return !writeFailed
    }
}
