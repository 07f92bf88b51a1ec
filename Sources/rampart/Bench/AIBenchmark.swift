import RampartInspect
import RampartPolicy

/// `rampart bench ai`: AI transactions (a request and its answer) inspected with every
/// detector on, per second on one core, and the time each request adds, by percentile.
/// The bodies are built here: chat requests of about 2 KB (a system prompt and a user
/// message of ordinary English with a few numbers, no detection), answers of about 4 KB of
/// text with five links (four with a scheme or not, unlisted or listed in an allowed
/// category; in every fourth answer one listed in a blocked category), whole or streamed as
/// server-sent events of a few words each, for OpenAI's chat completions and Anthropic's
/// messages in turn. The URL check runs against a URL filtering profile over a list of
/// synthetic names in eight categories (`urlList`), as `urlFiltering` in an AI profile.
///
/// ```swift
/// let list = try AIBenchmark.urlList(entries: 1_000_000)
/// let report = AIBenchmark.run(transactions: 200_000, streamed: true, urls: list, clock: monotonicSeconds)
/// ```
enum AIBenchmark {
    struct Exchange {
        var path: [UInt8]
        var request: [UInt8]
        var contentType: [UInt8]
        var response: [UInt8]
    }

    struct Report {
        var transactions: Int
        var seconds: Double
        var requestBytes: Int
        var responseBytes: Int
        var responseText: Int
        var detections: Int
        /// Nanoseconds per request (parse + detectors), by percentile: 50, 99, 99.9.
        var requestNanos: (Double, Double, Double)
        var transactionNanos: (Double, Double, Double)
    }

    static let words = ("the cluster runs several services behind an ingress and each team owns a namespace with its own "
        + "quotas while the platform group maintains the shared observability stack including metrics logs and traces "
        + "so that a release can be rolled back quickly when the error budget of a service is spent during a busy week "
        + "we want to compare two approaches for caching the product catalogue one in memory per replica and one in a "
        + "shared store with a short expiry and measure the latency at the ninety ninth percentile under 1200 requests "
        + "per second with 48 replicas across 3 zones").split(separator: " ").map(String.init)

    static func text(bytes: Int, seed: Int) -> String {
        var out = ""
        var i = seed
        while out.utf8.count < bytes {
            out += words[i % words.count]
            out += i % 17 == 16 ? ". " : " "
            i = (i &* 31 &+ 7) & 0xFF_FFFF
        }
        return out
    }

    /// The URL filtering list and profile of the URL check: `entries` synthetic names
    /// (`ListsBenchmark.syntheticName`) in eight categories, `category-0` blocked,
    /// `category-1` alerted, the rest and unlisted sites allowed.
    struct URLList {
        var store: IndicatorStore
        var profile: URLFilteringProfile
        var entries: Int
        var buildSeconds: Double
    }

    static let listSeed: UInt64 = 0x5EED

    static func urlList(entries: Int) throws -> URLList {
        let start = monotonicSeconds()
        var builder = IndicatorStoreBuilder(maximumEntries: entries + 1, seed: listSeed)
        let attributes = try (0..<8).map { k in
            try builder.attributes(categories: [builder.category("category-\(k)")], sources: [builder.source("bench")])
        }
        var name: [UInt8] = []
        for i in 0..<entries {
            ListsBenchmark.syntheticName(UInt64(i), seed: listSeed, into: &name)
            _ = try name.withUnsafeBytes { try builder.addNormalizedDomain($0, attributes: attributes[i & 7]) }
        }
        let profile = URLFilteringProfile(name: "bench", categories: ["category-0": .block, "category-1": .alert])
        return URLList(store: builder.build(), profile: profile, entries: entries, buildSeconds: monotonicSeconds() - start)
    }

    /// Listed name number `i` (in `category-(i % 8)`), when the list has that many.
    static func listedName(_ i: Int) -> String {
        var name: [UInt8] = []
        ListsBenchmark.syntheticName(UInt64(i), seed: listSeed, into: &name)
        return String(decoding: name, as: UTF8.self)
    }

    /// About 4 KB of answer with its links spread through it.
    static func answerText(seed: Int) -> String {
        let links = [
            "see https://kubernetes.io/docs/concepts/services-networking/ingress/ for the details",
            "the chart lives at github.com/prometheus-community/helm-charts and",
            "www.\(listedName(8 * (seed % 50) + 3))/guide explains the cache and",
            "compare with https://\(listedName(8 * (seed % 50) + 2))/blog/latency?ref=answer.",
            seed % 4 == 0 ? "a mirror is at http://dl.\(listedName(8 * (seed % 50)))/setup.sh so" : "pkg.go.dev/net/http has the client and",
        ]
        var out = ""
        for (k, link) in links.enumerated() {
            out += text(bytes: 720, seed: seed + 7 * k) + link + " "
        }
        return out + text(bytes: 4096 - out.utf8.count, seed: seed + 50)
    }

