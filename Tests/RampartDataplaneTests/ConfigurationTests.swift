import Foundation
@testable import RampartDataplane
import RampartHTTP
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

    @Test func readsTheAdminTLSBlock() throws {
        let text = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
              admin: 0.0.0.0:9680
              tls:
                certificate: /etc/rampart/tls/tls.crt
                key: /etc/rampart/tls/tls.key
                clientCA: /etc/rampart/tls/ca.crt
                clientRoles: {rampart-manager: tag-writer, ops: [read-only, policy-writer]}
            ---
            \(Self.policy)
            """
        let tls = try #require(try ConfigurationFile.parse(text, file: "fw.yaml").firewall.tls)
        #expect(tls == TLSConfiguration(certificate: "/etc/rampart/tls/tls.crt", key: "/etc/rampart/tls/tls.key",
                                        clientCA: "/etc/rampart/tls/ca.crt", clientCertificates: .required,
                                        clientRoles: ["rampart-manager": [.tagWriter], "ops": [.readOnly, .policyWriter]]))
        // The block is read at start: a reload that changes it says a restart is needed.
        var without = FirewallConfiguration()
        without.tls = nil
        var with = without
        with.tls = tls
        #expect(without.changesNeedingRestart(in: with) == ["spec.tls: off -> /etc/rampart/tls/tls.crt (mutual TLS, client certificates required (2 identities with roles))"])
        #expect {
            try ConfigurationFile.parse(text.replacingOccurrences(of: "clientRoles: {", with: "clientRoles: {x: admin, "), file: "fw.yaml")
        } throws: { error in
            ((error as? PolicyErrors)?.errors ?? []).contains { $0.line == 10 && $0.message.contains("spec.tls.clientRoles.x must be a role") }
        }
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

/// The file is parsed once and its documents told apart by their parsed `kind`; the firewall's
/// document is read by the shared reader (RampartConfig), the rest by the policy loader, and
/// every problem of both comes back at once, in file order, at its true position.
@Suite("Configuration file: documents and positions")
struct ConfigurationFileReaderTests {
    static let firewall = """
        apiVersion: rampart.io/v1
        kind: FirewallConfiguration
        metadata: {name: fw}
        spec:
          listen: 10.0.0.5:7000
          vnis: [7]
        """

    static func problems(_ text: String) -> [String] {
        do {
            _ = try ConfigurationFile.parse(text, file: "fw.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func documentsInEitherOrderAndCommentOnlyDocumentsBetween() throws {
        let texts = [
            "\(Self.firewall)\n---\n\(ConfigurationTests.policy)\n",
            "\(ConfigurationTests.policy)\n---\n\(Self.firewall)\n",
            "# the firewall\n\(Self.firewall)\n---\n# nothing but a comment\n---\n---\n\(ConfigurationTests.policy)\n---\n# the end\n",
            // A flow-style document: no line starts with `kind:`.
            "{apiVersion: rampart.io/v1, kind: FirewallConfiguration, spec: {listen: \"10.0.0.5:7000\", vnis: [7]}}\n---\n\(ConfigurationTests.policy)\n",
        ]
        for text in texts {
            let file = try ConfigurationFile.parse(text, file: "fw.yaml")
            #expect(file.firewall.listen == SocketAddress(parsing: "10.0.0.5:7000"), "\(text)")
            #expect(file.firewall.allowedVNIs == [7])
            #expect(file.matcher.rules.map(\.name).contains("web"))
        }
    }

    @Test func errorsKeepTheirPositionsWhateverTheOrder() {
        // The firewall's document second: its lines are the file's lines.
        #expect(Self.problems("""
            \(ConfigurationTests.policy)
            ---
            # comment
            ---
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec:
              listen: nowhere
            """) == ["fw.yaml:13:11: spec.listen must be address:port (e.g. 0.0.0.0:6080), found 'nowhere'"])
    }

    @Test func unknownAndMisspeltKeysAreRefusedWhereTheyAre() {
        #expect(Self.problems("""
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw, lables: {a: b}}
            spec:
              udpGSo: true
              colour: blue
              auth: {tokenFile: /etc/rampart/tokens}
              records: {flowsPerSecnd: 10}
              tls: {certificate: a.crt, key: a.key, clientCa: ca.crt}
            ---
            \(ConfigurationTests.policy)
            """) == [
            "fw.yaml:3:22: unknown field 'lables' in metadata; did you mean 'labels'?",
            "fw.yaml:5:3: unknown field 'udpGSo' in spec; did you mean 'udpGSO'?",
            "fw.yaml:6:3: unknown field 'colour' in spec (expected one of: \(FirewallConfiguration.specKeys.joined(separator: ", ")))",
            "fw.yaml:7:10: unknown field 'tokenFile' in spec.auth; did you mean 'tokensFile'?",
            "fw.yaml:8:13: unknown field 'flowsPerSecnd' in spec.records; did you mean 'flowsPerSecond'?",
            "fw.yaml:9:41: unknown field 'clientCa' in spec.tls; did you mean 'clientCA'?",
        ])
    }

    @Test func everyProblemOfBothPartsAtOnceInFileOrder() {
        #expect(Self.problems("""
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: p}
            spec:
              rules:
                - {name: web, action: explode}
            ---
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec:
              workers: many
              vnis: [7, 16777216]
              returnPort: 0
            ---
            kind: FirewallConfiguratoin
            """) == [
            "fw.yaml:6:27: unknown action 'explode'; expected one of allow, deny, drop, reset-client, reset-server, reset-both",
            "fw.yaml:11:12: spec.workers must be between 0 (one per core) and 256, found 'many'",
            "fw.yaml:12:13: spec.vnis must be a list of VNIs (0...16777215), found '16777216'",
            "fw.yaml:13:15: spec.returnPort must be a port (1...65535) or 'source', found '0'",
            "fw.yaml:15:1: a document is missing the required field 'apiVersion'",
            "fw.yaml:15:1: a document is missing the required field 'spec'",
            "fw.yaml:15:7: unknown kind 'FirewallConfiguratoin'; expected SecurityPolicy, AddressTags or FirewallConfiguration; did you mean 'FirewallConfiguration'?",
        ])
    }

    @Test func keysAndDocumentsGivenTwiceAreRefused() {
        #expect(Self.problems("""
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec:
              listen: 0.0.0.0:6080
              workers: 2
              listen: 0.0.0.0:7080
            ---
            \(ConfigurationTests.policy)
            ---
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec: {workers: 4}
            """) == [
            "fw.yaml:6:3: duplicate field 'listen' in spec; first given at 4:3",
            "fw.yaml:15:1: a second FirewallConfiguration document; the first begins at 1:1 (one file configures one firewall)",
        ])
    }
}

@Suite("Admin API")
struct AdminTests {
    /// `readyAfterTags`: a firewall joining a scaled-out cluster is not ready (so nodes
    /// probing /readyz send it nothing) until the manager's whole tag map arrived; a
    /// partial update is not enough.
    @Test func readyOnlyAfterAWholeTagMapWhenAsked() throws {
        let board = MetricsBoard(reloadWaitSeconds: 0, waitForTags: true)
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        board.publish(FirewallSnapshot(counters: DataplaneCounters(), engine: .init(), activeSessions: 0, ruleNames: [], ready: true))
        #expect(server.respond(method: "GET", path: "/readyz").2.contains("whole tag map"))
        #expect(server.respond(method: "POST", path: "/tags", body: #"{"sequence": 1, "address": "10.0.0.1", "tags": ["ns:a"]}"#).0.hasPrefix("202"))
        #expect(server.respond(method: "GET", path: "/readyz").0.hasPrefix("503"))
        #expect(server.respond(method: "POST", path: "/tags", body: #"{"sequence": 2, "replace": true, "updates": [{"address": "10.0.0.1", "tags": ["ns:a"]}]}"#).0.hasPrefix("202"))
        #expect(server.respond(method: "GET", path: "/readyz").0 == "200 OK")
        // Without the setting, ready as before.
        let plain = MetricsBoard(reloadWaitSeconds: 0)
        plain.publish(FirewallSnapshot(counters: DataplaneCounters(), engine: .init(), activeSessions: 0, ruleNames: [], ready: true))
        #expect(AdminServer.respond(board: plain, method: "GET", path: "/readyz").0 == "200 OK")
        let file = try ConfigurationFile.parse("""
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: f}
            spec: {readyAfterTags: true}
            ---
            \(ConfigurationTests.policy)
            """, file: "fw.yaml")
        #expect(file.firewall.readyAfterTags)
    }

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
