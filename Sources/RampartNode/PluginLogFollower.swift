#if canImport(Glibc)
import Glibc
#endif

/// Turns the plugin's log into metrics. `rampart-cni` lives for one ADD and cannot keep a
/// counter, and when it fails open because the agent is away, the agent cannot count it
/// either; so the agent reads the plugin's JSON-lines log (its `logFile`) from where it
/// stopped and counts each event: `rampart_cni_events_total{event, level}`. No fail-open
/// stays silent, even one that happened while the agent was down.
///
/// ```swift
/// let follower = PluginLogFollower(path: "/var/log/rampart/cni.log", offsetFile: "/var/lib/rampart/cni-log.offset")
/// follower.poll(into: metrics)   // every second
/// ```
public final class PluginLogFollower: @unchecked Sendable {
    public let path: String
    /// Where the read position is kept, so an agent restart neither misses nor recounts.
    public let offsetFile: String
    private var offset: Int

    public init(path: String, offsetFile: String) {
        self.path = path
        self.offsetFile = offsetFile
        offset = PluginLogFollower.readOffset(offsetFile)
    }

    /// Counts the lines appended since the last call; a log that shrank (rotated or
    /// truncated) is read from its start.
    public func poll(into metrics: NodeMetrics) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        if Int(info.st_size) < offset { offset = 0 }
        guard Int(info.st_size) > offset, lseek(fd, off_t(offset), SEEK_SET) >= 0 else { return }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while data.count < 16 << 20 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data.append(contentsOf: buffer[0..<n])
        }
        // Only whole lines: a plugin may be writing the next one right now.
        guard let lastNewline = data.lastIndex(of: 0x0A) else { return }
        for line in data[...lastNewline].split(separator: 0x0A) {
            let text = String(decoding: line, as: UTF8.self)
            guard let event = PluginLogFollower.field("event", in: text) else { continue }
            metrics.count("rampart_cni_events_total", ["event": event, "level": PluginLogFollower.field("level", in: text) ?? "info"])
        }
        offset += lastNewline + 1
        PluginLogFollower.writeOffset(offset, to: offsetFile)
    }

    /// The string value of `"name":"…"` in one compact JSON line (the plugin writes them so).
    static func field(_ name: String, in line: String) -> String? {
        guard let start = line.firstRange(of: "\"\(name)\":\"") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let value = String(rest[..<end])
        // Label values stay short and tame even if the line is not what we expect.
        guard !value.isEmpty, value.count <= 64, value.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { return nil }
        return value
    }

    static func readOffset(_ path: String) -> Int {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return 0 }
        return Int(String(decoding: buffer[0..<n].filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self)) ?? 0
    }

    static func writeOffset(_ offset: Int, to path: String) {
        try? AtomicFile.write(Array("\(offset)\n".utf8), to: path, mode: 0o600)
    }
}
