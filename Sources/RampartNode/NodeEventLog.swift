import FoundationEssentials
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The agent's event stream: one JSON line per steering exception (a pod that bypasses
/// the firewall by annotation, a fail-open decision) and per change of a running pod's
/// steering, shaped like the firewall's EVE records (`timestamp`, `event_type`).
///
/// ```swift
/// let events = try NodeEventLog(path: "-")          // standard output
/// events.record("steering", ["decision": "bypass", "namespace": "shop", "pod": "web-0"])
/// ```
public final class NodeEventLog: Sendable {
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// `"-"` writes to standard output; any other path is opened for appending.
    public init(path: String) throws(NodeError) {
        if path == "-" {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw .io(path: path, operation: "opening the event log", errno: errno) }
            // Group-readable at most (0640), also when the file existed before.
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & 0o007 != 0, fchmod(fd, info.st_mode & 0o7770) != 0 {
                let code = errno
                close(fd)
                throw .io(path: path, operation: "making the event log unreadable to others", errno: code)
            }
            descriptor = fd
            ownsDescriptor = true
        }
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    /// Appends one event; `fields` become members of an object named after the type.
    public func record(_ type: String, _ fields: [String: String]) {
        var line = "{\"timestamp\": \(PluginEntry.quoted(NodeEventLog.timestamp())), \"event_type\": \(PluginEntry.quoted(type)), "
        line += "\(PluginEntry.quoted(type)): {"
        line += fields.sorted { $0.key < $1.key }.map { "\(PluginEntry.quoted($0.key)): \(PluginEntry.quoted($0.value))" }.joined(separator: ", ")
        line += "}}\n"
        // One write(2) per line with O_APPEND: lines from several threads never interleave.
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            _ = write(descriptor, base, raw.count)
        }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return cFormat(
            "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec / 1000))
    }
}
