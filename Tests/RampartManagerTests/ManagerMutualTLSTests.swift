import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `rampart-manager` pushing a cluster's tags to the built `rampart-firewall` over
/// mutual TLS, certificates made by `openssl` in the test's folder: the firewall knows the
/// manager by its certificate (and logs the change with that name), a manager the firewall
/// does not trust and a firewall the manager does not trust are both refused and logged,
/// the manager's own API speaks TLS, and missing files stop the start.
@Suite("Manager and firewall over mutual TLS", .serialized)
struct ManagerMutualTLSTests {
    struct Lab {
        let folder: URL
        let certificates: TestCertificates
        let admin = freePort(), probes = freePort(), api = freePort(), apiProbes = freePort()

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-mtls-\(UUID().uuidString.prefix(8))")
            certificates = try TestCertificates.make(in: folder, clients: ["rampart-manager", "rampart-manager-2", "grafana"])
            try write("read-only ops ops-token-0123456789\n", "api-tokens")
            try write("""
                apiVersion: rampart.io/v1
                kind: FirewallConfiguration
                metadata: {name: t}
                spec:
                  listen: 127.0.0.1:\(freePort(type: Int32(SOCK_DGRAM.rawValue)))
                  admin: 127.0.0.1:\(admin)
                  probes: 127.0.0.1:\(probes)
                  tls:
                    certificate: server.crt
                    key: server.key
                    clientCA: ca.crt
                    clientRoles: {rampart-manager: tag-writer, rampart-manager-2: tag-writer, grafana: read-only}
                  events: /dev/null
                  workers: 1
                ---
                apiVersion: rampart.io/v1
                kind: SecurityPolicy
                metadata: {name: t}
                spec:
                  zones: [{name: pods, networks: [10.244.0.0/16]}]
                  rules: [{name: web, from: [pods], to: [pods], action: allow}]
                """, "firewall.yaml")
        }

        func write(_ text: String, _ name: String, mode: mode_t = 0o600) throws {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            chmod(folder.appendingPathComponent(name).path, mode)
        }

        /// A manager configuration: `firewalls` and `extra` are lines of spec, indented two spaces.
        func manager(_ file: String, kubeconfig: String? = nil, firewallTLS: String, firewalls: String, extra: String = "") throws {
            try write("""
                apiVersion: rampart.io/v1
                kind: ManagerConfiguration
                spec:
                  listen: 127.0.0.1:\(api)
                  probes: 127.0.0.1:\(apiProbes)
                  state: \(folder.path)/\(file).sqlite
                \(extra)
                  firewallTLS: \(firewallTLS)
                \(kubeconfig.map { "  clusters: [{name: lab, clusterID: 7, kubeconfig: \($0)}]" } ?? "")
                  firewalls:
                \(firewalls)
                """, file)
        }

