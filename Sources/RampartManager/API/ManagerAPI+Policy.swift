import FoundationEssentials
import RampartHTTP
import RampartPolicy

/// The policy routes of the manager's API (docs/manager.md, "Policy commits"):
///
/// | route | answer |
/// |---|---|
/// | `GET /policy` | the newest commit per target, what each firewall runs, the GitOps state |
/// | `GET /policy/commits[?target=T][&limit=N]` | the history, newest first (no texts) |
/// | `GET /policy/commits/N` | one commit with its text and diff; `/policy/commits/N/diff`: the diff as text |
/// | `POST /policy/validate` | the body (YAML) checked as `rampart policy validate`: 200 with the diff against the target's head, or 422 with the errors |
/// | `POST /policy/commits?message=M[&target=T][&file=F]` | the body validated and committed (201), unchanged (200), or refused (422) |
/// | `POST /policy/commits/N/rollback[?message=M]` | commit N's text committed again |
extension ManagerAPI {
    /// Writes need the role policy-writer; reads (and validating) any role.
    public static let permission: @Sendable (String, String) -> HTTPPermission = { method, path in
        method == "GET" || method == "HEAD" || path == "/policy/validate" ? .read : .writePolicy
    }

    func policyRoute(_ request: HTTPRequest) -> HTTPReply? {
        guard request.path == "/policy" || request.path.hasPrefix("/policy/") else { return nil }
        guard let control = manager.policy else { return .error(404, "this manager keeps no policy") }
        let commits = control.commits
        let author = request.principal?.name ?? "anonymous"
        let parts = request.path.split(separator: "/").map(String.init)
        do throws(StoreError) {
            switch (request.method, parts.count) {
            case ("GET", 1):
                return jsonReply(PolicyOverview(control))
            case ("GET", 2) where parts[1] == "commits":
                let limit = min(max(Int(request.query["limit"] ?? "") ?? 50, 1), 1000)
                let target = request.query["target"]
                return jsonReply(try commits.store.history(target: target, limit: limit).map(CommitSummary.init))
            case ("GET", 3) where parts[1] == "commits":
                guard let id = Int(parts[2]), let commit = try commits.store.commit(id) else { return .error(404, "no commit \(parts[2])") }
                return jsonReply(CommitDetail(commit))
            case ("GET", 4) where parts[1] == "commits" && parts[3] == "diff":
                guard let id = Int(parts[2]), let commit = try commits.store.commit(id) else { return .error(404, "no commit \(parts[2])") }
                return HTTPReply(200, commit.diff, contentType: "text/x-diff; charset=utf-8")
            case ("POST", 2) where parts[1] == "validate":
                let target = request.query["target"] ?? "all"
                guard commits.isKnownTarget(target) else { return unknownTarget(target, commits) }
                let text = String(decoding: request.body, as: UTF8.self)
                do throws(PolicyErrors) {
                    let check = try PolicyCheck.validate(text, file: request.query["file"] ?? "policy.yaml")
                    let head = try? commits.store.latest(targets: [target])
                    let diff = LineDiff.unified(old: head?.text ?? "", new: text, oldName: head.map { "commit \($0.id)" } ?? "/dev/null", newName: "candidate")
                    return jsonReply(Validation(valid: true, rules: check.rules, warnings: check.warnings, diff: diff, errors: nil))
                } catch {
                    return jsonReply(Validation(valid: false, rules: nil, warnings: [], diff: nil, errors: error.errors.map(\.description)), status: 422)
                }
            case ("POST", 2) where parts[1] == "commits":
                let target = request.query["target"] ?? "all"
                guard commits.isKnownTarget(target) else { return unknownTarget(target, commits) }
                guard let message = request.query["message"] ?? request.headers["x-rampart-message"], !message.isEmpty else {
                    return .error(400, "give the commit a message: ?message=... (or the X-Rampart-Message header)")
                }
                let text = String(decoding: request.body, as: UTF8.self)
                return reply(try commits.commit(text: text, message: message, author: author, target: target,
                                                 file: request.query["file"] ?? "policy.yaml"))
            case ("POST", 4) where parts[1] == "commits" && parts[3] == "rollback":
                guard let id = Int(parts[2]), let outcome = try commits.rollback(to: id, author: author, message: request.query["message"]) else {
                    return .error(404, "no commit \(parts[2])")
                }
                return reply(outcome)
            default:
                return .error(request.method == "GET" || request.method == "POST" ? 404 : 405,
                              "policy routes: GET /policy, GET /policy/commits[/N[/diff]], POST /policy/validate, POST /policy/commits?message=, POST /policy/commits/N/rollback")
            }
        } catch {
            return .error(500, error.description)
        }
    }

    private func unknownTarget(_ target: String, _ commits: PolicyCommits) -> HTTPReply {
        .error(400, "target '\(target)' is neither all nor a firewall group (groups: \(commits.groups.sorted().joined(separator: ", ")))")
    }

    private func reply(_ outcome: PolicyCommits.Outcome) -> HTTPReply {
        switch outcome {
        case .committed(let commit, let warnings):
            var detail = CommitDetail(commit)
            detail.warnings = warnings
            return jsonReply(detail, status: 201)
        case .unchanged(let head):
            var detail = CommitDetail(head)
            detail.unchanged = true
            return jsonReply(detail)
        case .invalid(let errors):
            return jsonReply(Validation(valid: false, rules: nil, warnings: [], diff: nil, errors: errors), status: 422)
        }
    }

    struct Validation: Encodable {
        var valid: Bool
        var rules: Int?
        var warnings: [String]
        var diff: String?
        var errors: [String]?
    }

    struct CommitSummary: Encodable {
        var id: Int
        var target: String
        var time: String
        var author: String
        var message: String
        var source: String
        var rules: Int
        init(_ commit: PolicyCommit) {
            id = commit.id
            target = commit.target
            time = ManagerAPI.format(commit.time)
            author = commit.author
            message = commit.message
            source = commit.source
            rules = commit.rules
        }
    }

    struct CommitDetail: Encodable {
        var id: Int
        var target: String
        var time: String
        var author: String
        var message: String
        var source: String
        var rules: Int
        var text: String
        var diff: String
        var warnings: [String]?
        var unchanged: Bool?
        init(_ commit: PolicyCommit) {
            id = commit.id
            target = commit.target
            time = ManagerAPI.format(commit.time)
            author = commit.author
            message = commit.message
            source = commit.source
            rules = commit.rules
            text = commit.text
            diff = commit.diff
        }
    }

    struct PolicyOverview: Encodable {
        struct Firewall: Encodable {
            var name: String
            var groups: [String]
            var wants: Int?
            var runs: String?
            var inSync: Bool
            var connected: Bool
            var error: String?
        }
        var heads: [CommitSummary]
        var firewalls: [Firewall]
        var gitops: GitPolicyPuller.Status?
        init(_ control: PolicyControl) {
            heads = ((try? control.commits.heads()) ?? []).map(CommitSummary.init)
            firewalls = control.pushers.map { target, pusher in
                let status = pusher.status
                return Firewall(name: target.name, groups: target.groups, wants: status.wants, runs: status.runs,
                                inSync: status.inSync && status.connected, connected: status.connected, error: status.lastError)
            }
            gitops = control.puller?.status
        }
    }

    func jsonReply<T: Encodable>(_ value: T, status: Int = 200) -> HTTPReply {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return .error(500, "cannot encode the answer") }
        return HTTPReply(status, String(decoding: data, as: UTF8.self) + "\n")
    }
}
