import RampartHTTP
import Synchronization

/// The agent's counters, rendered in the Prometheus text exposition format for `/metrics`.
///
/// ```swift
/// let metrics = NodeMetrics()
/// metrics.count("rampart_node_decisions_total", ["result": "bypass"])
/// print(metrics.render())
/// ```
public final class NodeMetrics: Sendable {
    private struct Series: Hashable { var name: String; var labels: [String] }
    private let counters = Mutex<[Series: Double]>([:])
    private let gauges = Mutex<[Series: Double]>([:])

    /// What each metric means, for the `# HELP` lines.
    public static let help: [String: (type: String, text: String)] = [
        "rampart_node_decisions_total": ("counter", "Answers to the plugin's decide requests, by result (steer, not_steered, bypass, fail_open, undecided)."),
        "rampart_node_fail_open_total": ("counter", "Pods left uninspected although steering was wanted or unknowable, by reason."),
        "rampart_node_bypass_total": ("counter", "Pods exempted by their own rampart.io/inspect=bypass annotation."),
        "rampart_node_resteer_total": ("counter", "Steering changes applied to running pods, by direction and outcome."),
        "rampart_node_requests_total": ("counter", "Plugin socket requests, by operation and outcome."),
        "rampart_cni_events_total": ("counter", "Events in rampart-cni's log (steered, bypassed, agent_unreachable, tunnel_missing, ...), by event and level, read by the agent."),
        "rampart_node_attachments": ("gauge", "Pod attachments known to the agent, by steered state."),
        "rampart_node_firewall_healthy": ("gauge", "1 when the firewall answers its health check (or has none configured)."),
        "rampart_node_cache_synced": ("gauge", "1 once pods and namespaces have been listed."),
        "rampart_node_tunnel_up": ("gauge", "1 while the tunnel device exists and is up."),
        "rampart_node_firewall_guard_addresses": ("gauge", "Firewall pod addresses protected pods are refused (spec.firewallPods)."),
        "rampart_node_firewall_guard_synced": ("gauge", "1 once the firewall pods have been listed and their addresses guarded."),
        "rampart_node_firewall_guard_errors_total": ("counter", "Failures to write the firewall guard's routes (event firewall-guard)."),
        "rampart_node_ready": ("gauge", "1 when the agent can steer new pods."),
        "rampart_node_firewall_share": ("gauge", "Each firewall's share of the hash buckets: the expected share of new sessions (1 for the active firewall with balancing: active)."),
        "rampart_node_firewall_buckets": ("gauge", "Hash buckets each firewall owns (balancing: hash)."),
        "rampart_node_firewall_transitions_total": ("counter", "Changes of a firewall's health, by address and new state (up, down)."),
        "rampart_node_buckets_moved_total": ("counter", "Hash buckets pointed at another firewall."),
        "rampart_node_firewall_steered_packets_total": ("counter", "Frames this node sent each firewall through the spreading rule (nft counters; balancing: hash)."),
        "rampart_node_firewall_steered_bytes_total": ("counter", "Bytes of those frames."),
        "rampart_node_firewall_steered_sessions_total": ("counter", "New TCP sessions (SYN without ACK, retransmissions included) this node sent each firewall (balancing: hash)."),
        "rampart_node_plugin_installed": ("gauge", "1 while rampart-cni is the last plugin of the primary's conflist."),
    ]

    public init() {}

    public func count(_ name: String, _ labels: [String: String] = [:], by amount: Double = 1) {
        let series = Series(name: name, labels: NodeMetrics.labelList(labels))
        counters.withLock { $0[series, default: 0] += amount }
    }

    public func set(_ name: String, _ labels: [String: String] = [:], _ value: Double) {
        let series = Series(name: name, labels: NodeMetrics.labelList(labels))
        gauges.withLock { $0[series] = value }
    }

    /// Clears every series of a gauge (before setting the current set of label values).
    public func resetGauge(_ name: String) {
        gauges.withLock { gauges in gauges = gauges.filter { $0.key.name != name } }
    }

    /// A counter's value (0 when never counted).
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        let series = Series(name: name, labels: NodeMetrics.labelList(labels))
        return counters.withLock { $0[series] } ?? gauges.withLock { $0[series] } ?? 0
    }

    public func render() -> String {
        let all = counters.withLock { $0 }.merging(gauges.withLock { $0 }) { a, _ in a }
        var byName: [String: [(Series, Double)]] = [:]
        for (series, value) in all { byName[series.name, default: []].append((series, value)) }
        var page = PrometheusText()
        for name in byName.keys.sorted() {
            if let help = NodeMetrics.help[name] {
                page.header(name, PrometheusText.Kind(rawValue: help.type) ?? .gauge, help.text)
            }
            var lines = ""
            for (series, value) in byName[name, default: []].sorted(by: { $0.0.labels.joined() < $1.0.labels.joined() }) {
                let labels = series.labels.isEmpty ? "" : "{" + series.labels.joined(separator: ",") + "}"
                let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
                lines += "\(name)\(labels) \(number)\n"
            }
            page.raw(lines)
        }
        return page.text
    }

    private static func labelList(_ labels: [String: String]) -> [String] {
        labels.sorted { $0.key < $1.key }.map { key, value in "\(key)=\"\(PrometheusText.escape(value))\"" }
    }
}

extension String {
    func replacingAll(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
