import Foundation
import RampartDataplane
import RampartHTTP
import RampartLog
import Synchronization
import Testing

/// External dynamic lists against Rampart's own HTTP server on loopback: what a source
/// answers decides whether the copy in force changes.
@Suite("External dynamic lists")
struct ListFeedTests {
    /// What the source answers next: a status and a body; an ETag when 200.
    final class Source: Sendable {
        let answer = Mutex<(status: Int, body: String, etag: String?)>((200, "", nil))
        let conditional = Atomic<Int>(0)
        func set(_ status: Int, _ body: String, etag: String? = nil) { answer.withLock { $0 = (status, body, etag) } }
    }

    func withSource(_ body: (Source, String) throws -> Void) throws {
        let source = Source()
        let server = try HTTPServer(name: "feed", listen: "127.0.0.1:0", access: .open) { request in
            let (status, text, etag) = source.answer.withLock { $0 }
            if let etag, request.headers["if-none-match"] == etag {
                source.conditional.add(1, ordering: .relaxed)
                return HTTPReply(304, "", contentType: "text/plain")
            }
            var reply = HTTPReply(status, text, contentType: "text/plain")
            if let etag { reply.headers.append(("ETag", etag)) }
            return reply
        }
        server.start()
        defer { server.stop() }
        try body(source, "http://127.0.0.1:\(server.port)/domains.txt")
    }

    func folder() throws -> String {
        let path = NSTemporaryDirectory() + "rampart-feed-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aBadAnswerNeverReplacesTheLastGoodCopy() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try withSource { source, url in
            let feed = ListFeed(name: "threats", url: url, refreshSeconds: 60, cachePath: dir + "/threats.list", maxBytes: 4096)
            let fetcher = ListFeedFetcher(feeds: [feed], log: LogWriter(component: "test", descriptor: -1)) {}
            func copy() -> String? { try? String(contentsOfFile: feed.cachePath, encoding: .utf8) }

            source.set(200, "bad.example\nworse.example\n10.9.9.0/24\n", etag: "\"v1\"")
            #expect(fetcher.refresh(0) == .updated)
            #expect(copy() == "bad.example\nworse.example\n10.9.9.0/24\n")
            #expect(fetcher.status[0].entries == 3 && !fetcher.status[0].stale)

            // The validators go back; the source says nothing changed.
            #expect(fetcher.refresh(0) == .unchanged)
            #expect(source.conditional.load(ordering: .relaxed) == 1)

            source.set(500, "oops")
            #expect(fetcher.refresh(0) == .failed)
            #expect(fetcher.status[0].stale && fetcher.status[0].lastError == "\(url) answered 500")
            // An error page served as 200 is not a list.
            source.set(200, "<html>\n<head><title>Maintenance</title></head>\n<body>back soon</body>\n</html>\n")
            #expect(fetcher.refresh(0) == .refused)
            source.set(200, String(repeating: "a.example\n", count: 500))   // 5,000 bytes: over maxBytes
            #expect(fetcher.refresh(0) == .failed)
            #expect(fetcher.status[0].lastError?.contains("over 4096 bytes") == true)
            #expect(copy() == "bad.example\nworse.example\n10.9.9.0/24\n", "the last good copy stays")

            source.set(200, "bad.example\nworse.example\nnew.example\n10.9.9.0/24\n", etag: "\"v2\"")
            #expect(fetcher.refresh(0) == .updated)
            #expect(fetcher.status[0].entries == 4 && !fetcher.status[0].stale)

            let metrics = fetcher.prometheusText()
            #expect(metrics.contains("rampart_list_feed_fetches_total{list=\"threats\",outcome=\"updated\"} 2"))
            #expect(metrics.contains("rampart_list_feed_fetches_total{list=\"threats\",outcome=\"failed\"} 2"))
            #expect(metrics.contains("rampart_list_feed_fetches_total{list=\"threats\",outcome=\"refused\"} 1"))
            #expect(metrics.contains("rampart_list_feed_stale{list=\"threats\"} 0"))
            #expect(metrics.contains("rampart_list_feed_entries{list=\"threats\"} 4"))
        }
        // A restart while the source is gone starts from the last good copy.
        let feed = ListFeed(name: "threats", url: "http://127.0.0.1:9/none", refreshSeconds: 60, cachePath: dir + "/threats.list")
        let restarted = ListFeedFetcher(feeds: [feed], log: LogWriter(component: "test", descriptor: -1)) {}
        #expect(restarted.status[0].entries == 4)
        #expect(restarted.refresh(0) == .failed)
        #expect(restarted.status[0].stale && restarted.status[0].entries == 4)
    }

    @Test func theScheduleFetchesAgainAndAnnouncesEachNewCopyOnce() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try withSource { source, url in
            source.set(200, "one.example\n")
            let changes = Atomic<Int>(0)
            let feed = ListFeed(name: "f", url: url, refreshSeconds: 1, cachePath: dir + "/f.list")
            let fetcher = ListFeedFetcher(feeds: [feed], log: LogWriter(component: "test", descriptor: -1)) {
                changes.add(1, ordering: .relaxed)
            }
            fetcher.start()
            defer { fetcher.stop() }
            func wait(_ what: () -> Bool) { for _ in 0..<100 where !what() { usleep(50_000) } }
            wait { changes.load(ordering: .relaxed) == 1 }
            #expect(changes.load(ordering: .relaxed) == 1)
            source.set(200, "one.example\ntwo.example\n")
            wait { fetcher.status[0].entries == 2 }
            #expect(fetcher.status[0].entries == 2 && changes.load(ordering: .relaxed) == 2)
            usleep(1_300_000)  // another round: the same bytes are no news
            #expect(changes.load(ordering: .relaxed) == 2 && (fetcher.status[0].outcomes[.unchanged] ?? 0) >= 1)
        }
    }
}
