import RampartInspect
import RampartPolicy
import Testing

/// URL filtering judges every request of a kept-alive HTTP/1 connection, not only the
/// first: `GET /` then `GET /blocked/path`, or a second `Host:`, on one connection.
@Suite("URL filtering on kept-alive connections")
struct URLKeepAliveTests {
    /// One TCP connection from 10.0.0.1 to 10.0.0.2:80 through `engine`, request by request.
    struct Connection {
        var c: URLFilteringTests.Conversation
        var clientSeq: UInt32 = 1000
        var serverSeq: UInt32 = 5000
        let port: UInt16

        init(policy: String, lists: IndicatorStore, port: UInt16 = 41000) throws {
            self.port = port
            c = try URLFilteringTests.Conversation(policy: policy, lists: lists)
            start()
        }

        /// The three-way handshake.
        mutating func start() {
            c.send(TableLimitTests.tcp("10.0.0.1", port, "10.0.0.2", 80, seq: 999, flags: 0x02))
            c.send(TableLimitTests.tcp("10.0.0.2", 80, "10.0.0.1", port, seq: 4999, ack: 1000, flags: 0x12))
            c.send(TableLimitTests.tcp("10.0.0.1", port, "10.0.0.2", 80, seq: 1000, ack: 5000, flags: 0x10))
        }

        /// The client's bytes as one segment: the verdict.
        mutating func client(_ text: String) -> Verdict {
            let bytes = Array(text.utf8)
            defer { clientSeq &+= UInt32(bytes.count) }
            return c.send(TableLimitTests.tcp("10.0.0.1", port, "10.0.0.2", 80, seq: clientSeq, ack: serverSeq, flags: 0x18, bytes))
        }

        /// The server's answer (a small 200 with a body).
        mutating func answer() {
            let bytes = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
            c.send(TableLimitTests.tcp("10.0.0.2", 80, "10.0.0.1", port, seq: serverSeq, ack: clientSeq, flags: 0x18, bytes))
            serverSeq &+= UInt32(bytes.count)
        }

        static func get(_ path: String, host: String = "shop.example") -> String {
            "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: t\r\n\r\n"
        }
    }

    static func lists() throws -> IndicatorStore {
        try URLFilteringTests.store([("shop.example/private/", "malware"), ("casino.example", "gambling"), ("news.example", "news")])
    }

    static let policy = URLFilteringTests.policy(profile: "u")

    @Test("the second request on the connection is blocked by a URL-prefix entry: the block page, the server reset after")
    func secondRequestBlockedByPrefix() throws {
        var k = try Connection(policy: Self.policy, lists: Self.lists())
        #expect(k.client(Connection.get("/")) == .forward)
        k.answer()
        #expect(k.client(Connection.get("/private/keys")) == .respond)
        let response = try #require(k.c.engine.urlResponse)
        #expect(response.verdict.category == "malware" && response.verdict.action == .block)
        #expect(response.url == "http://shop.example/private/keys")
        #expect(k.client(Connection.get("/again")) == .drop)   // the session stays blocked
        #expect(k.c.engine.statistics.urlLaterRequests == 1)
        k.c.engine.finish(sink: &k.c.sink)
        #expect(k.c.sink.flows.first?.metadata?.urlFiltering?.action == .block)
    }

    @Test("a second Host on the same connection is judged by its own name")
    func secondHost() throws {
        var k = try Connection(policy: Self.policy, lists: Self.lists())
        #expect(k.client(Connection.get("/")) == .forward)
        k.answer()
        #expect(k.client(Connection.get("/", host: "casino.example")) == .respond)
        #expect(k.c.engine.urlResponse?.verdict.category == "gambling")
    }

    @Test("pipelined requests in one segment: the blocked one holds the segment")
    func pipelined() throws {
        var k = try Connection(policy: Self.policy, lists: Self.lists())
        #expect(k.client(Connection.get("/") + Connection.get("/private/x") + Connection.get("/z")) == .respond)
        #expect(k.c.engine.urlResponse?.url == "http://shop.example/private/x")
    }

    @Test("a request head split over two segments is judged when it is whole")
    func splitHead() throws {
        var k = try Connection(policy: Self.policy, lists: Self.lists())
        #expect(k.client(Connection.get("/")) == .forward)
        k.answer()
        #expect(k.client("GET /priv") == .forward)
        #expect(k.client("ate/keys HTTP/1.1\r\nHost: shop.exa") == .forward)
        #expect(k.client("mple\r\n\r\n") == .respond)
        #expect(k.c.engine.urlResponse?.url == "http://shop.example/private/keys")
    }

    @Test("allowed requests all pass and are counted; the record keeps the first decision")
    func allowedPass() throws {
        var k = try Connection(policy: Self.policy, lists: Self.lists())
        for path in ["/", "/a", "/b", "/c"] {
            #expect(k.client(Connection.get(path)) == .forward)
            k.answer()
        }
        #expect(k.c.engine.statistics.urlLaterRequests == 3)
        #expect(k.c.engine.statistics.urlFiltering[URLFilteringCountKey(category: "unknown", action: .alert)] == 4)
    }

    @Test("continue on a later request: the page, and once continued the host's later requests pass")
    func continueLater() throws {
        var k = try Connection(policy: Self.policy, lists: Self.lists())
        #expect(k.client(Connection.get("/")) == .forward)
        k.answer()
        #expect(k.client(Connection.get("/today", host: "news.example")) == .respond)
        #expect(k.c.engine.urlResponse?.verdict.action == .continue)
        // A new connection from the same client, through the same engine (whose continue table remembers it).
        var n = try Connection(policy: Self.policy, lists: Self.lists(), port: 41001)
        n.c = k.c
        n.start()
        #expect(n.client(Connection.get("/")) == .forward)
        n.answer()
        #expect(n.client(Connection.get("/today", host: "news.example")) == .forward)
    }
}
