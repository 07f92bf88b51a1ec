import Foundation
import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

/// Issue 19: `POST /reload` answered 202 even when every worker then rejected the new
/// policy. It now waits for the workers and answers with the outcome.
@Suite("POST /reload answers with the outcome", .serialized)
struct ReloadOutcomeTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: t}
        spec:
          zones: [{name: pods, networks: [10.77.0.0/16]}]
          rules: [{name: allow-all, action: allow}]
        """

    /// Two running workers whose reload reads `policyText()`; the board, and a stop.
    final class Firewall: @unchecked Sendable {
        let board = MetricsBoard(workers: 2, reloadWaitSeconds: 5)
        var policyText: String
        var endpoints: [TunnelEndpoint] = []
        let lock = NSLock()

        init() throws {
            policyText = ReloadOutcomeTests.policy
            for index in 0 ..< 2 {
                let matcher = try PolicyMatcher(try PolicyLoader.load(yaml: ReloadOutcomeTests.policy, file: "t.yaml"), tags: [])
                let worker = FirewallWorker(engine: Engine(policy: matcher), sink: try EventLog(path: "/dev/null"), batchSize: 2, slotSize: 4096)
                let endpoint = TunnelEndpoint(socket: try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!), worker: worker,
                                              board: board, signals: nil, index: index)
                endpoint.publishIntervalNanoseconds = 10_000_000
                endpoint.log = { _ in }
                endpoint.reloadPolicy = { [unowned self] in
                    let text = self.lock.withLock { self.policyText }
                    return try PolicyMatcher(try PolicyLoader.load(yaml: text, file: "policy.yaml"), tags: [])
                }
                endpoints.append(endpoint)
            }
            struct Handoff: @unchecked Sendable { let endpoint: TunnelEndpoint }
            for endpoint in endpoints {
                let handoff = Handoff(endpoint: endpoint)
                let thread = Thread { handoff.endpoint.run() }
                thread.start()
            }
        }

        func stop() {
            board.requestStop()
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    @Test func aGoodPolicyIs200AndABrokenOneIs422WithItsErrors() throws {
        let firewall = try Firewall()
        defer { firewall.stop() }
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: firewall.board)

        firewall.lock.withLock {
            firewall.policyText = Self.policy.replacingOccurrences(of: "rules: [{name: allow-all, action: allow}]",
                                                                   with: "rules: [{name: a, action: allow}, {name: b, action: deny}]")
        }
        let good = server.respond(method: "POST", path: "/reload")
        #expect(good.0 == "200 OK", "\(good)")
        #expect(good.2 == "reloaded: 4 rules\n")   // the two rules and the two defaults

        firewall.lock.withLock { firewall.policyText = Self.policy.replacingOccurrences(of: "action: allow", with: "action: alow") }
        let broken = server.respond(method: "POST", path: "/reload")
        #expect(broken.0 == "422 Unprocessable Content", "\(broken)")
        #expect(broken.2.contains("reload rejected, the running policy stays") && broken.2.contains("policy.yaml:6"), "\(broken.2)")
    }

    @Test func workersThatDoNotAnswerGive202() throws {
        let board = MetricsBoard(workers: 1, reloadWaitSeconds: 0.2)
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        let answer = server.respond(method: "POST", path: "/reload")
        #expect(answer.0 == "202 Accepted" && answer.2.contains("not every worker has answered"), "\(answer)")
    }
}
