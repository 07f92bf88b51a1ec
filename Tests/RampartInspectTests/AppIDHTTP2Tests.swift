import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport

/// Hand-made HTTP/2 bytes: the preface, frames, and HPACK literals without Huffman.
private enum H2 {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    static let settings = frame(4, [0x00, 0x03, 0x00, 0x00, 0x00, 0x64, 0x00, 0x04, 0x00, 0x01, 0x00, 0x00])
    static let windowUpdate = frame(8, [0x00, 0x0F, 0x00, 0x01])

    /// Literal header field without indexing, new name, no Huffman.
    static func literal(_ name: String, _ value: String) -> [UInt8] {
        [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
    }

    static func block(method: String = "POST", path: String, authority: String = "svc:80", contentType: String? = nil) -> [UInt8] {
        var b = literal(":method", method) + [0x86] + literal(":path", path) + literal(":authority", authority)
        if let c = contentType { b += literal("content-type", c) }
        return b
    }
}

private func http2(_ prefix: StreamPrefix, _ metadata: inout ApplicationMetadata) -> ProbeResult {
    HTTP2.probe(prefix, into: &metadata)
}

@Suite("App-ID HTTP/2")
struct AppIDHTTP2Tests {
    @Test("real gRPC (grpcio, h2c) on 50051 and 9443 is grpc with service and method")
    func realGRPC() throws {
        var seen = 0
        for item in try WebCaptures.load("appid/grpc") where item.app == "grpc" {
            var metadata = ApplicationMetadata()
            let result = item.flow.withPrefix { HTTP2.probe($0, into: &metadata) }
            #expect(result == .identified(HTTP2.grpc), "port \(item.flow.serverPort)")
            #expect(metadata.grpcService == "rampart.test.Echo")
            #expect(metadata.grpcMethod == "Say")
            #expect(metadata.httpMethod == "POST")
            #expect(metadata.httpContentType == "application/grpc")
            #expect(metadata.httpUserAgent?.hasPrefix("grpc-python/") == true)
            #expect(metadata.httpStatus == 200)
            seen += 1
        }
        #expect(seen == 2)
    }

    @Test("real h2c (curl --http2-prior-knowledge to nginx) is http2; an OpenAI request over h2c is openai-api")
    func realH2C() throws {
        var seen: [String: Int] = [:]
        for item in try WebCaptures.load("appid/web") where item.app == "http2" || item.app == "openai-api" {
            var metadata = ApplicationMetadata()
            let result = item.flow.withPrefix { HTTP2.probe($0, into: &metadata) }
            #expect(result == .identified(WebCaptures.id(item.app!)), "port \(item.flow.serverPort)")
            #expect(metadata.httpProtocol == "HTTP/2")
            #expect(metadata.httpURI?.hasPrefix("/") == true)
            #expect(metadata.httpHost?.isEmpty == false)
            #expect(metadata.httpUserAgent?.hasPrefix("curl/") == true)
            #expect(metadata.httpStatus != nil)
            if item.app == "openai-api" {
                #expect(metadata.aiModel == "qwen2.5-0.5b-instruct")
                #expect(metadata.aiEndpoint == "/v1/chat/completions")
            }
            seen[item.app!, default: 0] += 1
        }
        #expect(seen["http2", default: 0] >= 4)
        #expect(seen["openai-api"] == 1)
    }

    @Test("HTTP/1 flows and every other protocol's capture are not HTTP/2")
    func others() throws {
        for name in WebCaptures.allCaptureNames(excluding: ["appid/grpc"]) {
            for item in try WebCaptures.load(name) where item.flow.ipProtocol == .tcp {
                if name == "appid/web" && (item.app == "http2" || item.app == "openai-api") { continue }
                let result = item.flow.withPrefix { p in var m = ApplicationMetadata(); return HTTP2.probe(p, into: &m) }
                #expect(result == .notThis, "\(name) port \(item.flow.serverPort) (\(item.app ?? "?"))")
            }
        }
    }

    @Test("every truncation of the preface is needMore, or notThis when the stream ended")
    func prefaceTruncations() {
        for n in 1..<H2.preface.count {
            let slice = Array(H2.preface[0..<n])
            #expect(WebCaptures.probe(http2, toServer: slice).0 == .needMore)
            #expect(WebCaptures.probe(http2, toServer: slice, complete: true).0 == .notThis)
        }
        #expect(WebCaptures.probe(http2, toServer: H2.preface, complete: true).0 == .identified(HTTP2.application))
        #expect(WebCaptures.probe(http2, toServer: Array("PRI * HTTP/1.1\r\n".utf8)).0 == .notThis)
    }

