#if canImport(Glibc)
import RampartPOSIX
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RampartInspect

/// Writes EVE JSON lines to a file or standard output through one buffer, and keeps the
/// counts the summary reports.
final class EventWriter: EventSink {
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var line = JSONLine()
    private(set) var flowCount = 0
    private(set) var anomalyCount = 0
    private(set) var summaryCount = 0
    private(set) var alertCount = 0
    private(set) var fileCount = 0
    private(set) var aiCount = 0
    private(set) var maliciousCount = 0
    private(set) var writeFailed = false

    /// Opens `path` for writing, or standard output when `path` is nil or "-".
    init(path: String?) throws {
        if let path, path != "-" {
            guard let f = fopen(path, "w") else {
                throw FileReadError(path: path, reason: "cannot open for writing: \(String(cString: strerror(errno)))")
            }
            file = f
            ownsFile = true
            setvbuf(f, nil, _IOFBF, 1 << 20)
        } else {
            guard let f = fdopen(1, "w") else {
                throw FileReadError(path: "standard output", reason: "cannot write to it")
            }
            file = f
            ownsFile = false
            setvbuf(f, nil, _IOFBF, 1 << 16)
        }
    }

    func flowStarted(_ record: FlowRecord) {
        line.reset()
        record.writeEVE(into: &line, reason: "start")
        emit()
    }

    func flowEnded(_ record: FlowRecord) {
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

    func flowSummary(_ record: FlowSummary) {
        summaryCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit()
    }

    func fileInfo(_ record: FileRecord) {
        fileCount += 1
        if record.verdict == "malicious" { maliciousCount += 1 }
        line.reset()
        record.writeEVE(into: &line)
        emit()
    }

    func ai(_ record: AIRecord) {
        aiCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit()
    }

    func alert(_ record: AlertRecord) {
        alertCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit()
    }

    func anomaly(_ record: AnomalyRecord) {
        anomalyCount += 1
        line.reset()
        record.writeEVE(into: &line)
        emit()
    }

    private func emit() {
        let written = line.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        if written != line.bytes.count { writeFailed = true }
    }

    /// Flushes and closes; reports whether every byte reached the file.
    func close() -> Bool {
        if fflush(file) != 0 { writeFailed = true }
        if ownsFile, fclose(file) != 0 { writeFailed = true }
        return !writeFailed
    }
}
