import Foundation
import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport


/// Captures and their labels, and a few ways of probing hand-made bytes, for the web decoders' tests.
enum WebCaptures {
    struct Labelled {
        var flow: CapturedFlow
        var app: String?
    }

    /// The flows of `Tests/Captures/<relativePath>.pcap`, each with its label (if any).
    static func load(_ relativePath: String) throws -> [Labelled] {
        let flows = try CapturedFlows.load("Tests/Captures/\(relativePath).pcap")
        let labelsURL = CapturedFlows.packageRoot.appendingPathComponent("Tests/Captures/\(relativePath).labels")
        var labels: [String: String] = [:]
        if let text = try? String(contentsOf: labelsURL, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 3 { labels["\(parts[0]) \(parts[1])"] = String(parts[2]) }
            }
        }
        return flows.map { flow in
            let proto = flow.ipProtocol == .udp ? "udp" : "tcp"
            return Labelled(flow: flow, app: labels["\(proto) \(flow.serverPort)"])
        }
    }

    /// Every capture in Tests/Captures and Tests/Captures/appid, minus `excluding` (names without .pcap).
    static func allCaptureNames(excluding: Set<String>) -> [String] {
        let root = CapturedFlows.packageRoot.appendingPathComponent("Tests/Captures")
        var names: [String] = []
        for dir in ["", "appid/"] {
            let url = root.appendingPathComponent(dir)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for f in files.sorted() where f.hasSuffix(".pcap") {
                let name = dir + String(f.dropLast(5))
                if !excluding.contains(name) { names.append(name) }
            }
        }
        return names
    }

    static func probe(
        _ decoder: (StreamPrefix, inout ApplicationMetadata) -> ProbeResult,
        toServer: [UInt8], toClient: [UInt8] = [], complete: Bool = false, port: UInt16 = 80
    ) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = toServer.withUnsafeBytes { s in
            toClient.withUnsafeBytes { c in
                decoder(StreamPrefix(toServer: s, toClient: c, clientPort: 40000, serverPort: port, ipProtocol: .tcp,
                                     toServerComplete: complete, toClientComplete: complete), &metadata)
            }
        }
        return (result, metadata)
    }

    static func id(_ name: String) -> ApplicationID { ApplicationCatalog.id(named: name)! }
}

private func http1(_ prefix: StreamPrefix, _ metadata: inout ApplicationMetadata) -> ProbeResult {
    HTTP1.probe(prefix, into: &metadata)
}

private let webApps: Set<String> = ["http", "openai-api", "anthropic-api", "ollama", "mcp", "kubernetes-api"]

@Suite("App-ID HTTP/1")
struct AppIDHTTP1Tests {
    @Test("real HTTP/1 flows (python http.server, nginx; GET, POST, HEAD, 404, keep-alive, IPv6) are http")
    func realHTTP() throws {
        var seen = 0
        var statuses: Set<Int> = []
        var methods: Set<String> = []
        for item in try WebCaptures.load("appid/web") where item.app == "http" {
            var metadata = ApplicationMetadata()
            let result = item.flow.withPrefix { HTTP1.probe($0, into: &metadata) }
            #expect(result == .identified(HTTP1.application), "port \(item.flow.serverPort)")
            #expect(metadata.httpURI?.hasPrefix("/") == true)
            #expect(metadata.httpProtocol == "HTTP/1.1")
            #expect(metadata.httpHost?.isEmpty == false)
            #expect(metadata.httpUserAgent != nil)
            if let s = metadata.httpStatus { statuses.insert(s) }
            if let m = metadata.httpMethod { methods.insert(m) }
            seen += 1
        }
        #expect(seen >= 12)
        #expect(methods.isSuperset(of: ["GET", "POST", "HEAD"]))
        #expect(statuses.isSuperset(of: [200, 404]))
    }

    @Test("AI and Kubernetes APIs over HTTP/1.1 are refined from http, with the model")
    func realAI() throws {
        var seenApps: Set<String> = []
        var models: Set<String> = []
        for item in try WebCaptures.load("appid/ai") {
            guard let app = item.app else { continue }
            var metadata = ApplicationMetadata()
            let result = item.flow.withPrefix { HTTP1.probe($0, into: &metadata) }
            #expect(result == .identified(WebCaptures.id(app)), "port \(item.flow.serverPort): \(metadata)")
            if let m = metadata.aiModel { models.insert(m) }
            if app != "kubernetes-api" {
                #expect(metadata.aiProvider != nil)
                #expect(metadata.aiEndpoint?.hasPrefix("/") == true)
            }
            seenApps.insert(app)
        }
        #expect(seenApps == ["openai-api", "anthropic-api", "ollama", "mcp", "kubernetes-api"])
        #expect(models.isSuperset(of: ["gpt-4o-mini", "claude-haiku-4-5", "llama3.2:1b"]))
    }

