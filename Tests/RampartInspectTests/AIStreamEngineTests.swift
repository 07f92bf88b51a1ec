import RampartPolicy
import RampartWire
import Testing
@testable import RampartInspect

/// Streamed AI answers inspected as they flow (`AIStreamTable`): a detection ends the stream
/// at the packet that completes it, not at the stream's end; an answer longer than the
/// message buffer is read whole; the table's limit is counted and logged, and an answer
/// that finds it full is still inspected from the buffer at its end.
@Suite struct AIStreamEngineTests {
    typealias Conversation = AIEngineTests.Conversation

    static let ask = #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"tell me"}]}"#

    static func chunk(_ text: String) -> String {
        let event = "data: {\"choices\":[{\"delta\":{\"content\":\"\(text)\"}}]}\n\n"
        return String(event.utf8.count, radix: 16) + "\r\n" + event + "\r\n"
    }

    /// The server's next segment.
    static func serve(_ c: inout Conversation, _ text: String) -> Verdict {
        let bytes = Array(text.utf8)
        let v = c.send(TableLimitTests.tcp("10.0.0.2", 8000, "10.0.0.1", c.port, seq: c.serverSeq, ack: c.clientSeq, flags: 0x18, bytes))
        c.serverSeq += UInt32(bytes.count)
        return v
    }

    static let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

