import Foundation
import RampartDataplane
import RampartPolicy
import RampartWire
import Testing

@Suite("Configuration file")
struct ConfigurationTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: p}
        spec:
          rules:
            - {name: web, services: [tcp/80], action: allow}
        """

    @Test func readsTheFirewallSectionBesideThePolicy() throws {
        let text = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
              listen: 10.0.0.5:7000
              admin: off
              vnis: [7, 2048]
              events: /tmp/eve.json
              returnPort: source
            ---
            \(Self.policy)
            """
        let file = try ConfigurationFile.parse(text, file: "fw.yaml")
        #expect(file.firewall.listen == SocketAddress(parsing: "10.0.0.5:7000"))
        #expect(file.firewall.admin == nil)
        #expect(file.firewall.allowedVNIs == [7, 2048])
        #expect(file.firewall.events == "/tmp/eve.json")
        #expect(file.firewall.returnPort == nil)
        #expect(file.matcher.rules.map(\.name).contains("web"))
    }

    @Test("spec.rules names the signatures, loaded relative to the file; a missing path refuses the configuration")
    func signatureRules() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-rules-\(UInt64.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try #"drop http any any -> any any (msg:"x"; http.uri; content:"/x"; sid:1;)"#.write(
            to: directory.appendingPathComponent("local.rules"), atomically: true, encoding: .utf8)
        let config = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
              rules: local.rules
            ---
            \(Self.policy)
            """
        let path = directory.appendingPathComponent("fw.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let file = try ConfigurationFile.load(path: path)
        #expect(file.firewall.rules == "local.rules")
        #expect(file.rules?.ruleCount == 1)
        #expect(file.rulesSummary?.contains("1 of 1 rules active") == true)
        #expect(PolicyRelease.Content(file).rules === file.rules)
        try config.replacingOccurrences(of: "local.rules", with: "missing.rules").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: PolicyErrors.self) { try ConfigurationFile.load(path: path) }
    }

    @Test func defaultsWithoutAFirewallSection() throws {
        let file = try ConfigurationFile.parse(Self.policy, file: "p.yaml")
        #expect(file.firewall == FirewallConfiguration())
        #expect(file.firewall.listen.port == 6080 && file.firewall.admin?.port == 9680)
    }

    @Test func policyErrorsKeepTheirLineNumbers() {
        let text = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec: {vnis: [7]}
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            spec:
              rules:
                - {name: web, action: explode}
            """
        #expect {
            try ConfigurationFile.parse(text, file: "fw.yaml")
        } throws: { error in
            let errors = (error as? PolicyErrors)?.errors ?? []
            return errors.contains { $0.line == 9 && $0.message.contains("explode") }
        }
    }

    @Test func badFirewallFieldsAreNamed() {
        let text = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec: {listen: nowhere, vnis: [-1], colour: blue}
            ---
            \(Self.policy)
            """
        #expect {
            try ConfigurationFile.parse(text, file: "fw.yaml")
        } throws: { error in
            let messages = ((error as? PolicyErrors)?.errors ?? []).map(\.message)
            return messages.contains { $0.contains("spec.listen") } && messages.contains { $0.contains("spec.vnis") }
                && messages.contains { $0.contains("colour") }
        }
    }

    @Test func socketAddressesParse() {
        #expect(SocketAddress(parsing: "0.0.0.0:6080")?.port == 6080)
        #expect(SocketAddress(parsing: "[::1]:9680")?.description == "[::1]:9680")
        #expect(SocketAddress(parsing: "10.0.0.1") == nil)
        #expect(SocketAddress(parsing: "10.0.0.1:99999") == nil)
    }
}

@Suite("Admin API")
struct AdminTests {
    @Test func answersHealthReadinessAndMetrics() throws {
        let board = MetricsBoard(reloadWaitSeconds: 0)
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        #expect(server.respond(method: "GET", path: "/healthz").0 == "200 OK")
        #expect(server.respond(method: "GET", path: "/readyz").0.hasPrefix("503"))
        var counters = DataplaneCounters()
        counters.count(.wrongVNI)
        counters.count(.wrongVNI)
        var snapshot = FirewallSnapshot(counters: counters, engine: .init(), activeSessions: 3, ruleNames: ["web \"x\""], ready: true)
        snapshot.engine.ruleHits = [5]
        board.publish(snapshot)
        #expect(server.respond(method: "GET", path: "/readyz").0 == "200 OK")
        let metrics = server.respond(method: "GET", path: "/metrics").2
        #expect(metrics.contains("rampart_drops_total{reason=\"wrong_vni\"} 2"))
        #expect(metrics.contains("rampart_sessions 3"))
        #expect(metrics.contains("rampart_rule_hits_total{rule=\"web \\\"x\\\"\"} 5"))
        let generation = board.reloadGeneration
        board.setPolicyLoader { PolicyRelease.Content(compiled: CompiledPolicy(try PolicyLoader.load(yaml: "apiVersion: rampart.io/v1\nkind: SecurityPolicy\nmetadata: {name: t}\nspec: {}\n", file: "t.yaml")), tags: []) }
        #expect(server.respond(method: "POST", path: "/reload").0.hasPrefix("202"))
        #expect(board.reloadGeneration == generation + 1)
        #expect(server.respond(method: "GET", path: "/nope").0.hasPrefix("404"))
    }

    @Test func workersAddUp() {
        let board = MetricsBoard(workers: 2)
        for worker in 0 ..< 2 {
            var counters = DataplaneCounters()
            counters.datagramsReceived = UInt64(10 * (worker + 1))
            counters.count(.policy)
            var snapshot = FirewallSnapshot(counters: counters, engine: .init(), activeSessions: worker + 1, ruleNames: ["a"], ready: true)
            snapshot.engine.ruleHits = [UInt64(worker + 1)]
            board.publish(snapshot, worker: worker)
        }
        let total = board.snapshot
        #expect(total.counters.datagramsReceived == 30 && total.counters.dropped(.policy) == 2)
        #expect(total.engine.ruleHits == [3] && total.activeSessions == 3 && total.ready)
        let text = total.prometheusText()
        #expect(text.contains("rampart_worker_datagrams_received_total{worker=\"1\"} 20"))
    }
}
