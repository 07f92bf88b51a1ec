import Foundation
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

/// The URL filtering profile inline: real captures (Tests/Captures/http.pcap, tls.pcap) and
/// crafted conversations, with indicator lists built for each test.
@Suite("URL filtering profile")
struct URLFilteringTests {
    /// Every session allowed, with the URL filtering profile `u` (or none).
    static func policy(profile: String?, extra: String = "") -> String {
        """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: url}
        spec:
          urlFilteringProfiles:
            - name: u
              categories: {gambling: block, malware: block, news: continue, social: alert}
              unknown: alert
              notResolved: block
        \(extra)
          rules:
            - name: web
              action: allow
        \(profile.map { "      profiles: [\($0)]" } ?? "")
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """
    }

    /// A store from (entry, category) pairs: domains, or URLs with a path.
    static func store(_ entries: [(String, String)]) throws -> IndicatorStore {
        var builder = IndicatorStoreBuilder(seed: 7)
        for (entry, category) in entries {
            let attributes = try builder.attributes(categories: [builder.category(category)], sources: [builder.source("\(category).txt")])
            if entry.contains("/") { try builder.addURL(entry, attributes: attributes) } else { try builder.addDomain(entry, attributes: attributes) }
        }
        return builder.build()
    }

    /// The `url_filtering` object of each `http` / `tls` event, as JSON text.
    static func urlEvents(_ run: EngineRun, _ type: String) -> [String] {
        run.flows.compactMap { flow -> String? in
            guard flow.applicationEventTypes.contains(type) else { return nil }
            var line = JSONLine()
            flow.writeApplicationEVE(type, into: &line)
            let text = String(decoding: line.bytes, as: UTF8.self)
            guard let start = text.range(of: "\"url_filtering\":") else { return "none" }
            return String(text[start.upperBound...].prefix { $0 != "}" }) + "}"
        }
    }

