import FoundationEssentials
import RampartHTTP
import RampartJSON

/// The runtime audit routes of the manager's API (docs/image-trust.md, "Runtime audits"):
///
/// | route | answer |
/// |---|---|
/// | `GET /audits?...` | audits from the log store, newest first: the `/logs` criteria (but `event`) and `what` (`new-destination`, `scan`...) |
/// | `GET /audits/profiles` | the workloads profiled, with their counts and learning state |
/// | `GET /audits/profile?workload=NS/NAME[&cluster=C]` | one workload's peers, applications and ports, first and last seen |
/// | `GET /audits/proposal?workload=NS/NAME[&cluster=C][&target=T]` | rules allowing what it was seen doing, as a diff against the target's committed policy, validated |
///
/// ```text
/// GET /audits?ns=shop&what=new-destination&since=1h
/// ```
extension ManagerAPI {
    func auditsRoute(_ request: HTTPRequest) -> HTTPReply? {
        guard request.path == "/audits" || request.path.hasPrefix("/audits/") else { return nil }
        guard request.method == "GET" || request.method == "HEAD" else { return .error(405, "GET \(request.path)") }
        guard let logs = manager.logs, let auditor = logs.auditor else {
            return .error(404, "this manager makes no runtime audits: set spec.logs (and leave spec.audits.enabled on; docs/image-trust.md)")
        }
        switch request.path {
        case "/audits":
            var parameters = request.query
            if parameters["event"] != nil { return .error(400, "unknown criterion 'event': /audits gives audits only; use what=") }
            parameters["event"] = "audit"
            if let what = parameters.removeValue(forKey: "what") { parameters["rule"] = what }
            let query: LogQuery
            switch ManagerAPI.logQuery(parameters, now: Date().timeIntervalSince1970) {
            case .success(let parsed): query = parsed
            case .failure(let error): return .error(400, error.description.replacing("'rule'", with: "'what'"))
            }
            do {
                let rows = try logs.search(query)
                return HTTPReply(200, "{\"count\":\(rows.count),\"audits\":[" + rows.map { ManagerAPI.logJSON($0.record) }.joined(separator: ",") + "]}\n")
            } catch {
                return .error(500, error.description)
            }
        case "/audits/profiles":
            let learningMs = Int64(auditor.settings.learningSeconds * 1000)
            let items: [JSONValue] = auditor.identities().compactMap { identity in
                guard let profile = auditor.profile(identity) else { return nil }
                return .object([
                    ("cluster", .string(identity.cluster)), ("namespace", .string(identity.namespace)), ("workload", .string(identity.name)),
                    ("first_seen", .string(ManagerAPI.milliseconds(profile.firstSeen))), ("last_seen", .string(ManagerAPI.milliseconds(profile.lastSeen))),
                    ("learning_until", .string(ManagerAPI.milliseconds(profile.firstSeen + learningMs))),
                    ("connections", .integer(profile.connections.count)), ("dropped", .integer(profile.dropped)),
                ])
            }
            return HTTPReply(200, JSONValue.object([("count", .integer(items.count)), ("profiles", .array(items))]).serialized() + "\n")
        case "/audits/profile", "/audits/proposal":
            let (found, refusal) = ManagerAPI.workload(request.query, auditor: auditor)
            guard let identity = found else { return refusal ?? .error(400, "give ?workload=NS/NAME") }
            guard let profile = auditor.profile(identity) else { return .error(404, "no profile for \(identity.description) yet") }
            if request.path == "/audits/profile" { return HTTPReply(200, ManagerAPI.profileJSON(profile, settings: auditor.settings).serialized() + "\n") }
            let target = request.query["target"] ?? "all"
            guard let control = manager.policy else { return .error(404, "this manager keeps no policy") }
            guard control.commits.isKnownTarget(target) else { return .error(400, "target '\(target)' is neither all nor a firewall group") }
            let current: PolicyCommit?
            do { current = try control.commits.store.latest(targets: [target]) } catch { return .error(500, error.description) }
            let proposal = PolicyProposal.make(profile: profile, current: current)
            let answer = JSONValue.object([
                ("workload", .string(proposal.workload)), ("target", .string(target)), ("base", proposal.base.map { .integer($0) } ?? .null),
                ("rules", .array(proposal.rules.map { .string($0) })), ("groups", .array(proposal.groups.map { .string($0) })),
                ("valid", .bool(proposal.valid)), ("errors", .array(proposal.errors.map { .string($0) })),
                ("warnings", .array(proposal.warnings.map { .string($0) })), ("diff", .string(proposal.diff)), ("text", .string(proposal.text)),
            ])
            if request.query["format"] == "diff" { return HTTPReply(proposal.valid ? 200 : 422, proposal.diff, contentType: "text/x-diff; charset=utf-8") }
            return HTTPReply(proposal.valid ? 200 : 422, answer.serialized() + "\n")
        default:
            return .error(404, "audit routes: GET /audits?..., GET /audits/profiles, GET /audits/profile?workload=NS/NAME, GET /audits/proposal?workload=NS/NAME")
        }
    }

