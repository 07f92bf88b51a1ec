import RampartHTTP
import Testing

/// The one HTTP client against the one HTTP server, on loopback.
@Suite("HTTP client")
struct HTTPConnectionTests {
    /// Serves `size` bytes at /big and a 404 with a long body elsewhere.
    func withServer(size: Int, _ body: (String) throws -> Void) throws {
        let payload = [UInt8](repeating: 0x61, count: size)
        let server = try HTTPServer(name: "test", listen: "127.0.0.1:0", access: .open) { request in
            var reply = HTTPReply(404, String(repeating: "n", count: 3 << 20), contentType: "text/plain")
            if request.path == "/big" {
                reply = HTTPReply(200, "", contentType: "application/octet-stream")
                reply.body = payload
            }
            return reply
        }
        server.start()
        defer { server.stop() }
        try body("http://127.0.0.1:\(server.port)")
    }

    @Test func aBodyOverTheLimitIsAnErrorNotATruncatedAnswer() throws {
        try withServer(size: 3 << 20) { base in
            let connection = try HTTPConnection()
            // The default limit is for small answers: a bigger 2xx body is refused whole.
            #expect(throws: HTTPClientError.transport(url: base + "/big", detail: "the answer is over 1048576 bytes")) {
                try connection.request(url: base + "/big")
            }
            // With room for it, every byte arrives (a Kubernetes list page, a list feed).
            let response = try connection.request(url: base + "/big", maxBodyBytes: 8 << 20)
            #expect(response.status == 200 && response.body.count == 3 << 20)
            // An error's body is kept to its start, and the status still arrives.
            let missing = try connection.request(url: base + "/nothing")
            #expect(missing.status == 404 && missing.body.count <= 1 << 20 && !missing.body.isEmpty)
        }
    }
}