    @Test("http.pcap: the listed host's request gets the block page, the others pass; without the profile all pass")
    func httpBlockPage() throws {
        let lists = try Self.store([("web.rampart.test", "gambling")])
        let run = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy(profile: "u"), indicators: lists)
        // Five requests, one connection each; one has Host: web.rampart.test: it is answered
        // by the page, the rest of its session dropped; the four to 10.77.0.2 are unknown.
        #expect(run.verdicts.filter { $0 == .respond }.count == 1)
        #expect(run.statistics.urlPages == 1)
        #expect(run.statistics.urlFiltering[URLFilteringCountKey(category: "gambling", action: .block)] == 1)
        #expect(run.statistics.urlFiltering[URLFilteringCountKey(category: "unknown", action: .alert)] == 4)
        let events = Self.urlEvents(run, "http")
        #expect(events.filter { $0 == #"{"category":"gambling","action":"block","list":"gambling.txt","entry":"web.rampart.test"}"# }.count == 1)
        #expect(events.filter { $0 == #"{"category":"unknown","action":"alert"}"# }.count == 4)
        // The same traffic without the profile: nothing answered, nothing dropped.
        let control = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy(profile: nil), indicators: lists)
        #expect(!control.verdicts.contains(.respond))
        #expect(control.statistics.packetsDropped == 0 && control.statistics.packetsReset == 0)
        #expect(Self.urlEvents(control, "http").allSatisfy { $0 == "none" })
    }

    @Test("a URL-prefix entry blocks its path only; the host's other pages pass")
    func urlPrefix() throws {
        let lists = try Self.store([("web.rampart.test/api/", "malware")])
        let run = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy(profile: "u"), indicators: lists)
        #expect(run.verdicts.filter { $0 == .respond }.count == 1)
        let events = Self.urlEvents(run, "http")
        #expect(events.contains(#"{"category":"malware","action":"block","list":"malware.txt","entry":"web.rampart.test/api/"}"#))
    }

    @Test("without lists, not-resolved decides (here: block); with an empty store, unknown does (alert)")
    func notResolvedAndUnknown() throws {
        let none = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy(profile: "u"))
        #expect(none.verdicts.filter { $0 == .respond }.count == 5)
        #expect(none.statistics.urlFiltering == [URLFilteringCountKey(category: "not-resolved", action: .block): 5])
        let empty = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy(profile: "u"), indicators: .empty)
        #expect(!empty.verdicts.contains(.respond))
        #expect(empty.statistics.urlFiltering == [URLFilteringCountKey(category: "unknown", action: .alert): 5])
    }

    @Test("tls.pcap: the SNI in a blocked category resets both sides; the other SNI passes")
    func tlsReset() throws {
        let lists = try Self.store([("api.rampart.test", "gambling"), ("web.rampart.test", "social")])
        let run = try EngineRun("Tests/Captures/tls.pcap", policy: Self.policy(profile: "u"), indicators: lists)
        #expect(run.verdicts.filter { $0 == .reset(toClient: true, toServer: true) }.count == 1)
        #expect(!run.verdicts.contains(.respond))
        let events = Self.urlEvents(run, "tls").sorted()
        #expect(events.contains(#"{"category":"gambling","action":"block","list":"gambling.txt","entry":"api.rampart.test"}"#))
        #expect(events.contains(#"{"category":"social","action":"alert","list":"social.txt","entry":"web.rampart.test"}"#))
        let control = try EngineRun("Tests/Captures/tls.pcap", policy: Self.policy(profile: nil), indicators: lists)
        #expect(control.statistics.packetsReset == 0 && control.statistics.packetsDropped == 0)
    }

    @Test("a TLS 1.2 session without SNI is decided by its certificate's name; a TLS 1.3 one without SNI is not decided")
    func certificateNameWithoutSNI() throws {
        // appid/tls.pcap: s_client to web.rampart.test's server with -servername, with
        // -noservername over TLS 1.2 (the certificate, CN=web.rampart.test, in clear) and over
        // TLS 1.3 (the certificate encrypted).
        let lists = try Self.store([("web.rampart.test", "gambling")])
        let run = try EngineRun("Tests/Captures/appid/tls.pcap", policy: Self.policy(profile: "u"), indicators: lists)
        var withSNI = 0
        var withoutSNI: [String] = []
        var nameless: [String] = []
        for flow in run.flows where flow.applicationEventTypes.contains("tls") {
            var line = JSONLine()
            flow.writeApplicationEVE("tls", into: &line)
            let text = String(decoding: line.bytes, as: UTF8.self)
            if text.contains("\"sni\":\"web.rampart.test\"") {
                withSNI += 1
            } else if !text.contains("\"sni\":") && text.contains("\"subject\":") && text.contains("web.rampart.test") {
                withoutSNI.append(text)
            } else if !text.contains("\"sni\":") && !text.contains("\"subject\":") {
                nameless.append(text)
            }
        }
        // TLS 1.3 without SNI: no name in clear, so no category and no block.
        #expect(!nameless.isEmpty)
        for text in nameless { #expect(!text.contains("\"action\":\"block\""), "\(text)") }
        #expect(withSNI >= 1)
        try #require(!withoutSNI.isEmpty, "no TLS session without SNI whose certificate names web.rampart.test")
        for text in withoutSNI {
            #expect(text.contains(#""url_filtering":{"category":"gambling","action":"block","list":"gambling.txt","entry":"web.rampart.test"}"#), "\(text)")
        }
        let control = try EngineRun("Tests/Captures/appid/tls.pcap", policy: Self.policy(profile: nil), indicators: lists)
        #expect(control.statistics.packetsReset == 0)
        #expect(run.statistics.packetsReset > control.statistics.packetsReset)
    }

    /// A crafted HTTP conversation through one engine.
    struct Conversation {
        var engine: Engine
        var sink = EngineRun.Collector()
        var time: Int64 = 1_700_000_000_000
        var number: UInt64 = 0
        var client = "10.0.0.1"
        var clientPort: UInt16 = 40000

        init(policy: String, lists: IndicatorStore?, configure: (inout EngineConfiguration) -> Void = { _ in }) throws {
            var configuration = EngineConfiguration()
            configure(&configuration)
            engine = Engine(configuration: configuration,
                            policy: try PolicyMatcher(PolicyLoader.load(yaml: policy, file: "p.yaml"), tags: []))
            engine.adoptIndicators(lists)
        }

        @discardableResult
        mutating func send(_ frame: [UInt8]) -> Verdict {
            number += 1
            time += 1
            return frame.withUnsafeBytes {
                engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(nanosecondsSinceEpoch: time * 1_000_000),
                               packetNumber: number, sink: &sink)
            }
        }

        /// A new connection from `client` (next port), then one GET: the request's verdict.
        mutating func get(_ host: String, _ path: String = "/", from: String? = nil) -> Verdict {
            if let from { client = from }
            clientPort += 1
            send(TableLimitTests.tcp(client, clientPort, "10.0.0.2", 80, seq: 999, flags: 0x02))
            send(TableLimitTests.tcp("10.0.0.2", 80, client, clientPort, seq: 4999, ack: 1000, flags: 0x12))
            send(TableLimitTests.tcp(client, clientPort, "10.0.0.2", 80, seq: 1000, ack: 5000, flags: 0x10))
            return send(TableLimitTests.tcp(client, clientPort, "10.0.0.2", 80, seq: 1000, ack: 5000, flags: 0x18,
                                            Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: t\r\n\r\n".utf8)))
        }

        /// advances packet time by `seconds`.
        mutating func wait(_ seconds: Int64) { time += seconds * 1000 }
    }

    @Test("continue: the page first; the same client to the same host passes for continueMinutes; others see the page")
    func continuePage() throws {
        let lists = try Self.store([("news.example", "news")])
        var c = try Conversation(policy: Self.policy(profile: "u"), lists: lists)
        #expect(c.get("news.example", "/today") == .respond)
        let response = try #require(c.engine.urlResponse)
        #expect(response.verdict.action == .continue && response.url == "http://news.example/today" && response.continueMinutes == 15)
        let page = String(decoding: URLBlockPage.response(for: response, template: nil), as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(page.contains(#"<a href="http://news.example/today">Continue"#))
        #expect(c.get("www.NEWS.example", "/other") == .respond)     // a different host (not the same name)
        #expect(c.get("news.example:80", "/again") == .forward)    // continued (the port is ignored)
        #expect(c.get("news.example", "/x", from: "10.0.0.9") == .respond)   // another client
        c.wait(16 * 60)
        #expect(c.get("news.example", "/late", from: "10.0.0.1") == .respond)   // its time ran out
        c.engine.finish(sink: &c.sink)
        #expect(c.engine.statistics.urlFiltering[URLFilteringCountKey(category: "news", action: .continue)] == 5)
        let continued = c.sink.flows.filter { $0.metadata?.urlFiltering?.continued == true }
        #expect(continued.count == 1 && continued.first?.metadata?.httpURI == "/again")
    }

    @Test("the continue table is bounded: when full a client is not remembered, counted and logged")
    func continueTableFull() throws {
        let lists = try Self.store([("news.example", "news")])
        var c = try Conversation(policy: Self.policy(profile: "u"), lists: lists) { $0.urlFiltering.continueEntries = 16 }
        // 16 slots, every one probed: 16 clients fill it, the 17th is refused.
        for i in 1...17 { #expect(c.get("news.example", from: "10.1.0.\(i)") == .respond) }
        #expect(c.engine.statistics.limitCount(.urlContinues) == 1)
        #expect(c.get("news.example", from: "10.1.0.3") == .forward)     // remembered
        #expect(c.get("news.example", from: "10.1.0.17") == .respond)    // refused: the page again
        c.engine.finish(sink: &c.sink)
        #expect(c.sink.anomalies.contains { $0.event == .urlContinueTableFull })
        // Expired entries are reused: after the time runs out there is room again.
        c.wait(16 * 60)
        #expect(c.get("news.example", from: "10.1.0.40") == .respond)
        #expect(c.engine.statistics.limitCount(.urlContinues) == 2)    // the 17th's retry only
    }

    @Test("the block page names the category and the URL, escaped; a profile's own page gets the placeholders")
    func blockPage() {
        let response = URLFilteringResponse(
            profile: 0, verdict: URLFilteringVerdict(category: "gambling", action: .block, list: "g.txt"),
            url: "http://casino.example/<script>", continueMinutes: 15)
        let page = String(decoding: URLBlockPage.response(for: response, template: nil), as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"))
        #expect(page.contains("<b>gambling</b>") && page.contains("http://casino.example/&lt;script&gt;"))
        #expect(!page.contains("Continue to"))
        let length = page.components(separatedBy: "\r\n\r\n")[1].utf8.count
        #expect(page.contains("Content-Length: \(length)\r\n"))
        let own = String(decoding: URLBlockPage.response(for: response, template: "<p>{{category}} {{url}} {{action}} {{list}}</p>"), as: UTF8.self)
        #expect(own.hasSuffix("\r\n\r\n<p>gambling http://casino.example/&lt;script&gt; block g.txt</p>"))
    }

    @Test("a policy reload or a new store re-resolves the profile's categories")
    func storeSwap() throws {
        var c = try Conversation(policy: Self.policy(profile: "u"), lists: try Self.store([("a.example", "social")]))
        #expect(c.get("a.example") == .forward)
        c.engine.adoptIndicators(try Self.store([("a.example", "gambling")]))
        #expect(c.get("a.example") == .respond)
        c.engine.adoptIndicators(nil)
        #expect(c.get("a.example") == .respond)   // not-resolved: block
        #expect(c.engine.statistics.urlFiltering[URLFilteringCountKey(category: "not-resolved", action: .block)] == 1)
    }

    @Test("a session blocked by URL filtering drops its later packets")
    func laterPacketsDropped() throws {
        var c = try Conversation(policy: Self.policy(profile: "u"), lists: try Self.store([("casino.example", "gambling")]))
        #expect(c.get("casino.example") == .respond)
        #expect(c.send(TableLimitTests.tcp(c.client, c.clientPort, "10.0.0.2", 80, seq: 1050, ack: 5000, flags: 0x10)) == .drop)
        #expect(c.send(TableLimitTests.tcp("10.0.0.2", 80, c.client, c.clientPort, seq: 5000, ack: 1050, flags: 0x18, Array("late".utf8))) == .drop)
    }
}