    static func milliseconds(_ time: Int64) -> String { format(Double(time) / 1000) }

    /// `workload=NS/NAME` (or `NAME` with `ns=`) and `cluster=` (needed only when several clusters have that workload).
    static func workload(_ query: [String: String], auditor: RuntimeAuditor) -> (WorkloadProfile.Identity?, HTTPReply?) {
        guard var text = query["workload"] else { return (nil, .error(400, "give ?workload=NS/NAME (and cluster= with several clusters)")) }
        if !text.contains("/"), let ns = query["ns"] { text = "\(ns)/\(text)" }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return (nil, .error(400, "workload must be NS/NAME, or NAME with ns=")) }
        let matches = auditor.identities().filter { $0.namespace == parts[0] && $0.name == parts[1] && (query["cluster"] == nil || $0.cluster == query["cluster"]) }
        guard let first = matches.first else { return (nil, .error(404, "no profile for \(text)\(query["cluster"].map { " in cluster \($0)" } ?? "") yet")) }
        guard matches.count == 1 else {
            return (nil, .error(400, "\(text) runs in several clusters (\(matches.map(\.cluster).joined(separator: ", "))): give cluster="))
        }
        return (first, nil)
    }

    static func profileJSON(_ profile: WorkloadProfile, settings: AuditSettings) -> JSONValue {
        func seen(_ value: WorkloadProfile.Seen) -> [(String, JSONValue)] {
            [("first_seen", .string(milliseconds(value.first))), ("last_seen", .string(milliseconds(value.last))),
             ("count", .integer(value.count)), ("allowed", .integer(value.allowed))]
        }
        func direction(_ direction: WorkloadProfile.Direction) -> JSONValue {
            .object([
                ("peers", .array((profile.peers[direction] ?? [:]).sorted { $0.key < $1.key }.map { .object([("peer", .string($0.key.description))] + seen($0.value)) })),
                ("ports", .array((profile.ports[direction] ?? [:]).sorted { $0.key < $1.key }.map { .object([("port", .string($0.key))] + seen($0.value)) })),
            ])
        }
        let identity = profile.identity
        return .object([
            ("cluster", .string(identity.cluster)), ("namespace", .string(identity.namespace)), ("workload", .string(identity.name)),
            ("first_seen", .string(milliseconds(profile.firstSeen))), ("last_seen", .string(milliseconds(profile.lastSeen))),
            ("learning_until", .string(milliseconds(profile.firstSeen + Int64(settings.learningSeconds * 1000)))),
            ("outbound", direction(.outbound)), ("inbound", direction(.inbound)),
            ("applications", .array(profile.applications.sorted { $0.key < $1.key }.map { .object([("application", .string($0.key))] + seen($0.value)) })),
            ("connections", .integer(profile.connections.count)), ("dropped", .integer(profile.dropped)),
            ("limit", .integer(settings.maxEntriesPerProfile)),
        ])
    }
}
