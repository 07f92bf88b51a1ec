import Foundation
import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

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
        /// How many times the policy was read and compiled.
        var compiles = 0
        var endpoints: [TunnelEndpoint] = []
        let lock = NSLock()

        init() throws {
            policyText = ReloadOutcomeTests.policy
            board.setPolicyLoader { [unowned self] in
                let text = self.lock.withLock { self.compiles += 1; return self.policyText }
                let document = try PolicyLoader.load(yaml: text, file: "policy.yaml")
                return PolicyRelease.Content(compiled: CompiledPolicy(document), tags: document.addressTags)
            }
            for index in 0 ..< 2 {
                let matcher = try PolicyMatcher(try PolicyLoader.load(yaml: ReloadOutcomeTests.policy, file: "t.yaml"), tags: [])
                let worker = FirewallWorker(engine: Engine(policy: matcher), sink: try EventLog(path: "/dev/null"), batchSize: 2, slotSize: 4096)
                let endpoint = TunnelEndpoint(socket: try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!), worker: worker,
                                              board: board, signals: nil, index: index)
                endpoint.publishIntervalNanoseconds = 10_000_000
                endpoint.log = { _, _, _ in }
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

    /// Issue 12: a reload compiles once, on the thread that asked; every worker adopts the
    /// same generation between its batches, under load; a broken file moves none of them.
    @Test func everyWorkerAdoptsTheSameGenerationAndABrokenFileMovesNone() throws {
        let firewall = try Firewall()
        defer { firewall.stop() }
        let board = firewall.board
        // Load: datagrams (junk to the engine, work for the loop) at both workers until the end.
        let targets = firewall.endpoints.map(\.socket.local)
        let done = Atomic<Bool>(false)
        let sender = Thread {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            defer { close(fd) }
            let junk = [UInt8](repeating: 0x5A, count: 200)
            while !done.load(ordering: .relaxed) {
                for target in targets {
                    var storage = sockaddr_storage()
                    let length = target.write(to: &storage)
                    _ = withUnsafePointer(to: &storage) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, junk, junk.count, 0, $0, length) }
                    }
                }
            }
        }
        sender.start()
        defer { done.store(true, ordering: .relaxed) }
        func waitForWorkers(_ generation: Int) -> [Int] {
            var seen: [Int] = []
            for _ in 0 ..< 500 {
                seen = board.snapshot.workerPolicyGenerations
                if seen == [generation, generation] { break }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return seen
        }
        var generation = 0
        for round in 1 ... 5 {
            firewall.lock.withLock {
                firewall.policyText = Self.policy.replacingOccurrences(
                    of: "rules: [{name: allow-all, action: allow}]",
                    with: "rules: [" + (1 ... round).map { "{name: r\($0), action: allow}" }.joined(separator: ", ") + "]")
            }
            generation = board.requestReload()
            let outcome = try #require(board.reloadOutcome(generation: generation))
            #expect(outcome.count == 2 && outcome.allSatisfy { $0.error == nil && $0.rules == round + 2 }, "\(outcome)")
            #expect(waitForWorkers(generation) == [generation, generation])
        }
        #expect(firewall.lock.withLock { firewall.compiles } == 5, "one compile per reload, not one per worker")

        firewall.lock.withLock { firewall.policyText = Self.policy.replacingOccurrences(of: "action: allow", with: "action: alow") }
        let refused = board.requestReload()
        let outcome = try #require(board.reloadOutcome(generation: refused))
        #expect(outcome.count == 2 && outcome.allSatisfy { $0.error?.contains("policy.yaml:6") == true }, "\(outcome)")
        Thread.sleep(forTimeInterval: 0.2)
        #expect(board.publishedPolicyGeneration == generation)
        #expect(board.snapshot.workerPolicyGenerations == [generation, generation])
        #expect(board.snapshot.ruleNames.count == 7)
        let metrics = board.snapshot.prometheusText()
        #expect(metrics.contains("rampart_policy_generation \(generation)\n"))
        #expect(metrics.contains("rampart_worker_policy_generation{worker=\"1\"} \(generation)\n"))
        #expect(metrics.contains("rampart_policy_reloads_total{result=\"rejected\"} 1\n"))
        #expect(firewall.lock.withLock { firewall.compiles } == 6)
    }

    @Test func workersThatDoNotAnswerGive202() throws {
        let board = MetricsBoard(workers: 1, reloadWaitSeconds: 0.2)
        board.setPolicyLoader { PolicyRelease.Content(compiled: CompiledPolicy(try PolicyLoader.load(yaml: Self.policy, file: "t.yaml")), tags: []) }
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        let answer = server.respond(method: "POST", path: "/reload")
        #expect(answer.0 == "202 Accepted" && answer.2.contains("not every worker has answered"), "\(answer)")
    }
}
