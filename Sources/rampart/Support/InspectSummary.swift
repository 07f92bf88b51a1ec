import RampartInspect
import RampartPolicy
import RampartWire

/// The human summary `rampart inspect` prints on standard error.
struct InspectSummary {
    var capture: String
    var statistics: EngineStatistics
    var policy: PolicyMatcher
    var flows: Int
    var anomalies: Int
    var alerts = 0
    /// fileinfo records written, and those a hash list or YARA rule named malicious (nil: files not tracked).
    var files: (count: Int, malicious: Int)?
    /// The matcher's counters, when the run had rules.
    var detection: DetectionStatistics?
    var seconds: Double

    var text: String {
        let s = statistics
        let rate = seconds > 0 ? Double(s.packets) / seconds : 0
        var lines: [String] = []
        lines.append("rampart inspect: \(capture)")
        lines.append(table([
            ["", "", ""],
            ["packets", grouped(s.packets), "\(grouped(s.bytes)) bytes in \(fixed(seconds, places: 3)) s (\(grouped(UInt64(rate))) packets/s)"],
            ["sessions", grouped(s.sessionsCreated), "ended \(grouped(s.sessionsEnded)), evicted \(grouped(s.sessionsEvicted))"],
            ["verdicts", grouped(s.packetsForwarded), "forwarded; dropped \(grouped(s.packetsDropped)), reset \(grouped(s.packetsReset))"],
            ["events", grouped(flows + anomalies + alerts + (files?.count ?? 0) + Int(s.flowSummaries)), "\(grouped(flows)) flow, \(grouped(anomalies)) anomaly"
                + (detection != nil ? ", \(grouped(alerts)) alert" : "")
                + (files.map { ", \(grouped($0.count)) fileinfo (\(grouped($0.malicious)) malicious)" } ?? "")
                + (s.flowSummaries > 0 ? ", \(grouped(s.flowSummaries)) flow_summary counting \(grouped(s.flowsSummarised)) sessions" : "")],
            ["other", grouped(s.nonIPPackets), "non-IP frames; \(grouped(s.malformedPackets)) malformed; \(grouped(s.datagramsReassembled)) datagrams reassembled"],
            ["fragments", grouped(s.fragmentsHeld), "held until decided: \(grouped(s.fragmentsForwarded)) released, \(grouped(s.fragmentsDropped)) dropped"],
        ].dropFirst().map { $0 }))
        if let d = detection {
            lines.append("")
            lines.append(table([
                ["detection", "", ""],
                ["alerts", grouped(d.alerts), "\(grouped(d.matches)) matches (\(grouped(d.suppressed)) silenced by threshold or noalert), \(grouped(d.evaluations)) rule evaluations"],
                ["scanned", grouped(d.scannedBytes), "bytes in \(grouped(d.scans)) prefilter scans; HTTP: \(grouped(d.httpMessages)) messages, \(grouped(d.httpBodies)) bodies"],
            ].dropFirst().map { $0 }))
        }
        let byApplication = s.sessionsByApplication.enumerated()
            .filter { $0.element > 0 }
            .map { (ApplicationCatalog.name(of: ApplicationID(rawValue: UInt16($0.offset))), $0.element) }
            .sorted { ($1.1, $0.0) < ($0.1, $1.0) }
        if !byApplication.isEmpty {
            lines.append("")
            var rows = [["application", "sessions"]]
            for (name, count) in byApplication { rows.append([name, grouped(count)]) }
            lines.append(table(rows))
        }
        let rules = policy.rules
        var ruleRows = [["rule", "action", "hits"]]
        for (i, hits) in s.ruleHits.enumerated() where hits > 0 && i < rules.count {
            ruleRows.append([rules[i].name, rules[i].action.name, grouped(hits)])
        }
        if ruleRows.count > 1 {
            lines.append("")
            lines.append(table(ruleRows))
        }
        if !s.urlFiltering.isEmpty {
            lines.append("")
            var rows = [["URL category", "action", "sessions"]]
            for (key, count) in s.urlFiltering.sorted(by: { ($1.value, $0.key.category) < ($0.value, $1.key.category) }) {
                rows.append([key.category, key.action.rawValue, grouped(count)])
            }
            lines.append(table(rows))
        }
        let limits = EngineLimit.allCases.filter { s.limitCount($0) > 0 }
        if !limits.isEmpty {
            lines.append("")
            var rows = [["limit reached", "times"]]
            for limit in limits { rows.append([limit.label, grouped(s.limitCount(limit))]) }
            lines.append(table(rows))
            if s.appIDUnbuffered > 0 {
                lines.append("App-ID identified \(grouped(s.appIDUnbuffered)) TCP sessions packet by packet for want of a stream buffer (docs/sessions.md, Limits).")
            }
        }
        let named = s.anomalies.nonZero
        if !named.isEmpty {
            lines.append("")
            var rows = [["anomaly", "count"]]
            for (event, count) in named { rows.append([event.name, grouped(count)]) }
            lines.append(table(rows))
        }
        return lines.joined(separator: "\n")
    }
}
