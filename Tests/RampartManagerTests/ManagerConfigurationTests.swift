import Foundation
import Testing
import RampartConfig
@testable import RampartManager
@testable import RampartKube
import RampartHTTP

@Suite("Manager configuration")
struct ManagerConfigurationTests {
    @Test func aCompleteFile() throws {
        let configuration = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            metadata: {name: main}
            spec:
              listen: 127.0.0.1:9690
              state: /tmp/m.sqlite
              clusters:
                - name: prod
                  clusterID: 7
                  kubeconfig: prod.kubeconfig
                  tagStyle: both
                  labels: [app, "app.kubernetes.io/*"]
                  excludeNamespaces: [kube-system]
                - name: edge-1
                  clusterID: 2048
                  credentialFile: /etc/rampart/edge.json
                  server: https://10.0.0.1:6443
              firewalls:
                - name: fw-1
                  admin: http://10.0.0.5:9680
            """, file: "/etc/rampart/manager.yaml")
        #expect(configuration.clusters.map(\.name) == ["prod", "edge-1"])
        #expect(configuration.clusters[0].source == .kubeconfig(path: "/etc/rampart/prod.kubeconfig", context: nil))
        #expect(configuration.clusters[0].tagStyle == .both)
        #expect(configuration.clusters[0].labels.admits("app.kubernetes.io/name"))
        #expect(!configuration.clusters[0].labels.admits("tier"))
        #expect(configuration.clusters[1].source == .credentialFile(path: "/etc/rampart/edge.json", server: "https://10.0.0.1:6443"))
        #expect(configuration.firewalls == [FirewallTarget(name: "fw-1", admin: "http://10.0.0.5:9680")])
    }

    /// The firewall check interval, and a stall timeout that would cut a quiet watch.
    @Test func checkIntervalAndStallTimeout() throws {
        func parse(_ spec: String) throws(ConfigErrors) -> ManagerConfiguration {
            try ManagerConfiguration.parse("apiVersion: rampart.io/v1\nkind: ManagerConfiguration\nspec:\n" + spec, file: "m.yaml")
        }
        let defaults = try parse("  clusters:\n    - {name: a, clusterID: 1, inCluster: true}\n")
        #expect(defaults.firewallCheckSeconds == 10)
        #expect(defaults.clusters[0].stallTimeout == nil)
        #expect(Reflector<Pod>.stallWindow(timeoutSeconds: 290, configured: 0) == 319)
        #expect(Reflector<Pod>.stallWindow(timeoutSeconds: 3, configured: 2) == 8)
        let set = try parse("  firewallCheckSeconds: 2.5\n  clusters:\n    - {name: a, clusterID: 1, inCluster: true, watchTimeoutSeconds: 60, stallTimeout: 90}\n")
        #expect(set.firewallCheckSeconds == 2.5)
        #expect(set.clusters[0].stallTimeout == 90)
        do {
            _ = try parse("  firewallCheckSeconds: 0\n")
            Issue.record("a check interval of 0 was accepted")
        } catch {
            #expect(error.errors.map(\.description) == ["m.yaml:4:25: spec.firewallCheckSeconds must be between 0.5 and 3600 seconds"])
        }
        do {
            _ = try parse("  clusters:\n    - name: a\n      clusterID: 1\n      inCluster: true\n      stallTimeout: 120\n")
            Issue.record("a stall timeout below the watch timeout (290 s) was accepted")
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.errors.first?.description.hasPrefix("m.yaml:8:21: cluster 'a': stallTimeout (120 s) must be above watchTimeoutSeconds (290 s)") == true, "\(error)")
        }
    }

    @Test func everyProblemAtOnceWithItsLine() {
        do {
            _ = try ManagerConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: ManagerConfiguration
                spec:
                  clusters:
                    - name: a-name-that-is-far-too-long
                      clusterID: 1
                      inCluster: true
                    - name: b
                      clusterID: 4000
                      inCluster: true
                    - name: c
                      clusterID: 1
                      kubeconfig: c.yaml
                      inCluster: true
                    - name: d
                      clusterID: 5
                      inCluster: true
                      colour: blue
                  firewalls:
                    - name: fw
                      admin: 10.0.0.5:9680
                """, file: "m.yaml")
            Issue.record("expected errors")
        } catch {
            // Each at the value (or key) it is about, in file order.
            #expect(error.errors.map(\.description) == [
                "m.yaml:5:13: cluster name 'a-name-that-is-far-too-long' must be 1 to 20 lower-case letters, digits or '-' (it is part of tag names)",
                "m.yaml:9:18: cluster 'b': clusterID must be 1..2048 (the VNI its tunnels carry)",
                "m.yaml:12:18: clusterID 1 is used twice",
                "m.yaml:14:18: cluster 'c': give exactly one of kubeconfig, credentialFile (with server) or inCluster: true",
                "m.yaml:18:7: unknown field 'colour' in cluster 'd' (expected one of: name, clusterID, kubeconfig, context, credentialFile, server, inCluster, tagStyle, labels, excludeLabels, podSelector, namespaces, excludeNamespaces, stallTimeout, watchTimeoutSeconds)",
                "m.yaml:21:14: firewall 'fw': admin must be http://host:port or https://host:port, found '10.0.0.5:9680'",
            ])
        }
    }

    /// The API's tls block, how https:// firewalls are reached (firewallTLS, or a firewall's
    /// own tls), and every bad value with its line.
    @Test func tlsBlocks() throws {
        let configuration = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            spec:
              listen: 0.0.0.0:9690
              tls:
                certificate: tls/manager.crt
                key: tls/manager.key
                clientCA: tls/ca.crt
                clientCertificates: optional
                clientRoles: {grafana: read-only}
              firewallTLS: {ca: tls/ca.crt, certificate: tls/manager.crt, key: tls/manager.key}
              firewalls:
                - {name: fw-1, admin: "https://10.0.0.5:9680"}
                - {name: fw-2, admin: "https://10.0.0.6:9680", tls: {ca: /etc/other-ca.crt}}
                - {name: fw-3, admin: "http://127.0.0.1:9680"}
            """, file: "/etc/rampart/manager.yaml")
        #expect(configuration.tls == TLSConfiguration(certificate: "/etc/rampart/tls/manager.crt", key: "/etc/rampart/tls/manager.key",
                                                      clientCA: "/etc/rampart/tls/ca.crt", clientCertificates: .optional,
                                                      clientRoles: ["grafana": [.readOnly]]))
        let shared = FirewallClientTLS(ca: "/etc/rampart/tls/ca.crt", certificate: "/etc/rampart/tls/manager.crt", key: "/etc/rampart/tls/manager.key")
        #expect(configuration.firewalls.map(\.tls) == [shared, FirewallClientTLS(ca: "/etc/other-ca.crt"), nil])
        #expect(try configuration.firewalls[2].tlsSettings() == nil, "plain http needs no TLS files")
        do {
            _ = try configuration.firewalls[0].tlsSettings()
            Issue.record("missing files were read")
        } catch {
            #expect(error.description.contains("/etc/rampart/tls/ca.crt: firewall 'fw-1': cannot read the CA bundle"), "\(error)")
        }
        do {
            _ = try ManagerConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: ManagerConfiguration
                spec:
                  tls:
                    certificate: a.crt
                    clientRoles:
                      ops: root
                  firewallTLS: {certificate: m.crt, colour: blue}
                  firewalls:
                    - name: fw
                      admin: http://10.0.0.5:9680
                      tls: {ca: ca.crt}
                      token: x
                """, file: "m.yaml")
            Issue.record("expected errors")
        } catch {
            let messages = error.errors.map(\.description)
            #expect(messages.contains("m.yaml:5:5: spec.tls.key is missing: the path of a PEM file holding the certificate's private key"), "\(error)")
            #expect(messages.contains { $0.hasPrefix("m.yaml:7:12: spec.tls.clientRoles.ops must be a role or a list of roles") }, "\(error)")
            #expect(messages.contains { $0.hasPrefix("m.yaml:7:7: spec.tls.clientRoles needs spec.tls.clientCA") }, "\(error)")
            #expect(messages.contains("m.yaml:8:37: unknown field 'colour' in spec.firewallTLS (expected one of: ca, certificate, key)"), "\(error)")
            #expect(messages.contains("m.yaml:8:16: spec.firewallTLS: certificate and key go together (the client certificate and its private key)"), "\(error)")
            #expect(messages.contains("m.yaml:12:12: firewall 'fw': tls is for an https:// admin API; admin is http://10.0.0.5:9680"), "\(error)")
            #expect(messages.contains("m.yaml:13:7: unknown field 'token' in firewall 'fw' (expected one of: name, admin, clusters, tokenFile, tls, groups)"), "\(error)")
            #expect(error.errors.map { [$0.line, $0.column] } == error.errors.map { [$0.line, $0.column] }.sorted { $0.lexicographicallyPrecedes($1) },
                    "in file order: \(error)")
        }
    }

    @Test func notYAMLAndNoSpec() {
        #expect(throws: ConfigErrors.self) { try ManagerConfiguration.parse("{", file: "x") }
        #expect(throws: ConfigErrors.self) { try ManagerConfiguration.parse("kind: ManagerConfiguration", file: "x") }
        do {
            _ = try ManagerConfiguration.load(path: "/nonexistent/manager.yaml")
            Issue.record("a missing file was read")
        } catch {
            #expect(error.description == "/nonexistent/manager.yaml: cannot read the file")
        }
    }

    @Test func rbacManifestMatchesTheCommittedFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let committed = try String(contentsOf: root.appendingPathComponent("deploy/rbac.yaml"), encoding: .utf8)
        #expect(committed == RBACManifest.yaml())
        #expect(RBACManifest.yaml().contains("verbs: [get, list, watch]"))
        #expect(!RBACManifest.yaml().contains("create"))
    }
}