    @Test("HEADERS with padding and priority, split over CONTINUATION, gives gRPC")
    func continuation() {
        let block = H2.block(path: "/helloworld.Greeter/SayHello", contentType: "application/grpc+proto")
        let cut = 10
        var headersPayload: [UInt8] = [3]                       // pad length
        headersPayload += [0x80, 0x00, 0x00, 0x01, 0x10]        // exclusive dependency on 1, weight 16
        headersPayload += block[0..<cut] + [0, 0, 0]
        let bytes = H2.preface + H2.settings + H2.windowUpdate
            + H2.frame(1, flags: 0x08 | 0x20, stream: 1, headersPayload)
            + H2.frame(9, flags: 0x04, stream: 1, Array(block[cut...]))
        let (result, metadata) = WebCaptures.probe(http2, toServer: bytes)
        #expect(result == .identified(HTTP2.grpc))
        #expect(metadata.grpcService == "helloworld.Greeter")
        #expect(metadata.grpcMethod == "SayHello")
        #expect(metadata.httpHost == "svc:80")
        // Every truncation: needMore until the block is whole, never a wrong answer.
        for n in H2.preface.count..<bytes.count {
            let r = WebCaptures.probe(http2, toServer: Array(bytes[0..<n])).0
            #expect(r == .needMore, "n=\(n)")
            let done = WebCaptures.probe(http2, toServer: Array(bytes[0..<n]), complete: true).0
            #expect(done == .identified(HTTP2.application))
        }
    }

    @Test("AI paths over h2c are refined, waiting for the body's model")
    func aiOverH2() {
        let body = Array(#"{"model":"llama3","messages":[]}"#.utf8)
        let headers = H2.frame(1, flags: 0x04, stream: 1, H2.block(path: "/api/chat", contentType: "application/json"))
        let partial = H2.preface + H2.settings + headers
        #expect(WebCaptures.probe(http2, toServer: partial).0 == .needMore)
        let bytes = partial + H2.frame(0, flags: 0x01, stream: 1, body)
        let (result, metadata) = WebCaptures.probe(http2, toServer: bytes)
        #expect(result == .identified(AIApplications.ollama))
        #expect(metadata.aiModel == "llama3")
        #expect(metadata.aiProvider == "ollama")
        let get = H2.preface + H2.settings + H2.frame(1, flags: 0x05, stream: 1, H2.block(method: "GET", path: "/"))
        #expect(WebCaptures.probe(http2, toServer: get).0 == .identified(HTTP2.application))
    }

    @Test("malformed frames or HPACK stay http2", arguments: [
        H2.frame(1, flags: 0x04, stream: 1, [0x80]),                       // HPACK index 0
        H2.frame(1, flags: 0x04, stream: 1, [0x40, 0x81, 0x00, 0x00]),     // bad Huffman padding
        H2.frame(1, flags: 0x04, stream: 1, [0x3F, 0xE2, 0x1F]),           // table size over 4096
        H2.frame(1, flags: 0x04, stream: 1, [0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),  // overlong integer
        H2.frame(1, flags: 0x04 | 0x08, stream: 1, [200, 0x82]),           // padding longer than the frame
        H2.frame(1, flags: 0x04, stream: 0, [0x82]),                       // HEADERS on stream 0
        H2.frame(9, flags: 0x04, stream: 1, [0x82]),                       // CONTINUATION without HEADERS
        H2.frame(1, stream: 1, [0x82]) + H2.frame(0, stream: 1, [1]),      // block interrupted
        H2.frame(4, [1, 2, 3]),                                            // SETTINGS not a multiple of 6
        [0xFF, 0xFF, 0xFF, 1, 4, 0, 0, 0, 1, 0x82],                        // lying length, truncated
    ])
    func malformed(_ frames: [UInt8]) {
        let result = WebCaptures.probe(http2, toServer: H2.preface + frames, complete: true).0
        #expect(result == .identified(HTTP2.application))
    }

    @Test("random frames after the preface never trap and never leave http2")
    func random() {
        var rng = SeededRandom(seed: 0x4832_4332)
        let allowed: [ProbeResult] = [.needMore, .identified(HTTP2.application), .identified(HTTP2.grpc)]
            + [AIApplications.mcp, AIApplications.openAI, AIApplications.kubernetes, AIApplications.ollama,
               AIApplications.anthropic].map { .identified($0) }
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<400, using: &rng)
            var tail = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if Bool.random(using: &rng) && tail.count > 9 {
                // A plausible HEADERS frame header in front of random HPACK.
                let len = tail.count - 9
                tail.replaceSubrange(0..<9, with: [0, UInt8(len >> 8), UInt8(len & 0xFF), 1, 0x04, 0, 0, 0, 1])
            }
            let r = WebCaptures.probe(http2, toServer: H2.preface + tail, toClient: tail, complete: Bool.random(using: &rng)).0
            #expect(allowed.contains(r))
            let junk = WebCaptures.probe(http2, toServer: tail).0
            #expect(junk == .notThis || tail.isEmpty || tail.first == UInt8(ascii: "P"))
        }
    }

    @Test("mutated real h2c and gRPC sessions never trap and stay HTTP/2 family")
    func mutations() throws {
        var rng = SeededRandom(seed: 0x4D32_4332)
        let flows = try WebCaptures.load("appid/grpc").map(\.flow) + (try WebCaptures.load("appid/web").map(\.flow))
        for flow in flows where flow.toServer.starts(with: H2.preface) {
            for _ in 0..<200 {
                var bytes = Array(flow.toServer.prefix(Int.random(in: 24...flow.toServer.count, using: &rng)))
                for _ in 0..<Int.random(in: 0...4, using: &rng) where bytes.count > 24 {
                    bytes[Int.random(in: 24..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                var client = flow.toClient
                if !client.isEmpty { client[Int.random(in: 0..<client.count, using: &rng)] ^= 0xFF }
                let r = WebCaptures.probe(http2, toServer: bytes, toClient: client, complete: Bool.random(using: &rng)).0
                #expect(r != .notThis)
            }
        }
    }
}
