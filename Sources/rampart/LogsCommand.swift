import ArgumentParser
import RampartHTTP
import RampartJSON
import RampartPOSIX

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Search the firewalls' records in the manager's log store (GET /logs).",
        discussion: """
            Every criterion narrows the search; one on an end (--ns, --pod, --workload,
            --cluster, --tag, --address, --port) matches either end. Newest first, one line
            each: time, action, application, source → destination (pod or address:port),
            rule; --json prints the manager's answer as it is. The token is read from
            --token-file (or $RAMPART_TOKEN): any role of the manager's tokens may search.

            Examples:
              rampart logs --manager http://127.0.0.1:9690 --ns shop --app postgresql --action deny --since 1h
              rampart logs --manager https://manager:9690 --ca ca.crt --token-file token --pod shop/web-1 --since 15m --json
            """)

    @OptionGroup var connection: ManagerConnectionOptions
    @OptionGroup var criteria: RecordCriteriaOptions
    @Option(help: "From this time (RFC 3339 or Unix seconds).")
    var from: String?
    @Option(help: "Up to this time (RFC 3339 or Unix seconds).")
    var to: String?
    @Option(help: "Pod of either end: NS/NAME (or NAME with --ns).")
    var pod: String?
    @Option(help: "A tag of either end (label:app=web).")
    var tag: String?
    @Option(help: "An address of either end.")
    var address: String?
    @Option(help: "A port of either end.")
    var port: Int?
    @Option(help: "Application (App-ID name).")
    var app: String?
    @Option(help: "Rule name.")
    var rule: String?
    @Option(help: "Action: allow, deny, reset-client, ...")
    var action: String?
    @Option(help: "EVE event type: flow, alert, http, dns, tls, ...")
    var event: String?
    @Option(help: "Firewall (its syslog host name).")
    var firewall: String?
    @Flag(help: "Print the manager's JSON answer.")
    var json = false

    func run() throws {
        let parameters: [(String, String?)] = criteria.parameters + [
            ("from", from), ("to", to), ("pod", pod), ("tag", tag), ("address", address), ("port", port.map(String.init)), ("app", app),
            ("rule", rule), ("action", action), ("event", event), ("firewall", firewall),
        ]
        let base = connection.base
        let response = try connection.request(command: "logs").get("/logs?\(ManagerRequest.query(parameters))")
        guard response.status == 200 else {
            printError("rampart logs: \(base)/logs answered \(response.status): \(response.text.trimming(.whitespacesAndNewlines))")
            throw ExitCode(response.status == 400 ? 64 : 1)
        }
        if json {
            print(response.text, terminator: "")
            return
        }
        guard let answer = try? JSONValue.parse(response.body), let records = answer["records"]?.arrayValue else {
            printError("rampart logs: the answer is not the log store's JSON")
            throw ExitCode(1)
        }
        for record in records { print(LogsCommand.line(record)) }
        printError("\(records.count) record\(records.count == 1 ? "" : "s")")
    }

    /// `2026-12-04T13:02:11.120Z  deny  postgresql  shop/web-1 → shop/db-0:5432  deny-db  (flow, fw-1)`
    static func line(_ record: JSONValue) -> String {
        func end(_ value: JSONValue?) -> String {
            let port = value?["port"]?.intValue.map { ":\($0)" } ?? ""
            if let pod = value?["pod"]?.stringValue { return pod + port }
            return (value?["ip"]?.stringValue ?? "?") + port
        }
        let fields = [
            record["time"]?.stringValue ?? "", record["action"]?.stringValue ?? "-", record["app"]?.stringValue ?? "-",
            "\(end(record["src"])) → \(end(record["dest"]))", record["rule"]?.stringValue ?? "-",
            "(\(record["event_type"]?.stringValue ?? "?"), \(record["firewall"]?.stringValue ?? "?"))",
        ]
        return fields.joined(separator: "  ")
    }
}
