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
                case .dataFrame, .windowUpdate: break
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

    /// A streamed chat answer on stream 1 carrying AWS's example key, cut in two DATA frames,
    /// interleaved with stream 3's answer: the first packet (headers and the first part) and the
    /// second (stream 3's DATA, then stream 1's last DATA with END_STREAM).
    static func leakingAnswer(eventStream: Bool = true) -> (first: [UInt8], second: [UInt8], streamData: Int) {
        let sse = eventStream
            ? Array("data: {\"choices\":[{\"delta\":{\"content\":\"AKIAIOSF\"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ODNN7EXAMPLE\"}}]}\n\ndata: [DONE]\n\n".utf8)
            : Array(#"{"choices":[{"index":0,"message":{"role":"assistant","content":"AKIAIOSFODNN7EXAMPLE"}}]}"#.utf8)
        let head = block([(":status", "200"), ("content-type", eventStream ? "text/event-stream" : "application/json")])
        let first = settings + frame(1, 0x04, 1, head) + frame(1, 0x04, 3, block([(":status", "200")])) + frame(0, 0, 1, Array(sse[..<40]))
        let second = frame(0, 0, 3, Array("unrelated".utf8)) + frame(0, 0x01, 1, Array(sse[40...])) + frame(0, 0x01, 3, [])
        return (first, second, sse.count)
    }

    static func streamAsk(_ stream: Bool = true) -> String {
        #"{"model":"gpt-4o","stream":\#(stream),"messages":[{"role":"user","content":"key?"}]}"#
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE (4) set to `window`.
    static func initialWindow(_ window: Int) -> [UInt8] {
        frame(4, 0, 0, [0, 4, UInt8(window >> 24 & 0xFF), UInt8(window >> 16 & 0xFF), UInt8(window >> 8 & 0xFF), UInt8(window & 0xFF)])
    }

    static let streamError = AIDecision.streamError(.chatCompletions, reason: "secret")

    @Test("AI over h2c: a blocked streamed answer ends its stream with the SSE error event (DATA, END_STREAM), then GOAWAY; the frames before it pass")
    func aiBlockedStreamedAnswer() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("secret: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.post(1, Self.streamAsk()) + Self.get(3, "/other")) == .forward)
        let answer = Self.leakingAnswer()
        #expect(Self.aiSend(&c, toServer: false, answer.first) == .forward)
        #expect(Self.aiSend(&c, toServer: false, answer.second) == .respond)
        #expect(c.engine.aiResponseReplacesPacket)
        let sent = try #require(c.engine.aiResponse)
        // Stream 3's frame (before the one that ended stream 1) passes; stream 1's last DATA,
        // with the rest of the key, does not; the error event ends stream 1; GOAWAY names 3.
        let kept = Self.frame(0, 0, 3, Array("unrelated".utf8))
        #expect(sent == kept + Self.frame(0, 0x01, 1, Self.streamError) + Self.frame(7, 0, 0, [0, 0, 0, 3, 0, 0, 0, 0]))
        #expect(String(decoding: Self.streamError, as: UTF8.self).hasPrefix("event: error\ndata: {"))
        let r = try #require(c.sink.ai.first { $0.direction == "response" })
        #expect(r.action == "blocked" && r.detections.first?.type == "aws-access-key-id")
        // The session is over: the server's next bytes are dropped.
        #expect(Self.aiSend(&c, toServer: false, Self.frame(0, 0, 3, [0x41])) == .drop)
    }

    @Test("AI over h2c: a blocked whole (JSON) answer ends its stream with RST_STREAM (CANCEL), then GOAWAY")
    func aiBlockedWholeAnswer() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("secret: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.post(1, Self.streamAsk(false)) + Self.get(3, "/x")) == .forward)
        let answer = Self.leakingAnswer(eventStream: false)
        #expect(Self.aiSend(&c, toServer: false, answer.first) == .forward)
        #expect(Self.aiSend(&c, toServer: false, answer.second) == .respond)
        let sent = try #require(c.engine.aiResponse)
        #expect(sent == Self.frame(0, 0, 3, Array("unrelated".utf8)) + Self.frame(3, 0, 1, [0, 0, 0, 8]) + Self.frame(7, 0, 0, [0, 0, 0, 3, 0, 0, 0, 0]))
    }

    @Test("AI over h2c: the error event must fit the client's flow-control window: exactly fits, one byte short resets, a WINDOW_UPDATE makes room",
          arguments: [(0, 0, true), (-1, 0, false), (-1, 1, true), (-1, -1, true), (-1, -2, false)])
    func aiBlockedAnswerWindow(margin: Int, update: Int, answered: Bool) throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("secret: block"))
        c.connect()
        let answer = Self.leakingAnswer()
        // The stream's window: all the answer's DATA on stream 1 plus the event, give or take.
        let window = answer.streamData + Self.streamError.count + margin
        // update < 0: the connection's window is the short one, one byte short; -1: the client
        // grants the connection that byte.
        let grant = update > 0 ? Self.frame(8, 0, 1, [0, 0, 0, UInt8(update)]) : []
        var hello = Self.preface + Self.initialWindow(window) + Self.post(1, Self.streamAsk()) + Self.get(3, "/other") + grant
        if update < 0 {
            // A large stream window, and the connection's used up by stream 3 but for the event, less one byte.
            hello = Self.preface + Self.initialWindow(1 << 20) + Self.post(1, Self.streamAsk()) + Self.get(3, "/other")
        }
        #expect(Self.aiSend(&c, toServer: true, hello) == .forward)
        var first = answer.first
        if update < 0 {
            let filler = 65_535 - answer.streamData - "unrelated".utf8.count - Self.streamError.count + 1
            first += Self.frame(0, 0, 3, [UInt8](repeating: 0x20, count: filler))
            #expect(Self.aiSend(&c, toServer: false, first) == .forward)
            if update == -1 { #expect(Self.aiSend(&c, toServer: true, Self.frame(8, 0, 0, [0, 0, 0, 1])) == .forward) }
        } else {
            #expect(Self.aiSend(&c, toServer: false, first) == .forward)
        }
        let verdict = Self.aiSend(&c, toServer: false, answer.second)
        #expect(verdict == (answered ? .respond : .reset(toClient: true, toServer: true)))
    }

    @Test("AI over h2c: a blocked request's answer must fit the client's flow-control window, or the connection is reset")
    func aiBlockedRequestWindow() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("prompt-injection: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.initialWindow(16) + Self.post(1, AIEngineTests.benign)) == .forward)
        #expect(Self.aiSend(&c, toServer: false, Self.settings + Self.frame(4, 0x01, 0, [])) == .forward)
        #expect(Self.aiSend(&c, toServer: true, Self.post(3, AIEngineTests.injection)) == .reset(toClient: true, toServer: true))
    }

    @Test("AI over h2c: a blocked answer whose last frame began in an earlier packet (part of it already sent) resets the connection")
    func aiBlockedAnswerFrameSplit() throws {
        var c = try AIEngineTests.Conversation(policy: AIEngineTests.policy("secret: block"))
        c.connect()
        #expect(Self.aiSend(&c, toServer: true, Self.preface + Self.settings + Self.post(1, Self.streamAsk()) + Self.get(3, "/other")) == .forward)
        let answer = Self.leakingAnswer()
        let all = answer.first + answer.second
        let cut = answer.first.count + 9 + 9 + 5   // inside stream 1's last DATA frame
        #expect(Self.aiSend(&c, toServer: false, Array(all[..<cut])) == .forward)
        #expect(Self.aiSend(&c, toServer: false, Array(all[cut...])) == .reset(toClient: true, toServer: true))
    }

    @Test("the frame reader follows flow control: DATA lengths with padding, WINDOW_UPDATE, SETTINGS_INITIAL_WINDOW_SIZE, frame starts")
    func readerFlowControl() {
        let bytes = Self.preface + Self.initialWindow(1000) + Self.frame(8, 0, 0, [0x80, 0, 1, 0]) + Self.frame(8, 0, 5, [0, 0, 0, 7])
            + Self.frame(0, 0x08, 5, [3, 0x41, 0x42, 0, 0, 0]) + Self.frame(4, 0x01, 0, []) + Self.frame(8, 0, 5, [0, 0, 0, 0])
        for split in [1, 5, 7, bytes.count] {
            var reader = HTTP2FrameReader(isClient: true)
            let block = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
            defer { block.deallocate() }
            var events: [HTTP2FrameReader.Event] = []
            var starts: [Int64] = []
            var at = 0
            while at < bytes.count {
                let piece = Array(bytes[at..<min(bytes.count, at + split)])
                at += piece.count
                piece.withUnsafeBytes { p in
                    var rest = p
                    while true {
                        let (consumed, event) = reader.advance(rest, block: block, capacity: 64)
                        rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                        if case .dataFrame? = event { starts.append(reader.frameStart) }
                        if let event { events.append(event) } else if rest.isEmpty { break }
                    }
                }
            }
            #expect(reader.initialWindow == 1000 && reader.connectionGrants == 0x100, "the reserved bit ignored; split \(split)")
            #expect(reader.dataSent == 6 && reader.position == Int64(bytes.count))
            #expect(events.contains(.windowUpdate(stream: 5, increment: 7)) && events.contains(.dataFrame(stream: 5, length: 6)))
            #expect(!events.contains(.windowUpdate(stream: 5, increment: 0)), "a zero increment is not a grant")
            #expect(starts == [Int64(Self.preface.count + 15 + 13 + 13)], "split \(split)")
        }
        // A WINDOW_UPDATE of 300 bytes (the peer's error; found by the fuzzer, it trapped): no grant, no trap.
        var reader = HTTP2FrameReader(isClient: false)
        let long = Self.frame(8, 0, 1, [UInt8](repeating: 0xFF, count: 300)) + Self.frame(8, 0, 1, [0, 0, 0, 2])
        let block = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 1)
        defer { block.deallocate() }
        var events: [HTTP2FrameReader.Event] = []
        long.withUnsafeBytes { p in
            var rest = p
            while true {
                let (consumed, event) = reader.advance(rest, block: block, capacity: 64)
                rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
                if let event { events.append(event) } else if rest.isEmpty { break }
            }
        }
        #expect(events == [.windowUpdate(stream: 1, increment: 2)])
    }
}
