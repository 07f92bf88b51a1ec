import FoundationEssentials
import RampartHTTP
import RampartPolicy

/// The console's policy page (docs/console.md, "Policy"): the rules of the target's newest
/// commit with how often each matched (the log store's records, by rule name), the commit
/// history with its diffs, and validating and committing from the browser. Commits go
/// through the manager's own policy API in-process (`ManagerAPI.policyRoute`), so the
/// browser's commit is validated, diffed, audited and pushed exactly as an API client's,
/// with the signed-in user as its author.
///
/// | route | answer |
/// |---|---|
/// | `GET /console/api/policy[?target=T][&minutes=N]` (T: the newest commit's target when not given) | `{target, minutes, head, rules: [{name, action, line, disabled, inPolicy, allowed, denied, threats}], commits, firewalls}` |
/// | `GET /console/api/policy/commits/N` | one commit with its text and diff |
/// | `POST /console/api/policy/validate[?target=T]` | the body checked as `rampart policy validate` (any role) |
/// | `POST /console/api/policy/commits?message=M[&target=T]` | the body committed (operator) |
/// | `POST /console/api/policy/commits/N/rollback` | commit N's text committed again (operator) |
extension ConsoleAPI {
    struct RuleLine: Encodable {
        var name: String
        var action: String
        var line: Int?
        var disabled: Bool
        /// False for names the records carry that the commit does not define (the default
        /// rules, the firewall's own file, an older commit's).
        var inPolicy: Bool
        var allowed: Int
        var denied: Int
        var threats: Int
    }

    struct PolicyPage: Encodable {
        var target: String
        var minutes: Int
        var head: ManagerAPI.CommitSummary?
        var rules: [RuleLine]
        var commits: [ManagerAPI.CommitSummary]
        var logs: Bool
    }

    func policyRoute(_ request: HTTPRequest, _ who: Caller) -> HTTPReply {
        guard let control = manager.policy else { return .error(404, "this manager keeps no policy (set spec.policy, docs/manager.md)") }
        let rest = String(request.path.dropFirst("/console/api/policy".count))
        if request.method == "GET" && rest.isEmpty {
            let minutes = self.minutes(request, default: 60)
            do throws(StoreError) {
                let history = try control.commits.store.history(target: nil, limit: 100)
                // Without a target: the newest commit's (a firewall group's, or all).
                let target = request.query["target"].flatMap { $0.isEmpty ? nil : $0 } ?? history.first?.target ?? "all"
                let head = try control.commits.store.latest(targets: [target])
                let hits = ruleHits(since: clock() - Double(minutes) * 60, involving: nil)
                return json(PolicyPage(target: target, minutes: minutes, head: head.map(ManagerAPI.CommitSummary.init),
                                       rules: ConsoleAPI.ruleLines(policy: head?.text, hits: hits), commits: history.map(ManagerAPI.CommitSummary.init),
                                       logs: flowWindow != nil || flows != nil))
            } catch {
                return .error(500, error.description)
            }
        }
        let writes = request.method == "POST" && rest != "/validate"
        if writes && who.role < .operator {
            return .error(403, "'\(who.name)' (\(who.role.rawValue)) may not commit policy: it needs the operator role")
        }
        // The manager's policy API, with the console's user as the principal (and so the author).
        var inner = request
        inner.path = "/policy" + rest
        inner.principal = HTTPPrincipal(name: who.name, roles: who.role >= .operator ? [.policyWriter, .readOnly] : [.readOnly])
        return ManagerAPI(manager: manager).policyRoute(inner) ?? .error(404, "no such policy route")
    }

    /// Hits per rule name since `since`; with `involving`, only connections with an end among
    /// those workload ids or addresses.
    func ruleHits(since: Double, involving: Set<String>?) -> [String: FlowAggregates.Counts] {
        var hits: [String: FlowAggregates.Counts] = [:]
        for flow in summaries(since: since) ?? [] {
            if let involving, !involving.contains(flow.source) && !involving.contains(flow.destination) { continue }
            hits[flow.rule, default: FlowAggregates.Counts()].add(FlowAggregates.Counts(allowed: flow.allowed, denied: flow.denied, threats: flow.threats))
        }
        return hits
    }

    /// The policy's rules in order with their hits, then the names only the records know.
    static func ruleLines(policy text: String?, hits: [String: FlowAggregates.Counts]) -> [RuleLine] {
        var lines: [RuleLine] = []
        var named: Set<String> = []
        if let text, let document = try? PolicyLoader.load(yaml: text, file: "policy.yaml") {
            for rule in document.rules {
                let counts = hits[rule.name] ?? FlowAggregates.Counts()
                named.insert(rule.name)
                lines.append(RuleLine(name: rule.name, action: rule.action.name, line: rule.location.line, disabled: rule.disabled, inPolicy: true,
                                      allowed: counts.allowed, denied: counts.denied, threats: counts.threats))
            }
        }
        for (name, counts) in hits.sorted(by: { $0.key < $1.key }) where !named.contains(name) && !name.isEmpty {
            lines.append(RuleLine(name: name, action: "", line: nil, disabled: false, inPolicy: false,
                                  allowed: counts.allowed, denied: counts.denied, threats: counts.threats))
        }
        return lines
    }
}