@Suite("Tag store")
struct TagStoreTests {
    func temporaryStore() throws -> (TagStore, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-store-\(UUID().uuidString).sqlite").path
        return (try TagStore(path: path), path)
    }

    @Test func answersWhatAnAddressWasAtATime() throws {
        let (store, path) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try store.record([AuditRecord(time: 100, cluster: "prod", address: "10.0.0.7", tags: ["ns:a"], reason: "pod a/p1 added")])
        try store.record([AuditRecord(time: 200, cluster: "prod", address: "10.0.0.7", tags: [], reason: "pod a/p1 deleted")])
        try store.record([AuditRecord(time: 300, cluster: "prod", address: "10.0.0.7", tags: ["ns:b"], reason: "pod b/p2 added")])
        #expect(try store.tags(of: "10.0.0.7", at: 50) == nil)
        #expect(try store.tags(of: "10.0.0.7", at: 150)?.tags == ["ns:a"])
        #expect(try store.tags(of: "10.0.0.7", at: 250) == nil)
        #expect(try store.tags(of: "10.0.0.7", at: 301)?.reason == "pod b/p2 added")
        #expect(try store.history(of: "10.0.0.7").count == 3)
        #expect(try store.current()["10.0.0.7"]?.tags == ["ns:b"])
        // Survives reopening.
        let reopened = try TagStore(path: path)
        #expect(try reopened.tags(of: "10.0.0.7", at: 150)?.tags == ["ns:a"])
        try reopened.setSequence(41, of: "fw-1")
        #expect(try TagStore(path: path).sequence(of: "fw-1") == 41)
        // Pruning keeps the record in force at the cut.
        try reopened.prune(before: 250)
        #expect(try reopened.history(of: "10.0.0.7").count == 2)
        #expect(try reopened.tags(of: "10.0.0.7", at: 260) == nil)
    }

