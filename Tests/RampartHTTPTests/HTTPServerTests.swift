import Foundation
import RampartHTTP
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Request heads")
struct HTTPRequestHeadTests {
    func parse(_ text: String, maximumBody: Int = 1000) -> Result<HTTPRequestHead, HTTPRefusal> {
        // A head as the server hands it over: without the CR LF that ends the last line.
        HTTPRequestHead.parse(Array(text.utf8).dropLast(text.hasSuffix("\r\n") ? 2 : 0), maximumBody: maximumBody)
    }
    func status(_ text: String) -> Int? {
        if case .failure(let refusal) = parse(text) { return refusal.status }
        return nil
    }

    @Test func parsesPathQueryHeadersAndLength() throws {
        let head = try parse("POST /audit?address=10.0.0.1&at=2026-11-23T14%3A02%3A00%2B01%3A00&q=a+b&bad=%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nX-A:\t v \r\n").get()
        #expect(head.method == "POST" && head.path == "/audit" && head.contentLength == 12)
        #expect(head.query == ["address": "10.0.0.1", "at": "2026-11-23T14:02:00+01:00", "q": "a b", "bad": "%zz"])
        #expect(head.headers["x-a"] == "v" && head.headers["host"] == "x")
        #expect(HTTPRequestHead.percentDecoded("caf%C3%A9") == "café")
        #expect(HTTPRequestHead.percentDecoded("50%") == nil && HTTPRequestHead.percentDecoded("%C3") == nil)
    }

    @Test func refusesWhatCouldBeReadTwoWays() {
        #expect(status("GET /x\r\n") == 400)                              // no version
        #expect(status("GET /x HTTP/1.1 extra\r\n") == 400)
        #expect(status("get /x HTTP/1.1\r\n") == 400)
        #expect(status("GET x HTTP/1.1\r\n") == 400)
        #expect(status("GET /x HTTP/2.0\r\n") == 505)
        #expect(status("GET /x HTTP/1.1\r\nNoColon\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\r\nContent-Length : 5\r\n") == 400)
        #expect(status("GET /x HTTP/1.1\r\nA: b\r\n  folded\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: +5\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: -1\r\n") == 400)
        #expect(status("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n") == 411)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 1001\r\n") == 413)
        #expect(status("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n") == nil)
        #expect(status("GET /x HTTP/1.0\r\n") == nil)
    }
}

@Suite("Bearer tokens")
struct BearerTokenTests {
    @Test func readsRolesAndRefusesBadLines() throws {
        let tokens = try BearerTokens.parse("""
            # role  name  token
            tag-writer manager 0123456789abcdef0123

            read-only,policy-writer ops  ffffffffffffffff  # comment
            """, path: "t")
        #expect(tokens.principal(presenting: Array("0123456789abcdef0123".utf8)) == HTTPPrincipal(name: "manager", roles: [.tagWriter]))
        #expect(tokens.principal(presenting: Array("ffffffffffffffff".utf8))?.name == "ops")
        #expect(tokens.principal(presenting: Array("0123456789abcdef012".utf8)) == nil)     // a prefix
        #expect(tokens.principal(presenting: Array("0123456789abcdef01234".utf8)) == nil)   // longer
        #expect(tokens.principal(presenting: []) == nil)
        do {
            _ = try BearerTokens.parse("writer a 0123456789abcdef\nread-only b short\nread-only a 0123456789abcdef\nx y\n", path: "t")
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains("t:1: unknown role 'writer'"))
            #expect(error.description.contains("t:2: the token of 'b' is 5 characters"))
            #expect(error.description.contains("t:3: the name 'a' is used twice"))
            #expect(error.description.contains("t:3: the token of 'a' is also another name's"))
            #expect(error.description.contains("t:4: expected 'ROLE NAME TOKEN'"))
        }
        #expect(throws: HTTPConfigurationError.self) { try BearerTokens.parse("# nothing\n", path: "t") }
    }

    @Test func refusesAFileEveryUserCanRead() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data("read-only grafana 0123456789abcdef\n".utf8))
        chmod(path, 0o644)
        do { _ = try BearerTokens.load(path: path); Issue.record("accepted a 0644 file") } catch {
            #expect(error.description.contains("mode 644") && error.description.contains("chmod 600"))
        }
        chmod(path, 0o640)
        #expect(try BearerTokens.load(path: path).principal(presenting: Array("0123456789abcdef".utf8))?.name == "grafana")
        #expect(throws: HTTPConfigurationError.self) { try BearerTokens.load(path: path + ".missing") }
    }
}

