import ArgumentParser
import RampartHTTP
import RampartJSON
import RampartPOSIX

struct AuditsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audits",
        abstract: "Runtime audits, workload profiles and proposed policy from the manager (GET /audits).",
        discussion: """
            Without --profile or --propose: the audits the manager raised, newest first, one
            line each (time, what, workload → peer, application, evidence), narrowed by the
            same criteria as `rampart logs` and by --what (new-destination, new-source,
            new-application, new-port, scan, blocked-name, sinkhole-connection, profile-full).
            --profile NS/NAME prints what the workload was seen doing (peers, applications,
            ports, first and last seen); --propose NS/NAME prints rules that allow exactly
            that, as a diff against the committed policy (--target), validated as
            `rampart policy validate` does (exit 65 when the proposal does not validate).
            The token is read from --token-file (or $RAMPART_TOKEN).

            Examples:
              rampart audits --manager http://127.0.0.1:9690 --ns shop --what new-destination --since 1h
              rampart audits --profile shop/web
              rampart audits --propose shop/web --cluster prod > web.diff
            """)

    @OptionGroup var connection: ManagerConnectionOptions
    @Option(help: "What was audited: new-destination, new-source, new-application, new-port, scan, blocked-name, sinkhole-connection, profile-full.")
    var what: String?
    @OptionGroup var criteria: RecordCriteriaOptions
    @Option(help: "Print this workload's learned profile (NS/NAME).")
    var profile: String?
    @Option(help: "Print the policy proposed from this workload's profile (NS/NAME), as a diff.")
    var propose: String?
    @Option(help: "With --propose: the policy target the diff is made against (all, or a firewall group).")
    var target = "all"
    @Flag(help: "Print the manager's JSON answer.")
    var json = false

    func run() throws {
        var parameters: [(String, String?)]
        let path: String
        if let name = propose ?? profile {
            path = propose != nil ? "/audits/proposal" : "/audits/profile"
            parameters = [("workload", name), ("cluster", criteria.cluster), ("ns", criteria.ns)]
            if propose != nil { parameters.append(("target", target)) }
        } else {
            path = "/audits"
            parameters = [("what", what)] + criteria.parameters
        }
        let response = try connection.request(command: "audits").get("\(path)?\(ManagerRequest.query(parameters))")
        guard response.status == 200 || (response.status == 422 && propose != nil) else {
            printError("rampart audits: \(path) answered \(response.status): \(response.text.trimming(.whitespacesAndNewlines))")
            throw ExitCode(response.status == 400 ? 64 : 1)
        }
        if json {
            print(response.text, terminator: "")
            return
        }
        guard let answer = try? JSONValue.parse(response.body) else {
            printError("rampart audits: the answer is not JSON")
            throw ExitCode(1)
        }
        if propose != nil {
            print(answer["diff"]?.stringValue ?? "", terminator: "")
            for warning in answer["warnings"]?.arrayValue ?? [] { printError(warning.stringValue ?? "") }
            for error in answer["errors"]?.arrayValue ?? [] { printError(error.stringValue ?? "") }
            let rules = answer["rules"]?.arrayValue?.count ?? 0
            printError("\(rules) rule\(rules == 1 ? "" : "s") proposed against \(answer["base"]?.intValue.map { "commit \($0)" } ?? "no commit"); \(answer["valid"]?.boolValue == true ? "valid" : "NOT valid")")
            if answer["valid"]?.boolValue != true { throw ExitCode(65) }
        } else if profile != nil {
            print(AuditsCommand.profileText(answer), terminator: "")
        } else {
            let audits = answer["audits"]?.arrayValue ?? []
            for audit in audits { print(AuditsCommand.line(audit)) }
            printError("\(audits.count) audit\(audits.count == 1 ? "" : "s")")
        }
    }

    /// `2026-12-04T13:02:11.120Z  new-destination  lab/shop/web → 10.8.8.8:443  ssl  peer=address:10.8.8.8 ...`
    static func line(_ record: JSONValue) -> String {
        let audit = record["eve"]?["audit"]
        let workload = [audit?["cluster"], audit?["namespace"], audit?["workload"]].map { $0?.stringValue ?? "?" }.joined(separator: "/")
        let destination = record["dest"]
        let peer = destination?["workload"]?.stringValue ?? destination?["ip"]?.stringValue ?? "-"
        let port = destination?["port"]?.intValue.map { ":\($0)" } ?? ""
        let evidence = (audit?["evidence"]?.objectValue ?? []).filter { !["flow_id", "record_event_type"].contains($0.0) }
            .map { "\($0.0)=\($0.1.stringValue ?? $0.1.serialized())" }.joined(separator: " ")
        return [record["time"]?.stringValue ?? "", audit?["what"]?.stringValue ?? "?", "\(workload) → \(peer)\(port)", record["app"]?.stringValue ?? "-", evidence]
            .joined(separator: "  ")
    }

    static func profileText(_ profile: JSONValue) -> String {
        var text = "\(profile["cluster"]?.stringValue ?? "?")/\(profile["namespace"]?.stringValue ?? "?")/\(profile["workload"]?.stringValue ?? "?")"
            + "  first seen \(profile["first_seen"]?.stringValue ?? "?"), last seen \(profile["last_seen"]?.stringValue ?? "?"),"
            + " learning until \(profile["learning_until"]?.stringValue ?? "?"); \(profile["connections"]?.intValue ?? 0) connections\n"
        func rows(_ title: String, _ items: [JSONValue]?, _ key: String) {
            guard let items, !items.isEmpty else { return }
            text += "\(title):\n"
            for item in items {
                text += "  \(item[key]?.stringValue ?? "?")  \(item["count"]?.intValue ?? 0)×  \(item["first_seen"]?.stringValue ?? "") … \(item["last_seen"]?.stringValue ?? "")\n"
            }
        }
        rows("destinations", profile["outbound"]?["peers"]?.arrayValue, "peer")
        rows("destination ports", profile["outbound"]?["ports"]?.arrayValue, "port")
        rows("sources", profile["inbound"]?["peers"]?.arrayValue, "peer")
        rows("ports served", profile["inbound"]?["ports"]?.arrayValue, "port")
        rows("applications", profile["applications"]?.arrayValue, "application")
        return text
    }
}