    @Test func anUnwritableFolderIsAClearError() {
        #expect(throws: StoreError.self) { try TagStore(path: "/nonexistent-folder/x.sqlite") }
    }
}

/// The file is read by the shared reader (RampartConfig): positions from the nodes
/// themselves, unknown keys refused everywhere, every problem at once in file order.
@Suite("Manager configuration: the shared reader")
struct ManagerConfigurationReaderTests {
    static func problems(_ text: String) -> [String] {
        do {
            _ = try ManagerConfiguration.parse(text, file: "m.yaml")
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func unknownAndMisspeltKeysAreRefusedWhereTheyAre() {
        #expect(Self.problems("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            metdata: {name: m}
            spec:
              listn: 127.0.0.1:9690
              auth: {tokensFile: t, mode: 600}
              clusters:
                - {name: prod, clusterID: 7, inCluster: true, tagstyle: both}
              firewalls:
                - name: fw
                  admin: http://10.0.0.5:9680
                  tokenFle: fw.token
                  tls: {ca: ca.crt, cert: c.crt}
            """) == [
            "m.yaml:3:1: unknown field 'metdata' in the ManagerConfiguration document; did you mean 'metadata'?",
            "m.yaml:5:3: unknown field 'listn' in spec; did you mean 'listen'?",
            "m.yaml:6:25: unknown field 'mode' in spec.auth (expected one of: tokensFile)",
            "m.yaml:8:51: unknown field 'tagstyle' in cluster 'prod'; did you mean 'tagStyle'?",
            "m.yaml:12:7: unknown field 'tokenFle' in firewall 'fw'; did you mean 'tokenFile'?",
            "m.yaml:13:12: firewall 'fw': tls is for an https:// admin API; admin is http://10.0.0.5:9680",
            "m.yaml:13:25: unknown field 'cert' in firewall 'fw': tls (expected one of: ca, certificate, key)",
        ])
    }

    @Test func aKeyGivenTwiceIsRefusedAtTheSecond() {
        // Yams.load trapped on this (found by Fuzz/kube); the reader reports it.
        #expect(Self.problems("apiVersion: rampart.io/v1\nkind: ManagerConfiguration\nspec:\n  listen: a:1\n  listen: b:2\n")
            == ["m.yaml:5:3: duplicate field 'listen' in spec; first given at 4:3"])
        #expect(Self.problems("""
            kind: ManagerConfiguration
            spec:
              clusters:
                - {name: a, clusterID: 1, inCluster: true, clusterID: 2}
            """) == ["m.yaml:4:48: duplicate field 'clusterID' in cluster 'a'; first given at 4:17"])
    }

    @Test func everyProblemAtOnceInFileOrder() {
        // Read in the reader's order (spec keys, then clusters, then firewalls), reported in the file's.
        #expect(Self.problems("""
            apiVersion: rampart.io/v2
            kind: ManagerConfiguration
            spec:
              firewalls:
                - {name: fw, admin: "http://10.0.0.5:9680", clusters: [nowhere]}
              clusters:
                - {name: Prod, clusterID: 7, inCluster: true}
              firewallCheckSeconds: fast
              listen: 9690
            """) == [
            "m.yaml:1:13: apiVersion must be 'rampart.io/v1', found 'rampart.io/v2'",
            "m.yaml:5:60: firewall 'fw': no cluster named 'nowhere' (known: Prod)",
            "m.yaml:7:14: cluster name 'Prod' must be 1 to 20 lower-case letters, digits or '-' (it is part of tag names)",
            "m.yaml:8:25: spec.firewallCheckSeconds must be between 0.5 and 3600 seconds",
            "m.yaml:9:11: spec.listen must be address:port (e.g. 127.0.0.1:9690)",
        ])
    }
}

@Suite("Manager configuration: firewalls per cluster")
struct FirewallClustersTests {
    @Test func aFirewallCanServeSomeClusters() throws {
        let configuration = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            spec:
              clusters:
                - {name: east, clusterID: 1, inCluster: true}
                - {name: west, clusterID: 2, inCluster: true}
              firewalls:
                - {name: fw-east, admin: "http://10.0.0.5:9680", clusters: [east]}
                - {name: fw-all, admin: "http://10.0.0.6:9680"}
            """, file: "m.yaml")
        #expect(configuration.firewalls[0].serves("east") && !configuration.firewalls[0].serves("west"))
        #expect(configuration.firewalls[1].serves("west"))
        #expect(throws: ConfigErrors.self) {
            try ManagerConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: ManagerConfiguration
                spec:
                  clusters: [{name: east, clusterID: 1, inCluster: true}]
                  firewalls: [{name: fw, admin: "http://10.0.0.5:9680", clusters: [nowhere]}]
                """, file: "m.yaml")
        }
    }
}