@Suite("HTTP server")
struct HTTPServerTests {
    static let tokens = try! BearerTokens.parse("""
        tag-writer manager mmmmmmmmmmmmmmmmmmmm
        read-only grafana gggggggggggggggggggg
        policy-writer ops oooooooooooooooooooo
        """, path: "/etc/rampart/tokens")

    /// A firewall-like API: POST /tags needs writeTags, POST /reload writePolicy.
    static func permission(_ method: String, _ path: String) -> HTTPPermission {
        switch (method, path) {
        case ("POST", "/tags"): .writeTags
        case ("POST", "/reload"): .writePolicy
        default: HTTPServer.readOnlyByMethod(method, path)
        }
    }

    func echo(_ access: HTTPServer.Access, limits: HTTPServer.Limits = HTTPServer.Limits(), log: LogLines? = nil) throws -> HTTPServer {
        let server = try HTTPServer(name: "test", listen: "127.0.0.1:0", access: access, limits: limits,
                                    permission: HTTPServerTests.permission) { request in
            HTTPReply(200, "\(request.method) \(request.path) \(request.body.count) \(request.principal?.name ?? "-")\n", contentType: "text/plain")
        }
        if let log { server.log = { line in log.lines.withLock { $0.append(line) } } }
        server.start()
        return server
    }

    @Test func anOpenListenerMustBeOnLoopback() throws {
        do {
            _ = try HTTPServer(name: "admin", listen: "0.0.0.0:0", access: .open, hint: "add spec.auth.tokensFile") { _ in .error(500, "") }
            Issue.record("an open listener bound 0.0.0.0")
        } catch {
            #expect(error.description.contains("add spec.auth.tokensFile") && error.description.contains("not loopback"))
        }
        _ = try HTTPServer(name: "probes", listen: "0.0.0.0:0", access: .probes) { _ in .error(500, "") }
        _ = try HTTPServer(name: "api", listen: "0.0.0.0:0", access: .tokens(Self.tokens)) { _ in .error(500, "") }
        _ = try HTTPServer(name: "api", listen: "[::1]:0", access: .open) { _ in .error(500, "") }
        #expect(ListenAddress("127.0.0.9:1")?.isLoopback == true && ListenAddress("[::1]:1")?.isLoopback == true)
        #expect(ListenAddress("10.0.0.1:1")?.isLoopback == false && ListenAddress("[::]:1")?.isLoopback == false)
        #expect(ListenAddress("localhost:1") == nil && ListenAddress("10.0.0.1") == nil && ListenAddress("::1:80") == nil)
    }

    /// Found by Fuzz/http: inet_pton stops at a NUL, so "[::1\0…]:9680" was accepted (and
    /// counted as loopback) with the bytes after the NUL kept in `host`.
    @Test func aListenAddressWithANulIsRefused() {
        #expect(ListenAddress("[::1\u{0}\u{0}]:9680") == nil)
        #expect(ListenAddress("127.0.0.1\u{0}evil:9680") == nil)
        #expect(ListenAddress("[::1]:9680")?.host == "::1")
    }

