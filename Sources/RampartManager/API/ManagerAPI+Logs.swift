import FoundationEssentials
import RampartHTTP
import RampartJSON

/// `GET /logs`: the log store searched (docs/manager.md, "Log store").
///
/// ```text
/// GET /logs?ns=shop&app=postgresql&action=deny&since=1h&limit=100
/// ```
///
/// Criteria: `since` (a duration back from now: `90s`, `15m`, `1h`, `2d`; or a time),
/// `from`, `to` (RFC 3339 or Unix seconds), `cluster`, `ns`, `pod` (`NS/NAME`), `workload`
/// (`NS/NAME`, or `NAME` with `ns`), `tag`, `address`, `port` (either end), `app`, `rule`,
/// `action`, `event` (EVE event type), `firewall`, `limit` (default 100, at most 10,000).
/// Newest first; each record with both ends' names and tags and the EVE record itself.
extension ManagerAPI {
    static let logCriteria = ["since", "from", "to", "cluster", "ns", "pod", "workload", "tag", "address", "port", "app", "rule", "action",
                              "event", "firewall", "limit"]

    func logsRoute(_ request: HTTPRequest) -> HTTPReply? {
        guard request.path == "/logs" else { return nil }
        guard request.method == "GET" || request.method == "HEAD" else { return .error(405, "GET /logs") }
        guard let logs = manager.logs else { return .error(404, "this manager keeps no logs: set spec.logs (docs/manager.md)") }
        let query: LogQuery
        switch ManagerAPI.logQuery(request.query, now: Date().timeIntervalSince1970) {
        case .success(let parsed): query = parsed
        case .failure(let error): return .error(400, error.description)
        }
        do {
            let rows = try logs.search(query)
            var text = "{\"count\":\(rows.count),\"records\":["
            for (index, row) in rows.enumerated() {
                if index > 0 { text += "," }
                text += ManagerAPI.logJSON(row.record)
            }
            return HTTPReply(200, text + "]}\n", contentType: "application/json")
        } catch {
            return .error(500, error.description)
        }
    }

    struct QueryError: Error, CustomStringConvertible { var description: String }

    static func logQuery(_ parameters: [String: String], now: Double) -> Result<LogQuery, QueryError> {
        if let unknown = parameters.keys.sorted().first(where: { !logCriteria.contains($0) }) {
            return .failure(QueryError(description: "unknown criterion '\(unknown)'; known: \(logCriteria.joined(separator: ", "))"))
        }
        var query = LogQuery()
        func instant(_ key: String) -> Result<Int64?, QueryError> {
            guard let text = parameters[key] else { return .success(nil) }
            if key == "since", let seconds = duration(text) { return .success(Int64((now - seconds) * 1000)) }
            guard let seconds = time(text) else {
                return .failure(QueryError(description: "\(key) must be \(key == "since" ? "a duration (90s, 15m, 1h, 2d) or " : "")RFC 3339 (2026-11-23T14:02:00Z) or Unix seconds"))
            }
            return .success(Int64(seconds * 1000))
        }
        for key in ["since", "from"] {
            switch instant(key) {
            case .success(let value): if let value { query.from = max(query.from ?? .min, value) }
            case .failure(let error): return .failure(error)
            }
        }
        switch instant("to") {
        case .success(let value): query.to = value
        case .failure(let error): return .failure(error)
        }
        query.cluster = parameters["cluster"]
        query.namespace = parameters["ns"]
        query.pod = parameters["pod"]
        if let workload = parameters["workload"] {
            if workload.contains("/") { query.workload = workload } else if let ns = query.namespace { query.workload = "\(ns)/\(workload)" } else {
                return .failure(QueryError(description: "workload must be NS/NAME, or NAME with ns="))
            }
        }
        if let pod = query.pod, !pod.contains("/") {
            guard let ns = query.namespace else { return .failure(QueryError(description: "pod must be NS/NAME, or NAME with ns=")) }
            query.pod = "\(ns)/\(pod)"
        }
        query.tag = parameters["tag"]
        query.address = parameters["address"]
        if let text = parameters["port"] {
            guard let port = Int(text), (0...65535).contains(port) else { return .failure(QueryError(description: "port must be 0..65535")) }
            query.port = port
        }
        query.app = parameters["app"]
        query.rule = parameters["rule"]
        query.action = parameters["action"]
        query.eventType = parameters["event"]
        query.firewall = parameters["firewall"]
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...10_000).contains(limit) else { return .failure(QueryError(description: "limit must be 1..10000")) }
            query.limit = limit
        }
        return .success(query)
    }

    /// `90s`, `15m`, `1h`, `2d`, `1w` in seconds.
    static func duration(_ text: String) -> Double? {
        guard let unit = text.last, let number = Double(text.dropLast()), number >= 0 else { return nil }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3600
        case "d": return number * 86400
        case "w": return number * 604_800
        default: return nil
        }
    }

    static func logJSON(_ record: LogRecord) -> String {
        func string(_ value: String?) -> String { value.map(JSONValue.quoted) ?? "null" }
        func end(_ end: LogRecord.End) -> String {
            "{\"ip\":\(string(end.ip)),\"port\":\(end.port.map(String.init) ?? "null"),\"cluster\":\(string(end.cluster)),"
                + "\"ns\":\(string(end.namespace)),\"pod\":\(string(end.pod)),\"workload\":\(string(end.workload)),"
                + "\"tags\":\(JSONValueText.array(end.tags))}"
        }
        // The stored record is the firewall's JSON line, embedded as it is.
        let eve = record.json.first == "{" ? record.json : JSONValue.quoted(record.json)
        return "{\"time\":\"\(format(Double(record.time) / 1000))\",\"firewall\":\(string(record.firewall)),"
            + "\"event_type\":\(string(record.eventType)),\"proto\":\(string(record.proto)),\"app\":\(string(record.app)),"
            + "\"action\":\(string(record.action)),\"rule\":\(string(record.rule)),\"src\":\(end(record.source)),"
            + "\"dest\":\(end(record.destination)),\"eve\":\(eve)}"
    }
}
