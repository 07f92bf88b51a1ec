#if canImport(Glibc)
import Glibc
#endif

/// How a streamed answer is framed.
enum AIStreamFraming: UInt8, Sendable {
    /// Server-sent events (`text/event-stream`): `data:` lines, an empty line ends an event.
    /// OpenAI, Anthropic, MCP.
    case serverSentEvents
    /// One JSON object a line (`application/x-ndjson`): Ollama.
    case jsonLines
}

/// Reassembles a streamed answer into its transcript as the bytes arrive, in any pieces:
/// events are cut from the (de-chunked, inflated) body, each event's JSON is read by the
/// operation's event schema, and the deltas are appended to one text, so the full answer,
/// its tool-call arguments and its usage end up in the transcript as if it had come whole.
/// Memory is fixed: one event of at most `eventCapacity` bytes is held at a time (a larger
/// one is counted in `oversizedEvents` and skipped); the text goes to the transcript's arena.
final class AIStreamDecoder {
    let eventCapacity: Int
    let line: UnsafeMutableRawPointer
    var lineLength = 0
    var lineOverflow = false
    let data: UnsafeMutableRawPointer
    var dataLength = 0
    var dataOverflow = false
    var framing = AIStreamFraming.serverSentEvents
    /// The current event was named `error` (`event: error`).
    var errorEvent = false
    /// Events larger than `eventCapacity`, skipped.
    private(set) var oversizedEvents = 0
    /// Error events the server sent.
    private(set) var errorEvents = 0

    /// The last event read in full that the next ones may repeat but for their text.
    var template = AIEventTemplate()
    /// Off: every event read in full (to compare the two readings in tests and the fuzzer).
    var usesTemplate = true

    init(eventCapacity: Int = 16 << 10) {
        self.eventCapacity = max(64, eventCapacity)
        line = .allocate(byteCount: self.eventCapacity, alignment: 8)
        data = .allocate(byteCount: self.eventCapacity, alignment: 8)
    }

    deinit {
        line.deallocate()
        data.deallocate()
        template.deallocate()
    }

    func reset(_ framing: AIStreamFraming) {
        self.framing = framing
        lineLength = 0; lineOverflow = false; dataLength = 0; dataOverflow = false
        errorEvent = false; oversizedEvents = 0; errorEvents = 0
        template.reset()
    }

    /// Feeds the next bytes of the body.
    func feed(_ bytes: UnsafeRawBufferPointer, schema: AIFieldSchema, into t: AITranscript) {
        var i = 0
        let n = bytes.count
        guard let base = bytes.baseAddress else { return }
        while i < n {
            let j = memchr(base + i, 0x0A, n - i).map { base.distance(to: UnsafeRawPointer($0)) } ?? n
            let piece = j - i
            // A line whole in these bytes is read where it is; only one cut by the packet's
            // end is gathered in `line`.
            if j < n && lineLength == 0 && !lineOverflow {
                endLine(UnsafeRawBufferPointer(start: base + i, count: piece), overflow: piece > eventCapacity, schema: schema, into: t)
                i = j + 1
                continue
            }
            if piece > 0 {
                if lineLength + piece <= eventCapacity {
                    (line + lineLength).copyMemory(from: base + i, byteCount: piece)
                    lineLength += piece
                } else {
                    lineOverflow = true
                }
            }
            guard j < n else { return }
            let overflow = lineOverflow
            let length = lineLength
            lineLength = 0
            lineOverflow = false
            endLine(UnsafeRawBufferPointer(start: line, count: length), overflow: overflow, schema: schema, into: t)
            i = j + 1
        }
    }

    /// The body ended: an event not closed by an empty line is still read.
    func finish(schema: AIFieldSchema, into t: AITranscript) {
        if lineLength > 0 {
            let (length, overflow) = (lineLength, lineOverflow)
            lineLength = 0
            lineOverflow = false
            endLine(UnsafeRawBufferPointer(start: line, count: length), overflow: overflow, schema: schema, into: t)
        }
        dispatch(schema: schema, into: t)
    }

    /// One line of the body (`overflow`: longer than `eventCapacity`, its bytes dropped).
    private func endLine(_ whole: UnsafeRawBufferPointer, overflow: Bool, schema: AIFieldSchema, into t: AITranscript) {
        var length = whole.count
        if length > 0 && whole[length - 1] == 0x0D { length -= 1 }
        let text = UnsafeRawBufferPointer(rebasing: whole[0..<length])
        switch framing {
        case .jsonLines:
            if overflow { oversizedEvents += 1; return }
            guard length > 0 else { return }
            t.events += 1
            read(text, schema: schema, into: t)
        case .serverSentEvents:
            if length == 0 && !overflow {
                dispatch(schema: schema, into: t)
                return
            }
            if overflow { dataOverflow = true; return }
            if AIStreamDecoder.field(text, "data") {
                var value = length > 5 ? 5 : length
                if value < length && text[value] == 0x20 { value += 1 }
                let payload = length - value
                let extra = dataLength > 0 ? 1 : 0
                guard dataLength + extra + payload <= eventCapacity else { dataOverflow = true; return }
                if extra == 1 { data.storeBytes(of: 0x0A, toByteOffset: dataLength, as: UInt8.self) }
                dataLength += extra
                if payload > 0 { (data + dataLength).copyMemory(from: text.baseAddress! + value, byteCount: payload) }
                dataLength += payload
            } else if AIStreamDecoder.field(text, "event") {
                let name = UnsafeRawBufferPointer(rebasing: text[min(length, 6)...])
                errorEvent = AIStreamDecoder.contains(name, "error")
            }
            // id:, retry: and comments (":") carry nothing to inspect.
        }
    }

    private func dispatch(schema: AIFieldSchema, into t: AITranscript) {
        defer { dataLength = 0; dataOverflow = false; errorEvent = false }
        if dataOverflow { oversizedEvents += 1; return }
        guard dataLength > 0 else { return }
        let payload = UnsafeRawBufferPointer(start: data, count: dataLength)
        if errorEvent { errorEvents += 1 }
        if JSONText.equals(payload, "[DONE]") {
            t.streamEnded = true
            return
        }
        t.events += 1
        read(payload, schema: schema, into: t)
    }

    /// One event's JSON: from the template when it repeats the last one read in full but for
    /// what may differ (`AIEventTemplate`), else parsed (and perhaps the next template).
    private func read(_ event: UnsafeRawBufferPointer, schema: AIFieldSchema, into t: AITranscript) {
        if usesTemplate && template.apply(event, to: t) { return }
        var o = AIEventObservation()
        let segments = t.segmentCount
        AIExtractor.run(event, schema: schema, into: t, delta: true, observing: &o)
        template.learn(event, observation: o, segmentsBefore: segments, transcript: t)
    }

    /// Whether a line is the SSE field `name` (`data:` / `data`).
    static func field(_ line: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        let n = name.utf8CodeUnitCount
        guard line.count >= n else { return false }
        for k in 0..<n where line[k] != name.utf8Start[k] { return false }
        return line.count == n || line[n] == UInt8(ascii: ":")
    }

    static func contains(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        outer: for s in 0...(bytes.count - n) {
            for k in 0..<n where bytes[s + k] != word.utf8Start[k] { continue outer }
            return true
        }
        return false
    }
}
