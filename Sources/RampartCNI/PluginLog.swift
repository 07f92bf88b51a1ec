#if canImport(Glibc)
import Glibc
#endif
import RampartJSON
import RampartLog

/// The plugin's log: JSON lines appended to `logFile` (when configured); warnings also go
/// to standard error, which runtimes keep in their own logs. An `event` names what
/// happened in a stable word (`agent_unreachable`, `steered`, `bypassed`, ...).
///
/// ```swift
/// let log = PluginLog(path: "/var/log/rampart/cni.log")
/// log.record(.warning, event: "agent_unreachable", "no answer; pod starts unprotected", ["containerID": id])
/// ```
public struct PluginLog: Sendable {
    public enum Level: String, Sendable { case info, warning, error }

    public var path: String?
    /// Standard error receives warnings and errors when true.
    public var echoWarnings: Bool

    public init(path: String?, echoWarnings: Bool = true) {
        self.path = path
        self.echoWarnings = echoWarnings
    }

    /// Appends one record (whole line, `O_APPEND`, so concurrent plugins never interleave).
    public func record(_ level: Level, event: String, _ message: String, _ fields: [(String, String)] = []) {
        let line = LogLine.render(LogLevel(rawValue: level.rawValue) ?? .info, event: event, message: message,
                                  fields: fields.map { ($0.0, JSONValue.string($0.1)) }) + "\n"
        if echoWarnings && level != .info {
            let text = "rampart-cni: \(level.rawValue): \(message)\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
        }
        guard let path else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        PluginLog.restrict(fd)
        _ = line.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    /// Takes every permission from other users off an open log file (one created by
    /// someone else, or before the plugin created it 0640): root writes, a group may read.
    ///
    /// ```swift
    /// PluginLog.restrict(fd)   // 0644 -> 0640
    /// ```
    public static func restrict(_ fd: Int32) {
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & 0o007 != 0 { fchmod(fd, info.st_mode & 0o7770) }
    }
}
