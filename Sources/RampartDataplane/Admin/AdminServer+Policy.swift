import RampartHTTP
import RampartJSON
import RampartLog

/// `PUT /policy` and `GET /policy`: the policy a manager commits and pushes
/// (docs/firewall.md, "Pushed policy").
extension AdminServer {
    /// `PUT /policy` with `{"commit": "7", "policy": "YAML"}` (role policy-writer): the
    /// policy is compiled with the configuration file's firewall settings, exactly as a reload
    /// compiles it, published by the reload path (every worker adopts it between two batches),
    /// saved to `spec.policyState`, and the answer names the commit the firewall now runs.
    /// A policy that does not compile: `422` with its errors (file `policy@COMMIT`), the running
    /// policy stays. `GET /policy`: the commit it runs, its digest and this run's boot id.
    static func policyReply(_ request: HTTPRequest, state: PushedPolicyState, board: MetricsBoard, log: LogWriter) -> HTTPReply {
        switch request.method {
        case "GET", "HEAD":
            return HTTPReply(200, policyStatus(state.running) + "\n", contentType: "application/json")
        case "PUT":
            let pushed: PushedPolicy
            do { pushed = try PushedPolicy(json: String(decoding: request.body, as: UTF8.self)) } catch {
                return .text(400, "\(error)\n")
            }
            return state.pushing.withLock { _ in
                state.setCandidate(pushed)
                let generation = board.requestReload()
                let results = board.reloadOutcome(generation: generation)
                if let rejected = results?.first(where: { $0.error != nil }) {
                    state.setCandidate(nil)
                    state.rejected.add(1, ordering: .relaxed)
                    let errors = (rejected.error ?? "").split(separator: "\n").map { JSONValue.string(String($0)) }
                    let body = JSONValue.object([
                        ("error", .string("policy commit \(pushed.commit) rejected, the running policy stays")),
                        ("errors", .array(errors)), ("running", runningValue(state.running)),
                    ])
                    return HTTPReply(422, body.serialized() + "\n", contentType: "application/json")
                }
                // Saved before it is reported as running: whoever reads GET /policy and then
                // restarts the firewall finds this commit again.
                do { try state.save(pushed) } catch {
                    log.error("policy-state-save-failed", "cannot save the pushed policy: \(error); it runs, but a restart returns to the previous one until the manager pushes again")
                }
                state.adopt(pushed)
                state.accepted.add(1, ordering: .relaxed)
                var fields: [(String, JSONValue)] = [("commit", .string(pushed.commit)), ("by", .string(request.principal?.name ?? "anonymous"))]
                if let rules = results?.first?.rules { fields.append(("rules", .integer(rules))) }
                log.info("policy-pushed", "policy commit \(pushed.commit) runs (pushed by \(request.principal?.name ?? "anonymous"))", fields)
                // 202: compiled and published, but some worker had not adopted it within the wait.
                return HTTPReply(results == nil ? 202 : 200, policyStatus(pushed, rules: results?.first?.rules) + "\n", contentType: "application/json")
            }
        default:
            return .text(405, "GET or PUT /policy\n")
        }
    }

    private static func runningValue(_ policy: PushedPolicy?) -> JSONValue {
        policy.map { .string($0.commit) } ?? .null
    }

    static func policyStatus(_ policy: PushedPolicy?, rules: Int? = nil) -> String {
        var members: [(String, JSONValue)] = [
            ("commit", runningValue(policy)), ("digest", policy.map { .string($0.digest) } ?? .null), ("boot", .string(bootID)),
        ]
        if let rules { members.append(("rules", .integer(rules))) }
        return JSONValue.object(members).serialized()
    }
}
