import FoundationEssentials
import RampartJSON
import RampartLog
import RampartPOSIX
import RampartKube

/// The manager's log lines, in the shape every daemon writes (`LogLine`).
///
/// ```swift
/// ManagerLog.line("info", cluster: "prod", event: "synced", message: "pods: 5000 objects")
/// // {"time":"2026-11-23T14:02:00.000Z","level":"info","component":"rampart-manager","event":"synced","message":"pods: 5000 objects","cluster":"prod"}
/// ```
public enum ManagerLog {
    public static func line(_ level: String, cluster: String? = nil, event: String, message: String) -> String {
        LogLine.render(LogLevel(rawValue: level) ?? .info, event: event, message: message, component: "rampart-manager",
                       fields: cluster.map { [("cluster", JSONValue.string($0))] } ?? [])
    }

    /// A line with typed fields after `time`, `level`, `component` and `event` (the fields'
    /// keys sorted): `{"time":"...","level":"warning","component":"rampart-manager","event":"push-failed","error":"...","firewall":"fw-1","status":503}`.
    public static func line(_ level: String, event: String, fields: [String: JSONValue]) -> String {
        LogLine.render(LogLevel(rawValue: level) ?? .info, event: event, message: nil, component: "rampart-manager",
                       fields: fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
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
