@testable import RampartInspect
import RampartPolicy
import RampartWire
import RampartTestSupport
import Testing

/// HTTP/2 bodies through the engine (cleartext, prior knowledge and h2c upgrade): frames
/// built here (HPACK literals, padding, CONTINUATION, interleaved streams), cut into TCP
/// segments anywhere; each stream's body is a file as HTTP/1's are. The end-to-end test with
/// curl and a real h2c server is scripts/firewall-h2-e2e.sh.
@Suite("HTTP/2 bodies: streams read into files like HTTP/1 messages")
struct HTTP2BodyTests {
    typealias Conversation = FilesEngineTests.Conversation

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(_ type: UInt8, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type, flags,
                UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// A header block of literal fields without indexing (new names).
    static func block(_ fields: [(String, String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields {
            out += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return out
    }

    static let settings = frame(4, 0, 0, [])

    static func get(_ stream: UInt32, _ path: String) -> [UInt8] {
        frame(1, 0x05, stream, block([(":method", "GET"), (":scheme", "http"), (":path", path), (":authority", "files.test")]))
    }

    @Test("EICAR downloaded over h2c: padded DATA, CONTINUATION, frames cut into 5-byte segments")
    func eicarDownload() throws {
        var c = try Conversation()
        c.client(Self.preface + Self.settings + Self.get(1, "/dl/eicar.com?x=1"))
        let headers = Self.block([(":status", "200"), ("content-type", "application/octet-stream")])
        let e = FilesEngineTests.eicar
        // HEADERS without END_HEADERS, then a CONTINUATION; DATA padded, in two frames.
        let answer = Self.settings + Self.frame(1, 0x00, 1, Array(headers[..<10])) + Self.frame(9, 0x04, 1, Array(headers[10...]))
            + Self.frame(0, 0x08, 1, [3] + Array(e[..<30]) + [0, 0, 0]) + Self.frame(0, 0x01, 1, Array(e[30...]))
        c.server(answer, pieces: Array(repeating: 5, count: answer.count / 5 + 1))
        c.finish()
        #expect(c.sink.files.count == 1)
        let f = try #require(c.sink.files.first)
        #expect(f.filename == "/dl/eicar.com")
        #expect(f.state == "CLOSED" && f.size == 68 && f.sha256 == FilesEngineTests.eicarSHA256)
        #expect(f.direction == "download" && f.magic == "EICAR virus test files")
    }

    @Test("interleaved streams keep their own bodies; an upload is a file; a reset stream's file is cut")
    func interleaved() throws {
        var c = try Conversation()
        let post = Self.frame(1, 0x04, 3, Self.block([(":method", "POST"), (":scheme", "http"), (":path", "/up/a.txt"),
                                                     (":authority", "x"), ("content-type", "text/plain")]))
        c.client(Self.preface + Self.settings + Self.get(1, "/one.bin") + post + Self.get(5, "/cut.bin")
                 + Self.frame(0, 0x01, 3, Array("uploaded text\n".utf8)))
        let ok = Self.block([(":status", "200")])
        let first = Array("first body: ".utf8) + FilesEngineTests.eicar
        c.server(Self.frame(1, 0x04, 1, ok) + Self.frame(1, 0x04, 5, ok) + Self.frame(1, 0x05, 3, ok)
                 + Self.frame(0, 0, 1, Array(first[..<20])) + Self.frame(0, 0, 5, Array("never ends".utf8))
                 + Self.frame(0, 0x01, 1, Array(first[20...])) + Self.frame(3, 0, 5, [0, 0, 0, 8]))
        c.finish()
        let files = c.sink.files
        let upload = try #require(files.first { $0.filename == "/up/a.txt" })
        #expect(upload.direction == "upload" && upload.size == 14 && upload.state == "CLOSED")
        let one = try #require(files.first { $0.filename == "/one.bin" })
        #expect(one.size == UInt64(first.count) && one.state == "CLOSED")
        let cut = try #require(files.first { $0.filename == "/cut.bin" })
        #expect(cut.state == "TRUNCATED" && cut.size == 10)
    }

    @Test("the per-session stream limit: streams past it are not inspected, counted and logged")
    func streamLimit() throws {
        var c = try Conversation { $0.detection.http2StreamsPerSession = 2 }
        c.client(Self.preface + Self.settings)
        for id in stride(from: UInt32(1), through: 7, by: 2) { c.client(Self.get(id, "/f\(id)")) }
        var answers: [UInt8] = []
        for id in stride(from: UInt32(1), through: 7, by: 2) {
            answers += Self.frame(1, 0x04, id, Self.block([(":status", "200")])) + Self.frame(0, 0x01, id, Array("body \(id)".utf8))
        }
        c.server(answers)
        c.finish()
        #expect(Set(c.sink.files.map(\.filename)) == ["/f1", "/f3"])
        #expect(c.engine.statistics.limits[.http2Streams] == 2)
        #expect(c.sink.anomalies.contains { $0.event == .http2StreamTableFull })
    }

    @Test("an h2c upgrade: the HTTP/1 request is stream 1, its answer comes in frames")
    func upgrade() throws {
        var c = try Conversation()
        c.client("GET /up/eicar.com HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
        c.server(Array("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n".utf8) + Self.settings
                 + Self.frame(1, 0x04, 1, Self.block([(":status", "200")])) + Self.frame(0, 0x01, 1, FilesEngineTests.eicar))
        c.client(Self.preface + Self.settings)
        c.finish()
        let f = try #require(c.sink.files.first)
        #expect(f.filename == "/up/eicar.com" && f.sha256 == FilesEngineTests.eicarSHA256 && f.state == "CLOSED")
    }

    @Test("malformed frames never trap: every prefix and byte flip of a conversation")
    func malformed() throws {
        let answer = Self.settings + Self.frame(1, 0x0C, 1, [2] + Self.block([(":status", "200")]) + [0, 0])
            + Self.frame(0, 0x09, 1, [1, 65, 66, 0])
        var random = SeededRandom(seed: 7)
        for k in 0..<200 {
            var bytes = answer
            let i = Int(random.next() % UInt64(bytes.count))
            bytes[i] ^= UInt8(truncatingIfNeeded: random.next() | 1)
            var c = try Conversation()
            c.client(Self.preface + Self.get(1, "/x"))
            c.server(Array(bytes[..<(k % bytes.count + 1)]), pieces: [3, 7, 1])
            c.finish()
        }
    }

    /// An AI conversation over h2c on port 8000 through an engine with an AI profile.
    static func aiSend(_ c: inout AIEngineTests.Conversation, toServer: Bool, _ bytes: [UInt8]) -> Verdict {
        if toServer {
            let v = c.send(TableLimitTests.tcp("10.0.0.1", c.port, "10.0.0.2", 8000, seq: c.clientSeq, ack: c.serverSeq, flags: 0x18, bytes))
            c.clientSeq += UInt32(bytes.count)
            return v
        }
        let v = c.send(TableLimitTests.tcp("10.0.0.2", 8000, "10.0.0.1", c.port, seq: c.serverSeq, ack: c.clientSeq, flags: 0x18, bytes))
        c.serverSeq += UInt32(bytes.count)
        return v
    }

    static func post(_ stream: UInt32, _ body: String) -> [UInt8] {
        frame(1, 0x04, stream, block([(":method", "POST"), (":scheme", "http"), (":path", "/v1/chat/completions"),
                                      (":authority", "llm.local"), ("content-type", "application/json")]))
            + frame(0, 0x01, stream, Array(body.utf8))
    }

    @Test("AI over h2c: a prompt injection in a stream's body is answered on its stream (403, the API's JSON), then GOAWAY; recorded")
    func aiInjection() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("prompt-injection: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.post(1, AIEngineTests.benign)) == .forward)
        #expect(Self.aiSend(&c, toServer: false, Self.settings + Self.frame(4, 0x01, 0, [])) == .forward)
        let verdict = Self.aiSend(&c, toServer: true, Self.post(3, AIEngineTests.injection))
        #expect(verdict == .respond)
        let r = try #require(c.sink.ai.first { $0.direction == "request" })
        #expect(r.operation == "chat.completions" && r.action == "blocked" && r.detections.map(\.kind) == ["prompt-injection"])
        // The frames, read back with the firewall's own frame reader and HPACK decoder.
        let answer = try #require(c.engine.aiResponse)
        var reader = HTTP2FrameReader(isClient: false)
        var decoder = HPACKDecoder()
        let block = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 1)
        defer { block.deallocate() }
        var events: [String] = []
        var body: [UInt8] = []
        var fields: [String: String] = [:]
        answer.withUnsafeBytes { bytes in
            var rest = bytes
            while true {
                let (consumed, event) = reader.advance(rest, block: block, capacity: 4096)
                let base = rest
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                guard let event else {
                    if rest.isEmpty { break }
                    continue
                }
                switch event {
                case .headers(let id, let end, _):
                    events.append("headers \(id) \(end)")
                    if case .success(let decoded) = decoder.decode(UnsafeRawBufferPointer(start: block, count: reader.blockLength)) {
                        for f in decoded { fields[String(decoding: f.name, as: UTF8.self)] = String(decoding: f.value, as: UTF8.self) }
                    }
                case .data(let id, let range):
                    events.append("data \(id)")
                    body += base[range]
                case .endStream(let id): events.append("end \(id)")
                case .reset(let id): events.append("reset \(id)")
                }
            }
        }
        #expect(events == ["headers 3 false", "data 3", "end 3"], "\(events)")
        #expect(fields[":status"] == "403" && fields["content-type"] == "application/json" && fields["content-length"] == String(body.count))
        #expect(fields["x-rampart-ai"] == "blocked" && fields["connection"] == nil)
        #expect(String(decoding: body, as: UTF8.self).hasPrefix(#"{"error":{"message":"Request blocked by the Rampart firewall's AI security profile"#))
        #expect(decoder.table.isEmpty, "the answer leaves the client's HPACK table as it was")
        // GOAWAY last: stream 3 the last processed, NO_ERROR.
        #expect(Array(answer.suffix(17)) == Self.frame(7, 0, 0, [0, 0, 0, 3, 0, 0, 0, 0]))
    }

    @Test("AI over h2c: a block before the server spoke opens with the server's preface (SETTINGS, and the client's acknowledged)")
    func aiInjectionBeforeTheServerSpoke() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("prompt-injection: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.post(1, AIEngineTests.injection)) == .respond)
        let answer = try #require(c.engine.aiResponse)
        #expect(Array(answer.prefix(18)) == Self.settings + Self.frame(4, 0x01, 0, []))
        #expect(answer.count > 27 && answer[21] == 0x01 && Array(answer[23..<27]) == [0, 0, 0, 1], "then HEADERS on stream 1")
        #expect(Array(answer.suffix(17)) == Self.frame(7, 0, 0, [0, 0, 0, 1, 0, 0, 0, 0]))
    }

    @Test("AI over h2c: a block while a server frame is half read resets the connection (no frame injected into a frame)")
    func aiInjectionMidFrame() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("prompt-injection: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.get(1, "/big")) == .forward)
        let answer = Self.settings + Self.frame(1, 0x04, 1, Self.block([(":status", "200")])) + Self.frame(0, 0, 1, Array(repeating: 0x41, count: 100))
        #expect(Self.aiSend(&c, toServer: false, Array(answer.dropLast(50))) == .forward)   // the DATA frame half sent
        #expect(Self.aiSend(&c, toServer: true, Self.post(3, AIEngineTests.injection)) == .reset(toClient: true, toServer: true))
    }

    @Test("HPACK integers past their prefix are encoded as RFC 7541 C.1.2 shows")
    func hpackIntegers() {
        var out: [UInt8] = []
        HTTP2BlockAnswer.integer(1337, prefixBits: 5, high: 0, into: &out)
        #expect(out == [31, 154, 10])
        out = []
        HTTP2BlockAnswer.integer(10, prefixBits: 5, high: 0, into: &out)
        #expect(out == [10])
        #expect(HTTP2BlockAnswer.frames(stream: 1, answer: Array("HTTP/1.1 403 Forbidden\r\n\r\n".utf8) + [UInt8](repeating: 0x20, count: 16_385)) == nil)
        #expect(HTTP2BlockAnswer.frames(stream: 0, answer: Array("HTTP/1.1 403 Forbidden\r\n\r\n{}".utf8)) == nil)
    }

    @Test("AI over h2c: a streamed (SSE) answer reassembled from DATA frames, interleaved with another stream")
    func aiStreamedAnswer() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("secret: alert"))
        c.connect()
        let ask = #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"key?"}]}"#
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.post(1, ask) + Self.get(3, "/other")) == .forward)
        let sse = Array("data: {\"choices\":[{\"delta\":{\"content\":\"AKIAIOSF\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ODNN7EXAMPLE\"}}]}\n\ndata: [DONE]\n\n".utf8)
        let head = Self.block([(":status", "200"), ("content-type", "text/event-stream")])
        let answer = Self.settings + Self.frame(1, 0x04, 1, head) + Self.frame(1, 0x04, 3, Self.block([(":status", "200")]))
            + Self.frame(0, 0, 1, Array(sse[..<40])) + Self.frame(0, 0, 3, Array("unrelated".utf8))
            + Self.frame(0, 0x01, 1, Array(sse[40...])) + Self.frame(0, 0x01, 3, [])
        #expect(Self.aiSend(&c, toServer: false, answer) == .forward)
        let r = try #require(c.sink.ai.first { $0.direction == "response" })
        #expect(r.stream && r.detections.first?.type == "aws-access-key-id" && r.action == "alerted")
    }
}
