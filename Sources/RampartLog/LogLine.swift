#if canImport(Glibc)
import Glibc
#endif
import RampartJSON
import RampartPOSIX

/// How much a log line matters.
public enum LogLevel: String, Sendable {
    case info, warning, error
}

/// The one shape of every daemon's log: one JSON object per line, for a SIEM or `jq`,
/// written whole (one `write`, so lines of several threads never interleave).
///
/// `time` (UTC, RFC 3339, milliseconds), `level`, `event` (a stable word: `started`,
/// `policy-reloaded`, `push-failed`, ...), `message` (for people), then the line's own fields.
///
/// ```swift
/// let log = LogWriter(component: "rampart-firewall")
/// log.info("policy-reloaded", "policy reloaded (12 rules, generation 3)", ["generation": .integer(3)])
/// // {"time":"2026-12-04T07:00:00.000Z","level":"info","component":"rampart-firewall","event":"policy-reloaded",...}
/// ```
public struct LogWriter: Sendable {
    /// The daemon writing (`rampart-firewall`, `rampart-node`, ...); nil: not named.
    public let component: String?
    public let descriptor: Int32

    public init(component: String?, descriptor: Int32 = 2) {
        self.component = component
        self.descriptor = descriptor
    }

    public func info(_ event: String, _ message: String, _ fields: [(String, JSONValue)] = []) {
        write(.info, event, message, fields)
    }

    public func warning(_ event: String, _ message: String, _ fields: [(String, JSONValue)] = []) {
        write(.warning, event, message, fields)
    }

    public func error(_ event: String, _ message: String, _ fields: [(String, JSONValue)] = []) {
        write(.error, event, message, fields)
    }

    public func write(_ level: LogLevel, _ event: String, _ message: String, _ fields: [(String, JSONValue)] = []) {
        LogWriter.writeLine(LogLine.render(level, event: event, message: message, component: component, fields: fields), to: descriptor)
    }

    /// Writes `line` and a newline in one `write` (retried on EINTR and short writes).
    public static func writeLine(_ line: String, to descriptor: Int32) {
        FileDescriptorWriter.writeAll(Array((line + "\n").utf8), to: descriptor)
    }
}

/// One log line as text (without the newline).
public enum LogLine {
    public static func render(_ level: LogLevel, event: String, message: String?, component: String? = nil,
                              fields: [(String, JSONValue)] = [], time: String = LogLine.now()) -> String {
        var members: [(String, JSONValue)] = [("time", .string(time)), ("level", .string(level.rawValue))]
        if let component { members.append(("component", .string(component))) }
        members.append(("event", .string(event)))
        if let message { members.append(("message", .string(message))) }
        return JSONValue.object(members + fields).serialized()
    }

    /// Now, in UTC, as `2026-12-04T07:00:00.123Z`.
    public static func now() -> String {
        var clock = timespec()
        clock_gettime(CLOCK_REALTIME, &clock)
        return format(seconds: Int(clock.tv_sec), milliseconds: Int(clock.tv_nsec / 1_000_000))
    }

    /// A time as `2026-12-04T07:00:00.123Z`.
    public static func format(seconds: Int, milliseconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int, _ width: Int) -> String {
            let digits = String(v)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2)).\(pad(milliseconds, 3))Z"
    }
}
