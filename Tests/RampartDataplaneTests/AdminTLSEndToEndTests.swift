import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `rampart-firewall` with its admin API over mutual TLS on loopback, against the
/// real `curl` and certificates made by `openssl` in the test's folder: who gets through the
/// handshake, the roles of client identities, the log of who changed what, plain HTTP on
/// the TLS port, stalled handshakes, and the configurations it refuses to start with.
@Suite("Admin API over mutual TLS, end to end", .serialized)
struct AdminTLSEndToEndTests {
    final class Firewall {
        let folder: URL
        let certificates: TestCertificates
        let admin = UInt16(freePort())
        let probes = UInt16(freePort())
        var pid: Int32 = 0

        /// `tls`: the spec.tls block, each line indented two spaces (nil: mutual TLS with the
        /// test's certificates, rampart-manager a tag writer and grafana a reader).
        init(tls: String? = nil) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-atls-\(UUID().uuidString.prefix(8))")
            certificates = try TestCertificates.make(in: folder, clients: ["rampart-manager", "grafana"])
            let block = tls ?? """
                  tls:
                    certificate: \(certificates.serverCertificate)
                    key: \(certificates.serverKey)
                    clientCA: \(certificates.ca)
                    clientRoles:
                      rampart-manager: tag-writer
                      grafana: read-only
                """
            try """
                apiVersion: rampart.io/v1
                kind: FirewallConfiguration
                metadata: {name: tls-test}
                spec:
                  listen: 127.0.0.1:\(freePort(type: Int32(SOCK_DGRAM.rawValue)))
                  admin: 127.0.0.1:\(admin)
                  probes: 127.0.0.1:\(probes)
                \(block)
                  events: /dev/null
                  workers: 1
                ---
                apiVersion: rampart.io/v1
                kind: SecurityPolicy
                metadata: {name: tls-test}
                spec:
                  zones:
                    - {name: pods, networks: [10.244.0.0/16]}
                  rules:
                    - {name: web, from: [pods], to: [pods], action: allow}
                """.write(to: folder.appendingPathComponent("firewall.yaml"), atomically: true, encoding: .utf8)
        }