        /// Runs the firewall, then (once it answers) the manager (configuration `manager`), then `body` once the
        /// manager's probes answer `ready` (`untilReady`, at most 10 s) or just answer, then
        /// stops both and prints their logs.
        func run(manager file: String, untilReady: Bool = true, _ body: String) throws -> (Int32, String) {
            let firewall = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: packageRoot))
            let manager = try #require(TestShell.executable(named: "rampart-manager", packageRoot: packageRoot))
            return try TestShell.run("""
                true
                '\(firewall.path)' --config firewall.yaml 2>fw.log & fw=$!
                trap 'kill $fw 2>/dev/null; wait $fw 2>/dev/null' EXIT
                for i in $(seq 100); do curl -sf http://127.0.0.1:\(probes)/healthz >/dev/null && break; sleep 0.1; done
                '\(manager.path)' run --config \(file) 2>m.log & m=$!
                trap 'kill $m $fw 2>/dev/null; wait $m $fw 2>/dev/null' EXIT
                for i in $(seq 100); do curl -sf http://127.0.0.1:\(apiProbes)/\(untilReady ? "readyz" : "healthz") >/dev/null && break; sleep 0.1; done
                \(body)
                kill -TERM $m $fw; wait $m $fw; trap - EXIT
                echo "== fw.log"; cat fw.log; echo "== m.log"; cat m.log
                """, in: folder)
        }
    }

    @Test func tagsReachTheFirewallOverMutualTLS() throws {
        let lab = try Lab()
        defer { try? FileManager.default.removeItem(at: lab.folder) }
        let server = try KubeTestServer.start(packageRoot: packageRoot)
        defer { server.stop() }
        try server.control("POST", "/objects", #"[{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}]"#)
        try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-1", ip: "10.244.1.1", labels: ["app": "web"]))
        try KubeTestServer.pod("shop", "web-2", ip: "10.244.1.2").write(to: lab.folder.appendingPathComponent("web-2.json"), atomically: true, encoding: .utf8)
        // The manager's own API over TLS too: client certificates optional, tokens for the rest.
        try lab.manager("m.yaml", kubeconfig: server.kubeconfig,
                        firewallTLS: "{ca: ca.crt, certificate: rampart-manager.crt, key: rampart-manager.key}",
                        firewalls: "    - {name: fw-1, admin: \"https://127.0.0.1:\(lab.admin)\"}",
                        extra: """
                          auth: {tokensFile: api-tokens}
                          tls: {certificate: server.crt, key: server.key, clientCA: ca.crt, clientCertificates: optional, clientRoles: {grafana: read-only}}
                        """)
        let certificates = lab.certificates
        let (status, output) = try lab.run(manager: "m.yaml", """
            echo "readyz $(curl -s http://127.0.0.1:\(lab.apiProbes)/readyz)"
            echo "fw-tags $(curl -s \(certificates.client("grafana")) 'https://127.0.0.1:\(lab.admin)/tags?address=10.244.1.1')"
            echo "api-token $(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt -H 'Authorization: Bearer ops-token-0123456789' https://127.0.0.1:\(lab.api)/clusters)"
            echo "api-certificate $(curl -s -o /dev/null -w '%{http_code}' \(certificates.client("grafana")) https://127.0.0.1:\(lab.api)/clusters)"
            echo "api-anonymous $(curl -s -o /dev/null -w '%{http_code}' --cacert ca.crt https://127.0.0.1:\(lab.api)/clusters)"
            echo "api-plain $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(lab.api)/clusters)"
            # A renewed client certificate (another identity here, so the firewall's log shows
            # which one came): the next push uses it, without a failure first.
            cp rampart-manager-2.crt rampart-manager.crt && cp rampart-manager-2.key rampart-manager.key
            curl -sf -X POST --data-binary @web-2.json http://127.0.0.1:\(server.controlPort)/objects >/dev/null
            for i in $(seq 100); do grep -q 'from rampart-manager-2 at' fw.log && break; sleep 0.1; done
            echo "fw-tags-2 $(curl -s \(certificates.client("grafana")) 'https://127.0.0.1:\(lab.admin)/tags?address=10.244.1.2')"
            """)
        #expect(status == 0, "\(output)")
        #expect(output.contains("readyz ready"), "the firewall took the whole map over mutual TLS: \(output)")
        #expect(output.contains("fw-tags {") && output.contains("\"ns:shop\"") && output.contains("\"label:app=web\""), "\(output)")
        #expect(output.contains("admin: POST /tags accepted (202) from rampart-manager at 127.0.0.1 (client certificate)"), "\(output)")
        #expect(output.contains("api-token 200") && output.contains("api-certificate 200"), "\(output)")
        #expect(output.contains("api-anonymous 401") && output.contains("api-plain 400"), "\(output)")
        #expect(output.contains("API on https://127.0.0.1:\(lab.api) (TLS, client certificates optional (1 identities with roles); bearer tokens)"), "\(output)")
        #expect(output.contains("fw-tags-2 {") && output.contains("\"pod:shop/web-2\""), "\(output)")
        #expect(output.contains("admin: POST /tags accepted (202) from rampart-manager-2 at 127.0.0.1 (client certificate)"), "\(output)")
        #expect(!output.contains("push-failed"), "the renewed certificate was used without a failure first: \(output)")
    }

    /// Two pushers to the same firewall: one presents a certificate of a CA the firewall does
    /// not trust, the other does not trust the firewall's certificate. Neither delivers a
    /// thing, both say why in the manager's log, and the manager is not ready.
    @Test func untrustedEitherWayIsRefusedAndLogged() throws {
        let lab = try Lab()
        defer { try? FileManager.default.removeItem(at: lab.folder) }
        try lab.manager("m.yaml", firewallTLS: "{ca: ca.crt, certificate: intruder.crt, key: intruder.key}", firewalls: """
                - {name: fw-stranger, admin: "https://127.0.0.1:\(lab.admin)"}
                - {name: fw-unverified, admin: "https://127.0.0.1:\(lab.admin)", tls: {ca: other-ca.crt, certificate: rampart-manager.crt, key: rampart-manager.key}}
            """)
        let (status, output) = try lab.run(manager: "m.yaml", untilReady: false, """
            sleep 1
            echo "readyz $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(lab.apiProbes)/readyz)"
            echo "fw-tags $(curl -s \(lab.certificates.client("grafana")) https://127.0.0.1:\(lab.admin)/tags)"
            """)
        #expect(status == 0, "\(output)")
        #expect(output.contains("readyz 503") && output.contains("fw-tags {\"sequence\": 0, \"addresses\": 0"), "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.contains { $0.contains("push-failed") && $0.contains("fw-stranger") }, "\(output)")
        #expect(lines.contains { $0.contains("push-failed") && $0.contains("fw-unverified") && $0.contains("certificate") }, "\(output)")
        #expect(!output.contains("accepted"), "\(output)")
    }

    @Test func missingFilesStopTheStart() throws {
        let lab = try Lab()
        defer { try? FileManager.default.removeItem(at: lab.folder) }
        try lab.manager("m.yaml", firewallTLS: "{ca: ca.crt, certificate: missing.crt, key: rampart-manager.key}",
                        firewalls: "    - {name: fw-1, admin: \"https://127.0.0.1:\(lab.admin)\"}")
        try lab.manager("api.yaml", firewallTLS: "{ca: ca.crt}", firewalls: "    []",
                        extra: "  tls: {certificate: server.crt, key: none.key}")
        let manager = try #require(TestShell.executable(named: "rampart-manager", packageRoot: packageRoot))
        let (_, output) = try TestShell.run("""
            '\(manager.path)' run --config m.yaml 2>&1; echo "run exit $?"
            '\(manager.path)' validate --config m.yaml 2>&1; echo "validate exit $?"
            '\(manager.path)' run --config api.yaml 2>&1; echo "api exit $?"
            """, in: lab.folder)
        #expect(output.contains("missing.crt: firewall 'fw-1': cannot read the client certificate (No such file or directory)"), "\(output)")
        #expect(output.contains("run exit 2") && output.contains("validate exit 2") && output.contains("api exit 2"), "\(output)")
        #expect(output.contains("spec.tls.key: cannot read none.key"), "\(output)")
    }
}