    @Test("a key cut between two events ends the stream at the packet that completes it, not at the stream's end")
    func secretEndsTheStreamEarly() throws {
        var c = try Conversation(policy: AIEngineTests.policy("secret: block"))
        c.connect()
        #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
        #expect(Self.serve(&c, Self.head) == .forward)
        for _ in 0..<5 { #expect(Self.serve(&c, Self.chunk("some words ")) == .forward) }
        #expect(Self.serve(&c, Self.chunk("the key is AKIAIOSF")) == .forward)
        // The rest of the key: this packet is replaced by the stream's error event.
        #expect(Self.serve(&c, Self.chunk("ODNN7EXAMPLE and more")) == .respond)
        #expect(c.engine.aiResponseReplacesPacket)
        let closing = String(decoding: c.engine.aiResponse ?? [], as: UTF8.self)
        #expect(!closing.contains("ODNN7EXAMPLE"), "the packet completing the key is not sent on")
        #expect(closing.contains("event: error") && closing.hasSuffix("\r\n0\r\n\r\n"))
        let r = try #require(c.sink.ai.first)
        #expect(r.stream && r.action == "blocked" && r.detections.first?.type == "aws-access-key-id")
        #expect(r.detections.first?.span == "AKIA**************LE")
        // The stream goes no further, and its end writes no second record.
        #expect(Self.serve(&c, Self.chunk("more")) == .drop)
        #expect(c.sink.ai.count == 1)
    }

    @Test("a streamed answer four times the message buffer is read whole: a key at its end is found")
    func longStreamIsReadWhole() throws {
        var c = try Conversation(policy: AIEngineTests.policy("secret: alert, personal-data: alert"))
        c.connect()
        #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
        #expect(Self.serve(&c, Self.head) == .forward)
        var sent = 0
        while sent < 4 * 16_384 {
            let piece = Self.chunk("one more sentence of a long answer, ")
            #expect(Self.serve(&c, piece) == .forward)
            sent += piece.utf8.count
        }
        #expect(Self.serve(&c, Self.chunk("and the key: AKIAIOSFODNN7EXAMPLE.")) == .forward)
        #expect(Self.serve(&c, "0\r\n\r\n") == .forward)
        let r = try #require(c.sink.ai.first)
        #expect(r.stream && r.action == "alerted" && r.detections.map(\.type) == ["aws-access-key-id"])
        #expect(c.sink.ai.count == 1, "one record for the stream")
    }

    @Test("a benign stream leaves no record and every packet passes; its slot is freed at its end")
    func benignStream() throws {
        var c = try Conversation(policy: AIEngineTests.policy("secret: block, personal-data: block, prompt-injection: block"))
        for _ in 0..<3 {
            c.connect()
            #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
            #expect(Self.serve(&c, Self.head) == .forward)
            for word in ["Paris ", "is ", "the ", "capital ", "of ", "France."] { #expect(Self.serve(&c, Self.chunk(word)) == .forward) }
            #expect(Self.serve(&c, "0\r\n\r\n") == .forward)
        }
        #expect(c.sink.ai.isEmpty)
        #expect(c.engine.ai?.streams.inUse == 0 && c.engine.ai?.streams.opened == 3)
    }

    @Test("the stream table's limit: a stream past it is counted and logged, and inspected from the buffer at its end")
    func tableFull() throws {
        var configuration = EngineConfiguration()
        configuration.aiStreams = 1
        var c = try Conversation(policy: AIEngineTests.policy("secret: alert"))
        c.engine = Engine(configuration: configuration,
                          policy: try PolicyMatcher(PolicyLoader.load(yaml: AIEngineTests.policy("secret: alert"), file: "p.yaml"), tags: []))
        // The first stream holds the only slot (never ended).
        c.connect()
        #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
        #expect(Self.serve(&c, Self.head) == .forward)
        #expect(Self.serve(&c, Self.chunk("still going")) == .forward)
        // The second finds the table full.
        c.connect()
        #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
        #expect(Self.serve(&c, Self.head) == .forward)
        #expect(c.engine.statistics.limits[.aiStreams] == 1)
        #expect(c.sink.anomalies.contains { $0.event == .aiStreamTableFull })
        #expect(Self.serve(&c, Self.chunk("the key: AKIAIOSFODNN7EXAMPLE")) == .forward)
        #expect(Self.serve(&c, "0\r\n\r\n") == .forward)
        #expect(c.sink.ai.first?.detections.first?.type == "aws-access-key-id", "found from the message buffer at the end")
    }

    @Test("one client holds at most a quarter of the stream table: its next stream is refused, another client's is not")
    func perClientShare() throws {
        var configuration = EngineConfiguration()
        configuration.aiStreams = 8
        var c = try Conversation(policy: AIEngineTests.policy("secret: alert"))
        c.engine = Engine(configuration: configuration,
                          policy: try PolicyMatcher(PolicyLoader.load(yaml: AIEngineTests.policy("secret: alert"), file: "p.yaml"), tags: []))
        // Client 10.0.0.1 opens three streams (never ended): two slots, the third refused.
        for _ in 0..<3 {
            c.connect()
            #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
            #expect(Self.serve(&c, Self.head) == .forward)
        }
        #expect(c.engine.ai?.streams.inUse == 2 && c.engine.statistics.limits[.aiStreams] == 1)
        #expect(c.sink.anomalies.contains { $0.event == .aiStreamTableFull })
        // Client 10.0.0.3 still gets one.
        func send(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16, seq: UInt32, ack: UInt32, flags: UInt8,
                  _ bytes: [UInt8] = []) -> Verdict {
            c.send(TableLimitTests.tcp(src, sport, dst, dport, seq: seq, ack: ack, flags: flags, bytes))
        }
        let body = Array(Self.ask.utf8)
        let request = Array("POST /v1/chat/completions HTTP/1.1\r\nHost: llm\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        _ = send("10.0.0.3", 41000, "10.0.0.2", 8000, seq: 99, ack: 0, flags: 0x02)
        _ = send("10.0.0.2", 8000, "10.0.0.3", 41000, seq: 499, ack: 100, flags: 0x12)
        _ = send("10.0.0.3", 41000, "10.0.0.2", 8000, seq: 100, ack: 500, flags: 0x10)
        #expect(send("10.0.0.3", 41000, "10.0.0.2", 8000, seq: 100, ack: 500, flags: 0x18, request) == .forward)
        #expect(send("10.0.0.2", 8000, "10.0.0.3", 41000, seq: 500, ack: 100 + UInt32(request.count), flags: 0x18,
                     Array(Self.head.utf8)) == .forward)
        #expect(c.engine.ai?.streams.inUse == 3 && c.engine.statistics.limits[.aiStreams] == 1)
    }

    @Test("over HTTP/2: a key in a middle DATA frame ends the stream at that packet, the frames after it not sent")
    func http2StreamEndsEarly() throws {
        typealias H = HTTP2BodyTests
        var c = try Conversation(policy: AIEngineTests.policy("secret: block"))
        c.connect()
        #expect(H.aiSend(&c, toServer: true, H.preface + H.settings + H.post(1, Self.ask)) == .forward)
        let head = H.block([(":status", "200"), ("content-type", "text/event-stream")])
        func event(_ text: String) -> [UInt8] { Array("data: {\"choices\":[{\"delta\":{\"content\":\"\(text)\"}}]}\n\n".utf8) }
        #expect(H.aiSend(&c, toServer: false, H.settings + H.frame(1, 0x04, 1, head) + H.frame(0, 0, 1, event("Here: "))) == .forward)
        #expect(H.aiSend(&c, toServer: false, H.frame(0, 0, 1, event("AKIAIOSFODNN7EXAMPLE"))) == .respond)
        let sent = try #require(c.engine.aiResponse)
        #expect(sent == H.frame(0, 0x01, 1, AIDecision.streamError(.chatCompletions, reason: "secret")) + H.frame(7, 0, 0, [0, 0, 0, 1, 0, 0, 0, 0]))
        #expect(c.sink.ai.first?.action == "blocked")
    }

    @Test("values written with spaces and cut between events are seen whole: an IBAN, a card number",
          arguments: [["Pay to DE89 37", "04 0044 0532 01", "30 00 today."], ["Card: 4111 1111", " 1111 1111 ok"]])
    func spacedValuesAcrossEvents(pieces: [String]) throws {
        var c = try Conversation(policy: AIEngineTests.policy("personal-data: block"))
        c.connect()
        #expect(c.post("/v1/chat/completions", Self.ask) == .forward)
        #expect(Self.serve(&c, Self.head) == .forward)
        var verdicts: [Verdict] = []
        for p in pieces { verdicts.append(Self.serve(&c, Self.chunk(p))) }
        #expect(verdicts.last == .respond, "\(verdicts)")
        #expect(verdicts.dropLast().allSatisfy { $0 == .forward })
        #expect(c.sink.ai.first?.detections.first?.kind == "personal-data")
    }

    @Test("where a stream is looked at again: the word under way, and 48 bytes back only near digits, +, - or @")
    func resumePoints() {
        func resume(_ text: String, _ from: Int) -> Int {
            Array(text.utf8).withUnsafeBytes { AIInspector.resumePoint($0, from: from) }
        }
        #expect(resume("some plain words then AKIAIOSF", 30) == 22)         // the key's start
        let long = String(repeating: "word ", count: 20) + "IBAN DE89 3704 00"
        #expect(resume(long, long.utf8.count) <= 100 + 5, "back past the IBAN's start")
        #expect(resume("abc", 0) == 0)
        let far = String(repeating: "x", count: 3000)
        #expect(resume(far, 3000) == 3000 - AIInspector.overlap)
    }
}