    static func exchange(anthropic: Bool, streamed: Bool, seed: Int) -> Exchange {
        let system = text(bytes: 400, seed: seed)
        let user = text(bytes: 1500, seed: seed + 1)
        let answer = answerText(seed: seed + 2)
        var request: String
        if anthropic {
            request = #"{"model":"claude-sonnet-4-5","max_tokens":1024,"system":"\#(system)","messages":[{"role":"user","content":[{"type":"text","text":"\#(user)"}]}]\#(streamed ? #","stream":true"# : "")}"#
        } else {
            request = #"{"model":"gpt-4o-mini","messages":[{"role":"system","content":"\#(system)"},{"role":"user","content":"\#(user)"}],"temperature":0.2\#(streamed ? #","stream":true,"stream_options":{"include_usage":true}"# : "")}"#
        }
        var response = ""
        if !streamed {
            response = anthropic
                ? #"{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"\#(answer)"}],"stop_reason":"end_turn","usage":{"input_tokens":480,"output_tokens":1000}}"#
                : #"{"id":"chatcmpl-1","object":"chat.completion","created":1733300000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"\#(answer)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":480,"completion_tokens":1000,"total_tokens":1480}}"#
        } else {
            // Deltas of about four words, as the APIs send them.
            var pieces: [String] = []
            var current = ""
            for (k, w) in answer.split(separator: " ", omittingEmptySubsequences: false).enumerated() {
                current += (k == 0 ? "" : " ") + w
                if k % 4 == 3 { pieces.append(current); current = "" }
            }
            if !current.isEmpty { pieces.append(current) }
            if anthropic {
                response += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":{\"input_tokens\":480,\"output_tokens\":1}}}\n\n"
                response += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                for p in pieces {
                    response += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\(p)\"}}\n\n"
                }
                response += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":1000}}\n\n"
                response += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
            } else {
                // OpenAI pads each chunk with random characters of random length (`obfuscation`,
                // on by default since 2025), so no two chunks are the same but for their delta.
                let padding = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
                for p in pieces {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let obfuscation = String((0..<Int(state >> 60) + 1).map { k in padding[Int((state >> UInt64(k * 3)) % 62)] })
                    response += "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1733300000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(p)\"},\"finish_reason\":null}],\"obfuscation\":\"\(obfuscation)\"}\n\n"
                }
                response += "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1733300000,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":480,\"completion_tokens\":1000,\"total_tokens\":1480}}\n\ndata: [DONE]\n\n"
            }
        }
        return Exchange(path: Array((anthropic ? "/v1/messages" : "/v1/chat/completions").utf8), request: Array(request.utf8),
                        contentType: Array((streamed ? "text/event-stream" : "application/json").utf8), response: Array(response.utf8))
    }

    /// `flowing`: streamed answers inspected as the firewall does, an event at a time as they
    /// flow (`AIExchangeInspector.inspectResponseFlowing`), not whole at their end.
    static func run(transactions: Int, streamed: Bool, flowing: Bool = false, urls: URLList?, templates: Bool = true,
                    clock: () -> Double) -> Report {
        let inspector = AIExchangeInspector()
        inspector.usesEventTemplates = templates
        if let urls { inspector.checkURLs(urls.profile, store: urls.store) }
        let exchanges = (0..<16).map { exchange(anthropic: $0 % 2 == 1, streamed: streamed, seed: $0 * 101) }
        var requestNanos = [Double](repeating: 0, count: transactions)
        var transactionNanos = [Double](repeating: 0, count: transactions)
        var detections = 0
        var responseText = 0
        let start = clock()
        for i in 0..<transactions {
            let e = exchanges[i % exchanges.count]
            let t0 = clock()
            e.request.withUnsafeBytes { body in
                e.path.withUnsafeBytes { path in
                    detections += inspector.inspectRequest(path: path, body: body)
                }
            }
            let t1 = clock()
            e.response.withUnsafeBytes { body in
                e.contentType.withUnsafeBytes { contentType in
                    detections += flowing ? inspector.inspectResponseFlowing(contentType: contentType, body: body)
                        : inspector.inspectResponse(contentType: contentType, body: body)
                }
            }
            let t2 = clock()
            if i < exchanges.count { responseText += inspector.lastTranscript.textBytes }
            requestNanos[i] = (t1 - t0) * 1e9
            transactionNanos[i] = (t2 - t0) * 1e9
        }
        let seconds = clock() - start
        func percentiles(_ v: inout [Double]) -> (Double, Double, Double) {
            v.sort()
            func at(_ p: Double) -> Double { v[min(v.count - 1, Int(Double(v.count) * p))] }
            return (at(0.5), at(0.99), at(0.999))
        }
        return Report(
            transactions: transactions, seconds: seconds,
            requestBytes: exchanges.map(\.request.count).reduce(0, +) / exchanges.count,
            responseBytes: exchanges.map(\.response.count).reduce(0, +) / exchanges.count,
            responseText: responseText / min(transactions, exchanges.count), detections: detections,
            requestNanos: percentiles(&requestNanos), transactionNanos: percentiles(&transactionNanos))
    }
}
