import FoundationEssentials
import RampartJSON
import RampartPOSIX
import RampartKube

/// The manager's log: one JSON object per line, for a SIEM or `jq`.
///
/// ```swift
/// ManagerLog.line("info", cluster: "prod", event: "synced", message: "pods: 5000 objects")
/// // {"time":"2026-11-23T14:02:00.000Z","level":"info","cluster":"prod","event":"synced","message":"pods: 5000 objects"}
/// ```
public enum ManagerLog {
    public static func line(_ level: String, cluster: String? = nil, event: String, message: String) -> String {
        var object: [String: String] = ["time": ManagerAPI.format(Date().timeIntervalSince1970), "level": level, "event": event, "message": message]
        if let cluster { object["cluster"] = cluster }
        // JSONEncoder writes a [String: String] as JSONSerialization did: compact, keys
        // sorted, "/" escaped.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(object)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A line with typed fields beside `time`, `level` and `event`, keys sorted:
    /// `{"error":"...","event":"push-failed","firewall":"fw-1","level":"warning","status":503,"time":"..."}`.
    public static func line(_ level: String, event: String, fields: [String: JSONValue]) -> String {
        var all = fields
        all["time"] = .string(ManagerAPI.format(Date().timeIntervalSince1970))
        all["level"] = .string(level)
        all["event"] = .string(event)
        return JSONValue.object(all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }).serialized()
    }

    public static func line(for status: ReflectorStatus, cluster: String) -> String {
        switch status {
        case .synced(let resource, let objects):
            return line("info", cluster: cluster, event: "synced", message: "\(resource): listed \(objects) objects, watching")
        case .failed(let resource, let error, let retry):
            return line("warning", cluster: cluster, event: "watch-failed", message: "\(resource): \(error); retrying in \(cFormat("%.1f", retry)) s")
        case .relisting(let resource):
            return line("info", cluster: cluster, event: "relist", message: "\(resource): resource version expired (410), listing again")
        case .rejected(let resource, let detail):
            return line("warning", cluster: cluster, event: "object-rejected", message: "\(resource): \(detail); left out")
        }
    }
}
