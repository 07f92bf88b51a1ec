import Foundation
import RampartConfig
import RampartHTTP
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP server with TLS, against the real `curl` and certificates made by `openssl` in a
/// temporary folder: who gets through the handshake, who gets which answer, what is logged
/// with whose name, and that clients stalling their handshakes hold nobody else up.
@Suite("HTTP server over TLS", .serialized)
struct TLSServerTests {
    static let tokens = HTTPServerTests.tokens

    /// A folder with a CA, a server certificate for 127.0.0.1, and client certificates:
    /// `writer` and `reader` (trusted CA), `stranger` (trusted CA, but in no clientRoles),
    /// `intruder` (another CA).
    static func certificates() throws -> TestCertificates {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-tls-\(UUID().uuidString.prefix(8))")
        return try TestCertificates.make(in: folder, clients: ["writer", "reader", "stranger"])
    }

    static func configuration(_ certificates: TestCertificates, _ mode: TLSConfiguration.ClientCertificates? = nil) -> TLSConfiguration {
        TLSConfiguration(certificate: certificates.serverCertificate, key: certificates.serverKey, clientCA: certificates.ca,
                         clientCertificates: mode, clientRoles: ["writer": [.tagWriter], "reader": [.readOnly]])
    }

    func server(_ access: HTTPServer.Access, tls: TLSServerContext, listen: String = "127.0.0.1:0",
                limits: HTTPServer.Limits = HTTPServer.Limits(), log: LogLines? = nil) throws -> HTTPServer {
        let server = try HTTPServer(name: "admin", listen: listen, access: access, tls: tls, limits: limits,
                                    permission: HTTPServerTests.permission) { request in
            HTTPReply(200, "\(request.method) \(request.path) \(request.principal?.name ?? "-") cert=\(request.clientCertificate ?? "-")\n",
                      contentType: "text/plain")
        }
        if let log { server.log = { line in log.lines.withLock { $0.append(line) } } }
        server.start()
        return server
    }

    /// `curl ARGUMENTS https://127.0.0.1:PORT/PATH` (or http://), run in the certificates' folder.
    static func curl(_ port: UInt16, _ path: String, _ arguments: String = "", scheme: String = "https",
                     in certificates: TestCertificates) throws -> TestCertificates.CurlOutcome {
        try certificates.curl("\(scheme)://127.0.0.1:\(port)\(path)", arguments)
    }

    static func client(_ name: String, _ certificates: TestCertificates) -> String { certificates.client(name) }

