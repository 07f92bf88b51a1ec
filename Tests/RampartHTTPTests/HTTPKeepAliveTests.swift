import Foundation
import RampartHTTP
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Keep-alive on the shared server (`Limits.requestsPerConnection` above 1), over real
/// loopback connections: requests in turn and pipelined, the last one allowed closing, the
/// idle timeout, a slow next request cut like a first one, idle connections giving way
/// when a limit is full, and TLS reused by the real `curl`.
@Suite("HTTP keep-alive", .serialized)
struct HTTPKeepAliveTests {
    func server(requests: Int = 100, idle: Double = 5, header: Double = 5, connections: Int = 256, perClient: Int = 32,
                tls: TLSServerContext? = nil) throws -> HTTPServer {
        var limits = HTTPServer.Limits()
        limits.requestsPerConnection = requests
        limits.idleTimeout = idle
        limits.headerTimeout = header
        limits.connections = connections
        limits.connectionsPerClient = perClient
        let server = try HTTPServer(name: "kept", listen: "127.0.0.1:0", access: .open, tls: tls, limits: limits) { request in
            HTTPReply(200, "\(request.method) \(request.path) \(request.body.count)\n", contentType: "text/plain")
        }
        server.start()
        return server
    }

    @Test func answersKeepTheConnectionUntilTheLastAllowedRequest() throws {
        let server = try server(requests: 3)
        defer { server.stop() }
        let client = try #require(RawClient(port: server.port))
        for index in 1 ... 3 {
            client.send("POST /n\(index) HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
            let answer = try #require(client.readAnswer(), "answer \(index)")
            #expect(answer.hasSuffix("POST /n\(index) 2\n"), "\(answer)")
            #expect(answer.contains(index < 3 ? "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n" : "Connection: close\r\n"), "\(answer)")
        }
        #expect(client.readAll() == "", "closed after the third")
        #expect(server.counters.accepted == 1 && server.counters.reused == 2 && server.counters.served == 3)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try server()
        defer { server.stop() }
        let client = try #require(RawClient(port: server.port))
        client.send("GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
        let all = client.readAll()
        let bodies = all.components(separatedBy: "\r\n\r\n").dropFirst().map { $0.prefix { $0 != "\n" } }
        #expect(bodies == ["GET /a 0", "POST /b 3", "GET /c 0"], "\(all)")
        #expect(all.components(separatedBy: "Connection: keep-alive").count == 3 && all.hasSuffix("GET /c 0\n"))
    }

    @Test func closeAndHTTP10AreHonouredAndTheDefaultStillCloses() throws {
        let server = try server()
        defer { server.stop() }
        #expect(RawClient.exchange(server.port, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n").contains("Connection: close\r\n"))
        #expect(RawClient.exchange(server.port, "GET /x HTTP/1.0\r\n\r\n").contains("Connection: close\r\n"))
        let client = try #require(RawClient(port: server.port))
        client.send("GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(client.readAnswer()?.contains("Connection: keep-alive\r\n") == true)
        // Without requestsPerConnection, a listener answers every request with close.
        let plain = try HTTPServer(name: "plain", listen: "127.0.0.1:0", access: .open) { _ in HTTPReply(200, "ok\n") }
        plain.start()
        defer { plain.stop() }
        #expect(RawClient.exchange(plain.port, "GET /x HTTP/1.1\r\nConnection: keep-alive\r\n\r\n").contains("Connection: close\r\n"))
    }

    @Test func anIdleConnectionIsClosedAtTheIdleTimeout() throws {
        let server = try server(idle: 1)
        defer { server.stop() }
        let client = try #require(RawClient(port: server.port, receiveTimeout: 5))
        client.send("GET /x HTTP/1.1\r\n\r\n")
        #expect(client.readAnswer() != nil)
        let start = monotonicSeconds()
        #expect(client.readAll() == "")
        let waited = monotonicSeconds() - start
        #expect(waited >= 0.8 && waited < 4, "\(waited)")
        #expect(server.counters.idleClosed == 1 && server.counters.headerTimeouts == 0)
    }

    @Test func aDrippingNextRequestIsCutAtTheHeaderDeadline() throws {
        let server = try server(idle: 20, header: 1)
        defer { server.stop() }
        let client = try #require(RawClient(port: server.port, receiveTimeout: 0.2))
        client.send("GET /first HTTP/1.1\r\n\r\n")
        #expect(eventually { server.counters.served == 1 })
        #expect(client.readAnswer()?.hasSuffix("GET /first 0\n") == true)
        let start = monotonicSeconds()
        var answer = ""
        for byte in "GET /slow HTTP/1.1\r\nHost: x\r\nX-Drip: 1\r\n\r\n" {
            guard client.send(String(byte)) else { break }
            answer += client.readAll()
            if !answer.isEmpty { break }
        }
        let elapsed = monotonicSeconds() - start
        #expect(answer.hasPrefix("HTTP/1.1 408") && answer.contains("Connection: close"), "\(answer)")
        #expect(elapsed >= 0.9 && elapsed < 10, "\(elapsed)")
        #expect(server.counters.headerTimeouts == 1)
    }

    @Test func idleConnectionsGiveWayWhenALimitIsFull() throws {
        let server = try server(header: 30, connections: 3, perClient: 2)
        defer { server.stop() }
        var kept: [RawClient] = []
        for _ in 0 ..< 2 {
            let client = try #require(RawClient(port: server.port))
            client.send("GET /x HTTP/1.1\r\n\r\n")
            #expect(client.readAnswer() != nil)
            kept.append(client)
        }
        // The client's limit (2) is full of idle connections: a third from it evicts the older.
        #expect(RawClient.exchange(server.port, "GET /third HTTP/1.1\r\nConnection: close\r\n\r\n").hasSuffix("GET /third 0\n"))
        #expect(server.counters.idleEvicted == 1 && server.counters.refusedPerClient == 0)
        #expect(kept[0].readAll() == "", "the longest idle was closed")
        // A connection in the middle of a request is never evicted: one busy, one idle, full.
        let busy = try #require(RawClient(port: server.port))
        busy.send("GET /busy HTTP/1.1\r\n")
        #expect(eventually { server.counters.accepted == 4 })
        let refused = RawClient.exchange(server.port, "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n")
        #expect(server.counters.idleEvicted == 2, "kept[1] was idle and gave way")
        #expect(refused.hasSuffix("GET /x 0\n"), "\(refused)")
        let busier = try #require(RawClient(port: server.port))
        busier.send("GET /busier HTTP/1.1\r\n")
        #expect(eventually { server.counters.accepted == 6 })
        let full = try #require(RawClient(port: server.port))
        full.send("GET /x HTTP/1.1\r\n\r\n")
        #expect(full.readAll().contains("too many connections from 127.0.0.1 (2)"), "no idle one left: refused")
        #expect(server.counters.refusedPerClient == 1)
        busy.send("\r\n")
        #expect(busy.readAnswer()?.hasSuffix("GET /busy 0\n") == true)
    }

    @Test func tlsConnectionsAreReusedByCurl() throws {
        let certificates = try TLSServerTests.certificates()
        let tls = try TLSServerContext(TLSConfiguration(certificate: certificates.serverCertificate, key: certificates.serverKey))
        let server = try server(tls: tls)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)"
        let (_, output) = try TestShell.run(
            "curl -s --cacert ca.crt -w ' connects=%{num_connects}\\n' \(url)/one \(url)/two \(url)/three", in: certificates.folder)
        #expect(output == "GET /one 0\n connects=1\nGET /two 0\n connects=0\nGET /three 0\n connects=0\n", "\(output)")
        #expect(server.counters.accepted == 1 && server.counters.reused == 2)
    }
}

extension RawClient {
    /// One answer read by its `Content-Length` (the connection stays open); nil on a close or timeout first.
    func readAnswer() -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.startIndex, to: end.upperBound) >= length { return text }
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            bytes += buffer[0 ..< n]
        }
    }
}