    @Test func tokensAndRolesDecide() throws {
        let log = LogLines()
        let server = try echo(.tokens(Self.tokens), log: log)
        defer { server.stop() }
        let port = server.port
        let anonymous = RawClient.exchange(port, "GET /tags HTTP/1.1\r\n\r\n")
        #expect(anonymous.hasPrefix("HTTP/1.1 401 Unauthorized") && anonymous.contains("WWW-Authenticate: Bearer realm=\"rampart\"\r\n"))
        #expect(anonymous.contains("/etc/rampart/tokens"))
        let wrong = RawClient.exchange(port, "GET /tags HTTP/1.1\r\nAuthorization: Bearer mmmmmmmmmmmmmmmmmmmX\r\n\r\n")
        #expect(wrong.hasPrefix("HTTP/1.1 401") && wrong.contains("error=\"invalid_token\""))
        #expect(RawClient.exchange(port, "GET /tags HTTP/1.1\r\nAuthorization: Basic Z2dn\r\n\r\n").hasPrefix("HTTP/1.1 401"))
        #expect(RawClient.exchange(port, "GET /tags HTTP/1.1\r\nAuthorization: bearer gggggggggggggggggggg\r\n\r\n").hasSuffix("GET /tags 0 grafana\n"))
        let body = "{\"sequence\": 1}"
        let forbidden = RawClient.exchange(port, "POST /tags HTTP/1.1\r\nAuthorization: Bearer gggggggggggggggggggg\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(forbidden.hasPrefix("HTTP/1.1 403 Forbidden") && forbidden.contains("tag-writer"))
        #expect(RawClient.exchange(port, "POST /reload HTTP/1.1\r\nAuthorization: Bearer mmmmmmmmmmmmmmmmmmmm\r\n\r\n").hasPrefix("HTTP/1.1 403"))
        #expect(RawClient.exchange(port, "POST /reload HTTP/1.1\r\nAuthorization: Bearer oooooooooooooooooooo\r\n\r\n").hasSuffix("POST /reload 0 ops\n"))
        let posted = RawClient.exchange(port, "POST /tags HTTP/1.1\r\nAuthorization: Bearer mmmmmmmmmmmmmmmmmmmm\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(posted.hasSuffix("POST /tags 15 manager\n"))
        #expect(eventually { log.lines.withLock { $0.count } >= 3 })
        let lines = log.lines.withLock { $0 }
        #expect(lines.contains { $0.contains("POST /tags accepted (200) from manager at 127.0.0.1") })
        #expect(lines.contains { $0.contains("POST /reload accepted (200) from ops") })
        #expect(lines.contains { $0.contains("POST /tags refused (403) to grafana") })
        #expect(!lines.contains { $0.contains("GET") }, "reads are not changes")
        #expect(server.counters.unauthorized == 3 && server.counters.forbidden == 2)
    }

    @Test func probesAreReadOnlyAndOpenListenersAnonymous() throws {
        let probes = try echo(.probes, limits: .probes)
        defer { probes.stop() }
        #expect(RawClient.exchange(probes.port, "GET /healthz HTTP/1.1\r\n\r\n").hasSuffix("GET /healthz 0 -\n"))
        let head = RawClient.exchange(probes.port, "HEAD /healthz HTTP/1.1\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200") && head.hasSuffix("\r\n\r\n") && head.contains("Content-Length: 17\r\n"))
        #expect(RawClient.exchange(probes.port, "POST /reload HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 405"))
        let open = try echo(.open)
        defer { open.stop() }
        #expect(RawClient.exchange(open.port, "POST /reload HTTP/1.1\r\n\r\n").hasSuffix("POST /reload 0 anonymous\n"))
    }

    @Test func connectionsAreBoundedInTotalAndPerClient() throws {
        var limits = HTTPServer.Limits()
        limits.connectionsPerClient = 4
        limits.connections = 6
        let server = try echo(.open, limits: limits)
        defer { server.stop() }
        var idle: [RawClient] = []
        for _ in 0 ..< 4 { idle.append(try #require(RawClient(port: server.port))) }
        #expect(eventually { server.counters.accepted == 4 })
        let fifth = RawClient.exchange(server.port, "GET /x HTTP/1.1\r\n\r\n")
        #expect(fifth.hasPrefix("HTTP/1.1 503") && fifth.contains("too many connections from 127.0.0.1 (4)"), "\(fifth)")
        // Freeing one lets the next in.
        idle.removeLast()
        #expect(eventually { RawClient.exchange(server.port, "GET /x HTTP/1.1\r\n\r\n").hasSuffix("GET /x 0 anonymous\n") })
        #expect(server.counters.refusedPerClient >= 1 && server.counters.refusedFull == 0)

        var total = HTTPServer.Limits()
        total.connections = 3
        let small = try echo(.open, limits: total)
        defer { small.stop() }
        var held: [RawClient] = []
        for _ in 0 ..< 3 { held.append(try #require(RawClient(port: small.port))) }
        #expect(eventually { small.counters.accepted == 3 })
        #expect(RawClient.exchange(small.port, "GET /x HTTP/1.1\r\n\r\n").contains("too many connections (3)"))
        #expect(small.counters.refusedFull == 1)
        _ = (idle, held)
    }

    @Test func aDrippingClientIsCutAtTheHeaderDeadline() throws {
        var limits = HTTPServer.Limits()
        limits.headerTimeout = 1
        let server = try echo(.open, limits: limits)
        defer { server.stop() }
        let drip = try #require(RawClient(port: server.port, receiveTimeout: 0.2))
        let start = monotonicSeconds()
        var answer = ""
        for byte in "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" {
            guard drip.send(String(byte)) else { break }
            answer += drip.readAll()
            if !answer.isEmpty { break }
        }
        let elapsed = monotonicSeconds() - start
        #expect(answer.hasPrefix("HTTP/1.1 408") && answer.contains("request head not complete within 1.0 s"), "\(answer)")
        #expect(elapsed >= 0.9 && elapsed < 10, "\(elapsed)")
        // An idle connection that never sends is closed silently at the same deadline.
        let idle = try #require(RawClient(port: server.port, receiveTimeout: 3))
        let before = monotonicSeconds()
        #expect(idle.readAll() == "")
        #expect(monotonicSeconds() - before < 2)
        #expect(server.counters.headerTimeouts == 2)
    }

    @Test func bodiesExpectContinueAndOversizeRefusals() throws {
        var limits = HTTPServer.Limits()
        limits.maximumBody = 100_000
        limits.maximumBufferedBody = 150_000
        let server = try echo(.open, limits: limits)
        defer { server.stop() }
        let body = String(repeating: "x", count: 90_000)
        #expect(RawClient.exchange(server.port, "POST /tags HTTP/1.1\r\nContent-Length: 90000\r\n\r\n\(body)").hasSuffix("POST /tags 90000 anonymous\n"))
        // Expect: 100-continue is answered before the body is sent.
        let client = try #require(RawClient(port: server.port))
        client.send("POST /tags HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        var continued = [UInt8](repeating: 0, count: 25)
        #expect(recv(client.fd, &continued, 25, Int32(MSG_WAITALL)) == 25 && String(decoding: continued, as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        client.send("abc")
        #expect(client.readAll().hasSuffix("POST /tags 3 anonymous\n"))
        // Over the limit: 413, read whole by a client that sends everything at once.
        let big = RawClient.exchange(server.port, "POST /tags HTTP/1.1\r\nContent-Length: 100010\r\n\r\n" + String(repeating: " ", count: 100_010))
        #expect(big.hasPrefix("HTTP/1.1 413"), "\(big.prefix(100))")
        // Bodies buffered together: a second 90 kB body while the first is held waits its turn.
        let holder = try #require(RawClient(port: server.port))
        holder.send("POST /tags HTTP/1.1\r\nContent-Length: 90000\r\n\r\nxx")
        #expect(eventually { server.counters.accepted == 4 })
        Thread.sleep(forTimeInterval: 0.1)
        let busy = RawClient.exchange(server.port, "POST /tags HTTP/1.1\r\nContent-Length: 90000\r\n\r\n\(body)")
        #expect(busy.hasPrefix("HTTP/1.1 503") && busy.contains("busy"), "\(busy.prefix(120))")
        #expect(RawClient.exchange(server.port, "GET /x HTTP/1.1\r\n\r\n").hasPrefix("HTTP/1.1 200"))
    }

    /// The reason for separate probe listeners: 2,000 idle connections and a dripping client
    /// on the API listener, and `/healthz` on the probe listener still answers within a
    /// kubelet probe's default 1 s timeout (the latency itself is a figure in
    /// docs/PERFORMANCE.md, not an assertion: timings belong in benchmarks).
    @Test func probesAnswerWhileTheAPIListenerIsFlooded() throws {
        let api = try echo(.tokens(Self.tokens))
        defer { api.stop() }
        let probes = try echo(.probes, limits: .probes)
        defer { probes.stop() }
        var idle: [RawClient] = []
        for _ in 0 ..< 2000 { if let client = RawClient(port: api.port, receiveTimeout: 0.01) { idle.append(client) } }
        let drip = try #require(RawClient(port: api.port))
        var worst = 0.0
        for i in 0 ..< 30 {
            drip.send(String("GET /tags HTTP/1.1\r\n".utf8.map { Character(UnicodeScalar($0)) }[i % 20]))
            let start = monotonicSeconds()
            let answer = RawClient.exchange(probes.port, "GET /healthz HTTP/1.1\r\n\r\n")
            worst = max(worst, monotonicSeconds() - start)
            #expect(answer.hasSuffix("GET /healthz 0 -\n"))
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(idle.count >= 1990)
        #expect(worst < 1.0, "worst probe answer \(worst) s: a kubelet probe would time out")
        print("probe latency with \(idle.count) idle API connections: worst \(Int(worst * 1e6)) µs")
    }
}

final class LogLines: Sendable {
    let lines = Mutex<[String]>([])
}

func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let end = monotonicSeconds() + seconds
    while monotonicSeconds() < end {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}