    @Test func requiredClientCertificatesDecideWhoComesIn() throws {
        let certificates = try Self.certificates()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let log = LogLines()
        let tls = try TLSServerContext(Self.configuration(certificates))
        #expect(tls.configuration.clientCertificates == .required)
        // Not loopback and no tokens, yet allowed: every caller proves who it is in the handshake
        // (bound only: the requests below go to a loopback listener).
        _ = try HTTPServer(name: "admin", listen: "0.0.0.0:0", access: .open, tls: tls) { _ in .error(500, "") }
        let server = try server(.open, tls: tls, log: log)
        defer { server.stop() }
        let port = server.port
        let body = "-H 'Content-Type: application/json' -d '{\"sequence\": 1}'"

        let none = try Self.curl(port, "/tags", "--cacert ca.crt", in: certificates)
        #expect(none.status == "000" && none.exit != 0, "no client certificate: the handshake fails, \(none)")
        let foreign = try Self.curl(port, "/tags", Self.client("intruder", certificates), in: certificates)
        #expect(foreign.status == "000" && foreign.exit != 0, "a certificate of another CA: the handshake fails, \(foreign)")
        let reader = try Self.curl(port, "/tags", Self.client("reader", certificates), in: certificates)
        #expect(reader.status == "200" && reader.body == "GET /tags reader cert=reader\n", "\(reader)")
        let readerWrites = try Self.curl(port, "/tags", Self.client("reader", certificates) + " " + body, in: certificates)
        #expect(readerWrites.status == "403" && readerWrites.body.contains("may not write tags") && readerWrites.body.contains("tag-writer"), "\(readerWrites)")
        let stranger = try Self.curl(port, "/tags", Self.client("stranger", certificates), in: certificates)
        #expect(stranger.status == "403" && stranger.body.contains("no roles"), "a trusted certificate clientRoles does not name may do nothing: \(stranger)")
        let writer = try Self.curl(port, "/tags", Self.client("writer", certificates) + " " + body, in: certificates)
        #expect(writer.status == "200" && writer.body == "POST /tags writer cert=writer\n", "\(writer)")
        let writerReloads = try Self.curl(port, "/reload", Self.client("writer", certificates) + " -X POST", in: certificates)
        #expect(writerReloads.status == "403", "\(writerReloads)")
        // A plain HTTP client is told, in plain HTTP, what to use.
        let plain = try Self.curl(port, "/tags", scheme: "http", in: certificates)
        #expect(plain.status == "400" && plain.body.contains("speaks HTTPS"), "\(plain)")

        #expect(eventually { log.lines.withLock { $0.contains { $0.contains("accepted") } } })
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("admin: POST /tags accepted (200) from writer at 127.0.0.1 (client certificate)") }, "\(lines)")
        #expect(lines.contains { $0.contains("admin: POST /tags refused (403) to reader (read-only) (client certificate)") }, "\(lines)")
        let counters = server.counters
        #expect(counters.tlsHandshakeFailures == 2 && counters.tlsPlaintext == 1 && counters.forbidden == 3, "\(counters)")
    }

    /// Client certificates optional, tokens too: a certificate's identity or a token will do;
    /// a token sent is checked even beside a good certificate.
    @Test func optionalCertificatesLeaveRoomForTokens() throws {
        let certificates = try Self.certificates()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let log = LogLines()
        let tls = try TLSServerContext(Self.configuration(certificates, .optional))
        let server = try server(.tokens(Self.tokens), tls: tls, log: log)
        defer { server.stop() }
        let port = server.port
        let anonymous = try Self.curl(port, "/tags", "--cacert ca.crt", in: certificates)
        #expect(anonymous.status == "401" && anonymous.body.contains("client certificate"), "\(anonymous)")
        let token = try Self.curl(port, "/tags", "--cacert ca.crt -H 'Authorization: Bearer gggggggggggggggggggg'", in: certificates)
        #expect(token.status == "200" && token.body == "GET /tags grafana cert=-\n", "\(token)")
        let certificate = try Self.curl(port, "/tags", Self.client("writer", certificates) + " -d x", in: certificates)
        #expect(certificate.status == "200" && certificate.body == "POST /tags writer cert=writer\n", "\(certificate)")
        let badToken = try Self.curl(port, "/tags", Self.client("writer", certificates) + " -H 'Authorization: Bearer nope-nope-nope-nope'", in: certificates)
        #expect(badToken.status == "401", "a bad token is refused whatever the certificate: \(badToken)")
        let both = try Self.curl(port, "/reload", Self.client("reader", certificates) + " -X POST -H 'Authorization: Bearer oooooooooooooooooooo'", in: certificates)
        #expect(both.status == "200" && both.body == "POST /reload ops cert=reader\n", "\(both)")
        let foreign = try Self.curl(port, "/tags", Self.client("intruder", certificates), in: certificates)
        #expect(foreign.status == "000", "a certificate that is sent must verify, optional or not: \(foreign)")
        #expect(eventually { log.lines.withLock { $0.count >= 2 } })
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("POST /reload accepted (200) from ops at 127.0.0.1 (bearer token; client certificate reader)") }, "\(lines)")
        // Optional certificates prove nothing about callers without one: off loopback, such a
        // listener needs tokens.
        #expect(throws: HTTPConfigurationError.self) {
            _ = try HTTPServer(name: "admin", listen: "0.0.0.0:0", access: .open, tls: tls) { _ in .error(500, "") }
        }
    }

    /// Handshakes run in the poll loop without blocking it: clients that connect and never
    /// finish theirs (silent, or stopping inside the ClientHello) hold a descriptor until the
    /// header deadline, while other TLS clients and the probe listener answer at once.
    @Test func stalledHandshakesHoldNobodyUp() throws {
        let certificates = try Self.certificates()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        var limits = HTTPServer.Limits()
        limits.headerTimeout = 2
        limits.connectionsPerClient = 1000   // every client here is 127.0.0.1
        let server = try server(.open, tls: try TLSServerContext(Self.configuration(certificates)), limits: limits)
        defer { server.stop() }
        let probes = try HTTPServer(name: "probes", listen: "127.0.0.1:0", access: .probes, limits: .probes) { _ in
            HTTPReply(200, "ok\n", contentType: "text/plain")
        }
        probes.start()
        defer { probes.stop() }
        var stalled: [RawClient] = []
        // A ClientHello record header and the start of its body, then nothing more.
        let partialHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]
        for i in 0 ..< 100 {
            guard let client = RawClient(port: server.port, receiveTimeout: 0.01) else { continue }
            if i % 2 == 0 { _ = partialHello.withUnsafeBytes { send(client.fd, $0.baseAddress, $0.count, 0) } }
            stalled.append(client)
        }
        #expect(eventually { server.counters.accepted >= 100 })
        var worst = 0.0
        for _ in 0 ..< 5 {
            let start = monotonicSeconds()
            let answer = try Self.curl(server.port, "/tags", Self.client("reader", certificates), in: certificates)
            worst = max(worst, monotonicSeconds() - start)
            #expect(answer.status == "200", "\(answer)")
            let probeStart = monotonicSeconds()
            #expect(RawClient.exchange(probes.port, "GET /healthz HTTP/1.1\r\n\r\n").hasSuffix("ok\n"))
            worst = max(worst, monotonicSeconds() - probeStart)
        }
        // A curl process and a whole handshake, not a timing figure: far below the 2 s the
        // stalled clients are given.
        #expect(worst < 1.5, "worst answer \(worst) s with 100 stalled handshakes")
        #expect(eventually(6) { server.counters.tlsHandshakeTimeouts >= 100 }, "\(server.counters)")
        #expect(stalled.count == 100)
    }

    @Test func filesAreCheckedAndReloadedWhenTheyChange() throws {
        let certificates = try Self.certificates()
        defer { try? FileManager.default.removeItem(at: certificates.folder) }
        let folder = certificates.folder
        func refused(_ configuration: TLSConfiguration) -> String {
            do { _ = try TLSServerContext(configuration, setting: "spec.tls"); return "accepted" } catch { return error.description }
        }
        let good = Self.configuration(certificates)
        var missing = good
        missing.certificate = folder.appendingPathComponent("none.crt").path
        #expect(refused(missing).contains("spec.tls.certificate: cannot read \(missing.certificate)") && refused(missing).contains("remove the tls block"))
        var mismatched = good
        mismatched.key = certificates.key("reader")
        #expect(refused(mismatched).contains("is not the private key of the certificate"), "\(refused(mismatched))")
        var garbage = good
        garbage.certificate = certificates.key("reader")
        #expect(refused(garbage).contains("not a usable PEM certificate"), "\(refused(garbage))")
        var noCA = good
        noCA.clientCA = certificates.serverKey
        #expect(refused(noCA).contains("spec.tls.clientCA"), "\(refused(noCA))")
        chmod(certificates.serverKey, 0o644)
        #expect(refused(good).contains("readable by every user"), "\(refused(good))")
        chmod(certificates.serverKey, 0o600)

        // The same paths, new contents: a certificate from another CA, picked up by new connections.
        let context = try TLSServerContext(good)
        let server = try server(.open, tls: context)
        defer { server.stop() }
        #expect(try Self.curl(server.port, "/x", Self.client("reader", certificates), in: certificates).status == "200")
        let renewed = try TestCertificates.make(in: folder.appendingPathComponent("renewed"), clients: ["reader"], foreign: [])
        try FileManager.default.removeItem(atPath: certificates.serverCertificate)
        try FileManager.default.copyItem(atPath: renewed.serverCertificate, toPath: certificates.serverCertificate)
        try FileManager.default.removeItem(atPath: certificates.serverKey)
        try FileManager.default.copyItem(atPath: renewed.serverKey, toPath: certificates.serverKey)
        context.reloadNow()
        #expect(context.reloads == 1)
        let old = try Self.curl(server.port, "/x", Self.client("reader", certificates), in: certificates)
        #expect(old.status == "000", "the old CA no longer verifies the server: \(old)")
        let new = try Self.curl(server.port, "/x", "--cacert renewed/ca.crt --cert \(certificates.certificate("reader")) --key \(certificates.key("reader"))", in: certificates)
        #expect(new.status == "200", "\(new)")
        // A half-written renewal is refused and the running set stays.
        try "not a certificate".write(toFile: certificates.serverCertificate, atomically: true, encoding: .utf8)
        context.reloadNow()
        #expect(context.reloads == 1)
        #expect(try Self.curl(server.port, "/x", "--cacert renewed/ca.crt --cert \(certificates.certificate("reader")) --key \(certificates.key("reader"))", in: certificates).status == "200")
    }

    /// A `tls:` block read by the shared reader: what it made, and every problem recorded.
    static func readTLS(_ yaml: String, resolve: (String) -> String = { $0 }) throws -> (TLSConfiguration?, [ConfigError]) {
        let node = try #require(try YAMLReader.documents(in: yaml, file: "t.yaml").first)
        let reader = ConfigReader(file: "t.yaml")
        let tls = TLSConfiguration.read(node, key: "spec.tls", reader: reader, resolve: resolve)
        return (tls, reader.sink.sorted())
    }

    @Test func theTLSBlockIsReadWithEveryProblem() throws {
        let (good, none) = try Self.readTLS("""
            certificate: a.crt
            key: a.key
            clientCA: ca.crt
            clientRoles: {m: tag-writer, o: [read-only, policy-writer], p: "read-only, tag-writer"}
            """, resolve: { "/etc/\($0)" })
        #expect(none.isEmpty, "\(none)")
        #expect(good == TLSConfiguration(certificate: "/etc/a.crt", key: "/etc/a.key", clientCA: "/etc/ca.crt", clientCertificates: .required,
                                         clientRoles: ["m": [.tagWriter], "o": [.readOnly, .policyWriter], "p": [.readOnly, .tagWriter]]))
        for off in ["off", "false", "\"off\""] {
            let (tls, problems) = try Self.readTLS(off)
            #expect(tls == nil && problems.isEmpty, "\(off)")
        }
        #expect(try Self.readTLS("{certificate: a, key: b}").0?.clientCertificates == TLSConfiguration.ClientCertificates.none)
        // Every problem at its own position, in file order.
        let (bad, problems) = try Self.readTLS("""
            certificate: [3]
            clientCertificates: sometimes
            clientRoles: {m: writer, n: 7}
            colour: red
            """)
        #expect(bad == nil)
        #expect(problems.map { "\($0.line):\($0.column)" } == ["1:1", "1:14", "2:21", "2:21", "3:14", "3:18", "3:29", "4:1"], "\(problems)")
        let messages = problems.map(\.message)
        #expect(messages.contains("spec.tls.key is missing: the path of a PEM file holding the certificate's private key"))
        #expect(messages.contains("spec.tls.certificate must be the path of a PEM file holding this listener's certificate (and its chain), found a list"))
        #expect(messages.contains { $0.hasPrefix("spec.tls.clientCertificates must be required") && $0.hasSuffix("found 'sometimes'") })
        #expect(messages.contains { $0.hasPrefix("spec.tls.clientCertificates needs spec.tls.clientCA") })
        #expect(messages.contains { $0.hasPrefix("spec.tls.clientRoles needs spec.tls.clientCA") })
        #expect(messages.contains { $0.hasPrefix("spec.tls.clientRoles.m must be a role or a list of roles") && $0.hasSuffix("found 'writer'") })
        #expect(messages.contains { $0.hasPrefix("spec.tls.clientRoles.n must be a role or a list of roles") })
        #expect(messages.contains("unknown field 'colour' in spec.tls (expected one of: certificate, key, clientCA, clientCertificates, clientRoles)"))
        // A misspelt field is named with the one meant; an identity given twice is refused.
        let (_, misspelt) = try Self.readTLS("{certificate: a, key: b, clientCa: ca.crt}")
        #expect(misspelt.map(\.message) == ["unknown field 'clientCa' in spec.tls; did you mean 'clientCA'?"])
        let (_, twice) = try Self.readTLS("{certificate: a, key: b, clientCA: c, clientRoles: {m: read-only, m: tag-writer}}")
        #expect(twice.map(\.message) == ["duplicate field 'm' in spec.tls.clientRoles; first given at 1:53"], "\(twice)")
    }
}