        var binary: URL {
            get throws { try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot), "rampart-firewall is not built") }
        }

        func runToExit(_ arguments: String = "") throws -> (Int32, String) {
            try TestShell.run("'\(try binary.path)' --config '\(folder.path)/firewall.yaml' \(arguments) 2>&1", in: folder)
        }

        func start() throws {
            let (status, output) = try TestShell.run(
                "true\n'\(try binary.path)' --config '\(folder.path)/firewall.yaml' >/dev/null 2>>'\(folder.path)/err' </dev/null & echo $!", in: folder)
            pid = try #require(Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(status) \(output)")
            guard eventually(10, { Wire.exchange(self.probes, "GET /healthz HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200") }) else {
                throw KubeTestServerError("the firewall did not answer: \(errors)")
            }
        }

        var errors: String { (try? String(contentsOf: folder.appendingPathComponent("err"), encoding: .utf8)) ?? "" }

        func curl(_ path: String, _ arguments: String = "", scheme: String = "https") throws -> TestCertificates.CurlOutcome {
            try certificates.curl("\(scheme)://127.0.0.1:\(admin)\(path)", arguments)
        }

        deinit {
            if pid > 0 {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                for _ in 0 ..< 250 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static let batch = #"-H 'Content-Type: application/json' -d '{"sequence": 5, "address": "10.244.1.1", "tags": ["ns:shop"]}'"#

    @Test func clientCertificatesAndRolesGuardTheAdminAPI() throws {
        let firewall = try Firewall()
        try firewall.start()
        let certificates = firewall.certificates
        let none = try firewall.curl("/tags", "--cacert '\(certificates.ca)'")
        #expect(none.status == "000" && none.exit != 0, "no client certificate: no handshake, \(none)")
        let foreign = try firewall.curl("/tags", certificates.client("intruder"))
        #expect(foreign.status == "000" && foreign.exit != 0, "a certificate of another CA: no handshake, \(foreign)")
        let read = try firewall.curl("/tags", certificates.client("grafana"))
        #expect(read.status == "200" && read.body.contains("\"sequence\": 0, \"addresses\": 0"), "\(read)")
        let readerWrites = try firewall.curl("/tags", certificates.client("grafana") + " " + Self.batch)
        #expect(readerWrites.status == "403" && readerWrites.body.contains("tag-writer"), "\(readerWrites)")
        let writer = try firewall.curl("/tags", certificates.client("rampart-manager") + " " + Self.batch)
        #expect(writer.status == "202", "\(writer)")
        let writerReloads = try firewall.curl("/reload", certificates.client("rampart-manager") + " -X POST")
        #expect(writerReloads.status == "403", "a tag writer may not reload: \(writerReloads)")
        #expect(try firewall.curl("/tags?address=10.244.1.1", certificates.client("grafana")).body.contains("\"ns:shop\""))
        let plain = try firewall.curl("/tags", scheme: "http")
        #expect(plain.status == "400" && plain.body.contains("speaks HTTPS"), "plain HTTP is told what to use: \(plain)")
        #expect(eventually(5) { firewall.errors.contains("admin: POST /tags accepted (202) from rampart-manager at 127.0.0.1 (client certificate)") },
                "\(firewall.errors)")
        #expect(firewall.errors.contains("refused (403) to grafana (read-only) (client certificate)"), "\(firewall.errors)")
        #expect(firewall.errors.contains("admin API on https://127.0.0.1:\(firewall.admin) (mutual TLS, client certificates required (2 identities with roles))"),
                "\(firewall.errors)")
        let metrics = Wire.exchange(firewall.probes, "GET /metrics HTTP/1.1\r\n\r\n")
        #expect(metrics.contains("rampart_admin_http_refusals_total{listener=\"admin\",reason=\"tls_handshake\"} 2"), "\(metrics.suffix(1200))")
        #expect(metrics.contains("rampart_admin_http_refusals_total{listener=\"admin\",reason=\"tls_plaintext\"} 1"))
    }

    /// Twenty clients that connect to the admin port and stop inside their handshake (or never
    /// start it) hold it until the header deadline, and meanwhile `/healthz` on the probe
    /// listener and other TLS clients are answered at once.
    @Test func stalledHandshakesDelayNeitherProbesNorOtherClients() throws {
        let firewall = try Firewall()
        try firewall.start()
        let partialHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]
        var stalled: [Wire] = []
        // Below the 32 connections a client address may hold: the good client is 127.0.0.1 too.
        for i in 0 ..< 20 {
            guard let wire = Wire(port: firewall.admin, timeout: 0.01) else { continue }
            if i % 2 == 0 { _ = partialHello.withUnsafeBytes { send(wire.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            stalled.append(wire)
        }
        var worstProbe = 0.0, worstClient = 0.0
        for _ in 0 ..< 5 {
            var start = Date()
            #expect(Wire.exchange(firewall.probes, "GET /healthz HTTP/1.1\r\n\r\n").hasSuffix("ok\n"))
            worstProbe = max(worstProbe, Date().timeIntervalSince(start))
            start = Date()
            let answer = try firewall.curl("/tags", firewall.certificates.client("grafana"))
            worstClient = max(worstClient, Date().timeIntervalSince(start))
            #expect(answer.status == "200", "\(answer)")
        }
        #expect(worstProbe < 1.0, "worst /healthz \(worstProbe) s: a kubelet probe would time out")
        // A curl process and a whole handshake: well below the 5 s the stalled ones may take.
        #expect(worstClient < 2.0, "worst TLS client \(worstClient) s behind 20 stalled handshakes")
        // The header deadline (5 s from the accept) ends the stalled handshakes.
        #expect(eventually(10) {
            Wire.exchange(firewall.probes, "GET /metrics HTTP/1.1\r\n\r\n")
                .contains("rampart_admin_http_refusals_total{listener=\"admin\",reason=\"tls_handshake_timeout\"} 20")
        })
        _ = stalled
    }

    @Test func refusesToStartWithUnusableTLSSettings() throws {
        // A missing certificate file: exit 2, the setting, the file, what to do.
        let missing = try Firewall(tls: "  tls: {certificate: /nonexistent/tls.crt, key: /nonexistent/tls.key}")
        var (status, output) = try missing.runToExit()
        #expect(status == 2 && output.contains("spec.tls.certificate: cannot read /nonexistent/tls.crt") && output.contains("fix spec.tls"), "\(output)")
        (status, output) = try missing.runToExit("--check")
        #expect(status == 2 && output.contains("cannot read /nonexistent/tls.crt"), "--check reads the files too: \(output)")
        // A key every user can read.
        let readable = try Firewall()
        chmod(readable.certificates.serverKey, 0o644)
        (status, output) = try readable.runToExit()
        #expect(status == 2 && output.contains("readable by every user") && output.contains("chmod 600"), "\(output)")
        // Bad values: file:line:column of the value (the block's, for a missing key), and what was expected.
        let bad = try Firewall(tls: """
              tls:
                certificate: a.crt
                clientCertificates: always
                clientRoles:
                  ops: [writer]
            """)
        (status, output) = try bad.runToExit("--check")
        let path = bad.folder.appendingPathComponent("firewall.yaml").path
        #expect(status == 2, "\(output)")
        #expect(output.contains("\(path):9:5: spec.tls.key is missing"), "\(output)")
        #expect(output.contains("\(path):10:25: spec.tls.clientCertificates must be required"), "\(output)")
        #expect(output.contains("\(path):12:12: spec.tls.clientRoles.ops must be a role or a list of roles"), "\(output)")
        #expect(output.contains("clientRoles needs spec.tls.clientCA"), "\(output)")
        // Off loopback with optional client certificates and no tokens: as open as without TLS.
        let open = try Firewall(tls: """
              tls: {certificate: server.crt, key: server.key, clientCA: ca.crt, clientCertificates: optional}
            """)
        let config = open.folder.appendingPathComponent("firewall.yaml").path
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "admin: 127.0.0.1:", with: "admin: 0.0.0.0:")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        (status, output) = try open.runToExit("--check")
        #expect(status == 2 && output.contains("not a loopback address") && output.contains("client certificates required"), "\(output)")
    }
}
