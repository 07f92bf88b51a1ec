import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `rampart-firewall` on loopback ports: bearer tokens and roles on the admin API,
/// the probe listener beside it, starting refused when the admin API would be open to the
/// network, and probes answering while the admin API is flooded.
@Suite("Admin API authentication and probes, end to end", .serialized)
struct AdminAuthEndToEndTests {
    static let writer = "tw-0123456789abcdef"
    static let reader = "ro-0123456789abcdef"

    final class Firewall {
        let folder: URL
        let admin = UInt16(freePort())
        let probes = UInt16(freePort())
        var pid: Int32 = 0

        init(admin adminHost: String = "127.0.0.1", tokensMode: mode_t = 0o600, auth: Bool = true) throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-auth-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let tokens = folder.appendingPathComponent("tokens").path
            try "tag-writer manager \(AdminAuthEndToEndTests.writer)\nread-only grafana \(AdminAuthEndToEndTests.reader)\n"
                .write(toFile: tokens, atomically: true, encoding: .utf8)
            chmod(tokens, tokensMode)
            try """
                apiVersion: rampart.io/v1
                kind: FirewallConfiguration
                metadata: {name: auth-test}
                spec:
                  listen: 127.0.0.1:\(freePort(type: Int32(SOCK_DGRAM.rawValue)))
                  admin: \(adminHost):\(admin)
                  probes: 127.0.0.1:\(probes)
                \(auth ? "  auth: {tokensFile: \(tokens)}" : "")
                  events: /dev/null
                  workers: 1
                ---
                apiVersion: rampart.io/v1
                kind: SecurityPolicy
                metadata: {name: auth-test}
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

        /// Runs the firewall to its end (for refusals): exit status and standard error.
        func runToExit() throws -> (Int32, String) {
            try TestShell.run("'\(try binary.path)' --config '\(folder.path)/firewall.yaml' 2>&1", in: folder)
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

    @Test func tokensAndRolesGuardTheAdminAPI() throws {
        let firewall = try Firewall()
        try firewall.start()
        let admin = firewall.admin
        let anonymous = Wire.exchange(admin, "GET /tags HTTP/1.1\r\n\r\n")
        #expect(anonymous.hasPrefix("HTTP/1.1 401") && anonymous.contains("WWW-Authenticate: Bearer"), "\(anonymous)")
        #expect(Wire.exchange(admin, "GET /healthz HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 401"), "the admin listener authenticates everything")
        let read = Wire.exchange(admin, "GET /tags HTTP/1.1\r\nAuthorization: Bearer \(Self.reader)\r\n\r\n")
        #expect(read.hasPrefix("HTTP/1.1 200") && read.contains("{\"sequence\": 0, \"addresses\": 0"), "\(read)")
        let body = #"{"sequence": 5, "address": "10.244.1.1", "tags": ["ns:shop"]}"#
        let post = { (token: String) in
            Wire.exchange(admin, "POST /tags HTTP/1.1\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        #expect(post(Self.reader).hasPrefix("HTTP/1.1 403"))
        #expect(post("xx-0123456789abcdef").hasPrefix("HTTP/1.1 401"))
        #expect(post(Self.writer).hasPrefix("HTTP/1.1 202"))
        #expect(Wire.exchange(admin, "POST /reload HTTP/1.1\r\nAuthorization: Bearer \(Self.writer)\r\n\r\n").hasPrefix("HTTP/1.1 403"), "a tag writer may not reload")
        #expect(Wire.exchange(admin, "GET /tags?address=10.244.1.1 HTTP/1.1\r\nAuthorization: Bearer \(Self.reader)\r\n\r\n").contains("\"ns:shop\""))
        #expect(eventually(5) { firewall.errors.contains("admin: POST /tags accepted (202) from manager at 127.0.0.1") }, "\(firewall.errors)")
        #expect(firewall.errors.contains("refused (403) to grafana"))
        // The probe listener: no credentials, read-only.
        #expect(Wire.exchange(firewall.probes, "GET /readyz HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        let metrics = Wire.exchange(firewall.probes, "GET /metrics HTTP/1.1\r\n\r\n")
        #expect(metrics.contains("rampart_tag_updates_total") || metrics.contains("rampart_drops_total"))
        #expect(metrics.contains("rampart_admin_http_refusals_total{listener=\"admin\",reason=\"unauthorized\"} 3"), "\(metrics.suffix(900))")
        #expect(Wire.exchange(firewall.probes, "POST /reload HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 405"))
        #expect(Wire.exchange(firewall.probes, "GET /tags HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 404"))
    }

    @Test func refusesToStartOpenOrWithAReadableTokensFile() throws {
        let open = try Firewall(admin: "0.0.0.0", auth: false)
        let (status, output) = try open.runToExit()
        #expect(status == 2 && output.contains("not a loopback address") && output.contains("Add spec.auth.tokensFile"), "\(output)")
        let readable = try Firewall(tokensMode: 0o644)
        let (code, text) = try readable.runToExit()
        #expect(code == 2 && text.contains("readable by every user") && text.contains("chmod 600"), "\(text)")
    }

    /// 2,000 idle connections and a client dripping a byte every 50 ms on the admin API;
    /// `/healthz` on the probe listener answers throughout, within a kubelet probe's default
    /// 1 s timeout (the latency figures are in docs/PERFORMANCE.md).
    @Test func probesAnswerWhileTheAdminAPIIsFlooded() throws {
        let firewall = try Firewall()
        try firewall.start()
        let drip = try #require(Wire(port: firewall.admin, timeout: 0.01))
        var idle: [Wire] = []
        for _ in 0 ..< 2000 { if let connection = Wire(port: firewall.admin, timeout: 0.01) { idle.append(connection) } }
        let request = Array("POST /tags HTTP/1.1\r\nAuthorization: Bearer \(Self.writer)\r\n".utf8)
        var latencies: [Double] = []
        for i in 0 ..< 60 {
            _ = request[i % request.count ..< i % request.count + 1].withUnsafeBytes { send(drip.fd, $0.baseAddress, 1, Int32(MSG_NOSIGNAL)) }
            let start = Date()
            let answer = Wire.exchange(firewall.probes, "GET /healthz HTTP/1.1\r\n\r\n")
            latencies.append(Date().timeIntervalSince(start))
            #expect(answer.hasPrefix("HTTP/1.1 200") && answer.hasSuffix("ok\n"))
            usleep(50_000)
        }
        latencies.sort()
        #expect(idle.count >= 1990)
        #expect(latencies.last! < 1.0, "worst \(latencies.last!) s: a kubelet probe would time out")
        print("probe /healthz with \(idle.count) idle admin connections and a dripping client: median \(Int(latencies[latencies.count / 2] * 1e6)) µs, worst \(Int(latencies.last! * 1e6)) µs")
        let metrics = Wire.exchange(firewall.probes, "GET /metrics HTTP/1.1\r\n\r\n")
        let refused = metrics.split(separator: "\n").first { $0.hasPrefix("rampart_admin_http_connections_total{listener=\"admin\",outcome=\"refused_per_client\"}") }
        #expect((refused?.split(separator: " ").last.flatMap { Int($0) } ?? 0) >= 1900, "the flood met the per-client limit: \(refused ?? "no line")")
        _ = idle
    }
}

/// A raw TCP connection to 127.0.0.1: what goes over the wire, nothing hidden.
final class Wire {
    let fd: Int32

    init?(port: UInt16, timeout: Double = 5) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 { close(fd); return nil }
    }

    deinit { close(fd) }

    static func exchange(_ port: UInt16, _ text: String) -> String {
        guard let wire = Wire(port: port) else { return "" }
        let bytes = Array(closingRequest(text).utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(wire.fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(wire.fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response += buffer[0 ..< n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
