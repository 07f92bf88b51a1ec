#if canImport(Glibc)
import Glibc
#endif
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

    @Option(help: "The manager's API (spec.listen), http:// or https://.")
    var manager = "http://127.0.0.1:9690"
    @Option(name: .customLong("token-file"), help: "A file whose first line is a bearer token of the manager's API.")
    var tokenFile: String?
    @Option(help: "The CA that signed the manager's certificate (https://).")
    var ca: String?
    @Option(help: "How far back: 90s, 15m, 1h, 2d (or a time, RFC 3339).")
    var since: String?
    @Option(help: "From this time (RFC 3339 or Unix seconds).")
    var from: String?
    @Option(help: "Up to this time (RFC 3339 or Unix seconds).")
    var to: String?
    @Option(help: "Cluster of either end.")
    var cluster: String?
    @Option(help: "Namespace of either end.")
    var ns: String?
    @Option(help: "Pod of either end: NS/NAME (or NAME with --ns).")
    var pod: String?
    @Option(help: "Workload of either end: NS/NAME (or NAME with --ns).")
    var workload: String?
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
    @Option(help: "At most this many records (1-10000).")
    var limit = 100
    @Flag(help: "Print the manager's JSON answer.")
    var json = false

    func run() throws {
        var parameters: [(String, String?)] = [
            ("since", since), ("from", from), ("to", to), ("cluster", cluster), ("ns", ns), ("pod", pod), ("workload", workload),
            ("tag", tag), ("address", address), ("port", port.map(String.init)), ("app", app), ("rule", rule), ("action", action),
            ("event", event), ("firewall", firewall),
        ]
        parameters.append(("limit", String(limit)))
        let query = parameters.compactMap { key, value in value.map { "\(key)=\(LogsCommand.percentEncoded($0))" } }.joined(separator: "&")
        let base = manager.hasSuffix("/") ? String(manager.dropLast()) : manager
        var headers: [String] = []
        let token: String?
        if let tokenFile {
            do { token = try readTextFile(tokenFile, limit: 4096).split(whereSeparator: \.isNewline).first.map(String.init) } catch {
                throw ValidationError("cannot read --token-file \(tokenFile): \(error)")
            }
        } else {
            token = getenv("RAMPART_TOKEN").map { String(cString: $0) }
        }
        if let token, !token.isEmpty { headers.append("Authorization: Bearer \(token.trimming(.whitespaces))") }
        var tls: TLSSettings?
        if let ca {
            do { tls = TLSSettings(certificateAuthority: try readFileBytes(ca, limit: 1 << 20)) } catch {
                throw ValidationError("cannot read --ca \(ca): \(error)")
            }
        }
        let response: HTTPResponse
        do {
            let connection = try HTTPConnection(tls: tls, connectTimeout: 5)
            response = try connection.request(url: "\(base)/logs?\(query)", headers: headers, timeout: 60, maxBodyBytes: 256 << 20)
        } catch {
            printError("rampart logs: cannot reach \(base): \(error)")
            throw ExitCode(1)
        }
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

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