    @Test("HTTP/2 and gRPC flows are not HTTP/1")
    func notH2() throws {
        for name in ["appid/web", "appid/grpc"] {
            for item in try WebCaptures.load(name) where item.app != nil && !webApps.contains(item.app!) {
                let result = item.flow.withPrefix { p in var m = ApplicationMetadata(); return HTTP1.probe(p, into: &m) }
                #expect(result == .notThis, "\(name) port \(item.flow.serverPort)")
            }
        }
    }

    @Test("other protocols' captures are not HTTP/1")
    func otherCaptures() throws {
        for name in WebCaptures.allCaptureNames(excluding: ["appid/web", "appid/ai", "http", "threats", "ai"]) {
            for item in try WebCaptures.load(name) where item.flow.ipProtocol == .tcp {
                let result = item.flow.withPrefix { p in var m = ApplicationMetadata(); return HTTP1.probe(p, into: &m) }
                // The wire decoder's unlabelled captures (ipv6, sll2) hold a few curl GETs of their own.
                let isCurlGET = item.app == nil && item.flow.toServer.starts(with: Array("GET / HTTP/1.1\r\n".utf8))
                #expect(result == (isCurlGET ? .identified(HTTP1.application) : .notThis),
                        "\(name) port \(item.flow.serverPort) (\(item.app ?? "?"))")
            }
        }
    }

    @Test("the engine's HTTP capture is http")
    func legacyHTTPCapture() throws {
        for flow in try CapturedFlows.load("Tests/Captures/http.pcap") where flow.ipProtocol == .tcp && !flow.toServer.isEmpty {
            let result = flow.withPrefix { p in var m = ApplicationMetadata(); return HTTP1.probe(p, into: &m) }
            #expect(result == .identified(HTTP1.application))
        }
    }

    @Test("pipelined requests: the first names the session")
    func pipelining() {
        let bytes = Array("GET /first HTTP/1.1\r\nHost: a\r\n\r\nPOST /v1/chat/completions HTTP/1.1\r\nHost: b\r\n\r\n".utf8)
        let (result, metadata) = WebCaptures.probe(http1, toServer: bytes)
        #expect(result == .identified(HTTP1.application))
        #expect(metadata.httpURI == "/first")
        #expect(metadata.httpHost == "a")
    }

    @Test("every truncation of a request is needMore, or notThis when complete; never a wrong answer")
    func truncations() {
        let body = #"{"model":"gpt-4o","messages":[]}"#
        let request = Array(("POST /v1/chat/completions HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
        for n in 0..<request.count {
            let slice = Array(request[0..<n])
            #expect(WebCaptures.probe(http1, toServer: slice).0 == .needMore, "n=\(n)")
            let done = WebCaptures.probe(http1, toServer: slice, complete: true).0
            #expect(done == .notThis || done == .identified(AIApplications.openAI) || done == .identified(HTTP1.application))
        }
        let (result, metadata) = WebCaptures.probe(http1, toServer: request)
        #expect(result == .identified(AIApplications.openAI))
        #expect(metadata.aiModel == "gpt-4o")
        #expect(metadata.aiProvider == "openai-compatible")
        #expect(metadata.aiEndpoint == "/v1/chat/completions")
        #expect(metadata.httpContentLength == body.utf8.count)
        #expect(metadata.httpContentType == "application/json")
    }

    @Test("strict methods and version: lookalikes are notThis", arguments: [
        "get / HTTP/1.1\r\n", "GETX / HTTP/1.1\r\n", "OPTIONS sip:a@b SIP/2.0\r\n", "OPTIONS rtsp://a/ RTSP/1.0\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET / HTTP/2.0\r\n", "GET  / HTTP/1.1\r\n", "GET / HTTP/1.1 \r\n",
        "EHLO mail\r\n", "USER bob\r\n", "a001 LOGIN x y\r\n", "*1\r\n$4\r\nPING\r\n", "get key\r\n", "SSH-2.0-x\r\n",
        "\u{16}\u{03}\u{01}", "HELO x\r\n", "GET /\u{01} HTTP/1.1\r\n", "QUIT\r\n", "STAT\r\n", "PUTS x\r\n",
    ])
    func lookalikes(_ text: String) {
        #expect(WebCaptures.probe(http1, toServer: Array(text.utf8)).0 == .notThis)
    }

    @Test("WebDAV, PATCH and CONNECT are HTTP", arguments: [
        "PROPFIND /dav/ HTTP/1.1\r\n\r\n", "MKCOL /dav/x HTTP/1.1\r\n\r\n", "PATCH /x HTTP/1.1\r\n\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\n\r\n", "OPTIONS * HTTP/1.1\r\n\r\n", "GET http://a/b HTTP/1.0\n\n",
    ])
    func methods(_ text: String) {
        #expect(WebCaptures.probe(http1, toServer: Array(text.utf8)).0 == .identified(HTTP1.application))
    }

    @Test("Upgrade: h2c stays http")
    func upgrade() {
        let bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n".utf8)
        #expect(WebCaptures.probe(http1, toServer: bytes).0 == .identified(HTTP1.application))
    }

    @Test("a response alone (client bytes missing) is http with its status")
    func responseOnly() {
        let reply = Array("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".utf8)
        let (result, metadata) = WebCaptures.probe(http1, toServer: [], toClient: reply)
        #expect(result == .identified(HTTP1.application))
        #expect(metadata.httpStatus == 503)
        #expect(WebCaptures.probe(http1, toServer: [], toClient: Array("HTTP/1.".utf8)).0 == .needMore)
        #expect(WebCaptures.probe(http1, toServer: [], toClient: Array("HTTP/1.1 999 x".utf8)).0 == .notThis)
        #expect(WebCaptures.probe(http1, toServer: [], toClient: Array("SSH-2.0-OpenSSH".utf8)).0 == .notThis)
        #expect(WebCaptures.probe(http1, toServer: [], toClient: []).0 == .needMore)
        #expect(WebCaptures.probe(http1, toServer: [], toClient: [], complete: true).0 == .notThis)
    }

    @Test("giant headers and lying Content-Length answer by 4096 bytes")
    func hostile() {
        var giant = Array("GET / HTTP/1.1\r\nX-Big: ".utf8)
        giant += [UInt8](repeating: UInt8(ascii: "a"), count: 5000)
        #expect(WebCaptures.probe(http1, toServer: giant).0 == .identified(HTTP1.application))
        var longURI = Array("GET /".utf8)
        longURI += [UInt8](repeating: UInt8(ascii: "a"), count: 5000)
        let (r, m) = WebCaptures.probe(http1, toServer: longURI)
        #expect(r == .identified(HTTP1.application))
        #expect((m.httpURI?.count ?? 0) <= 256)
        let lying = Array("POST /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n{}".utf8)
        #expect(WebCaptures.probe(http1, toServer: lying).0 == .identified(HTTP1.application))
        let lying2 = Array("POST /x HTTP/1.1\r\nContent-Length: 100000\r\n\r\n{}".utf8)
        #expect(WebCaptures.probe(http1, toServer: lying2).0 == .needMore)
        #expect(WebCaptures.probe(http1, toServer: lying2, complete: true).0 == .identified(HTTP1.application))
        let nonPrintable = Array("GET / HTTP/1.1\r\nUser-Agent: a\u{01}\u{7F}b\r\n\r\n".utf8)
        #expect(WebCaptures.probe(http1, toServer: nonPrintable).1.httpUserAgent == "a??b")
    }

    @Test("random bytes never trap and are never identified")
    func random() {
        var rng = SeededRandom(seed: 0x4854_5450)
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<300, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) { bytes = Array("GET / HTTP/1.1\r\n".utf8.prefix(Int.random(in: 0...16, using: &rng))) + bytes }
            let result = WebCaptures.probe(http1, toServer: bytes, toClient: bytes.reversed(), complete: Bool.random(using: &rng)).0
            _ = result
        }
    }

    @Test("mutated real requests never trap")
    func mutations() throws {
        var rng = SeededRandom(seed: 0x4D55_5441)
        let flows = try WebCaptures.load("appid/ai").map(\.flow) + (try WebCaptures.load("appid/web").map(\.flow))
        for flow in flows where !flow.toServer.isEmpty {
            for _ in 0..<40 {
                var bytes = Array(flow.toServer.prefix(Int.random(in: 0...min(flow.toServer.count, 5000), using: &rng)))
                for _ in 0..<Int.random(in: 0...4, using: &rng) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                _ = WebCaptures.probe(http1, toServer: bytes, toClient: flow.toClient, complete: Bool.random(using: &rng))
                _ = WebCaptures.probe(http1, toServer: [], toClient: bytes)
            }
        }
    }
}
