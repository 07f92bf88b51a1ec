/// A blocked HTTP/2 request answered on its own stream, as the API would answer it: the
/// firewall's HTTP/1 answer (`403`, `Content-Type`, the error JSON) rewritten as a HEADERS
/// frame and a DATA frame that ends the stream, then GOAWAY (no error; the last stream the
/// client may count as processed is the blocked one or a later one that reached the
/// server), so the SDK reads the API's error rather than a broken connection. A blocked
/// answer's stream is ended likewise (`streamEnd`). The header block uses only literal fields without
/// indexing (static-table names at most), so it neither reads nor changes the client's
/// HPACK dynamic table.
///
/// ```swift
/// let frames = HTTP2BlockAnswer.frames(stream: 3, answer: AIDecision.blockResponse(.chatCompletions, reason: "x"))
/// ```
public enum HTTP2BlockAnswer {
    /// The largest DATA payload sent: SETTINGS_MAX_FRAME_SIZE's floor (RFC 9113 6.5.2), so
    /// every client takes it whatever it set.
    public static let maxBody = 16_384

    /// The frames for `answer` (an HTTP/1 response: status line, headers, body) on
    /// `stream`, the GOAWAY naming `lastStream` (at least `stream`); nil when the body does not
    /// fit one DATA frame or the `window` the client's flow control leaves on the stream.
    public static func frames(stream: UInt32, answer: [UInt8], lastStream: UInt32 = 0, window: Int64 = 65_535) -> [UInt8]? {
        guard let split = headEnd(answer), stream > 0, stream & 0x8000_0000 == 0 else { return nil }
        let head = String(decoding: answer[..<split], as: UTF8.self)
        let body = Array(answer[(split + 4)...])
        guard body.count <= maxBody, Int64(body.count) <= window else { return nil }
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let statusLine = lines.first else { return nil }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[1].utf8.count == 3, Int(parts[1]) != nil else { return nil }
        var block: [UInt8] = []
        literal(index: 8, value: Array(parts[1].utf8), into: &block)          // :status
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = Array(line[line.index(after: colon)...].drop { $0 == " " }.utf8)
            switch name {
            case "content-type": literal(index: 31, value: value, into: &block)
            case "cache-control": literal(index: 24, value: value, into: &block)
            case "content-length", "connection": continue   // length: from DATA; connection: not HTTP/2's
            default: literal(name: Array(name.utf8), value: value, into: &block)
            }
        }
        literal(index: 28, value: Array(String(body.count).utf8), into: &block)   // content-length
        var out: [UInt8] = []
        frame(type: 0x1, flags: 0x4, stream: stream, payload: block, into: &out)             // HEADERS, END_HEADERS
        frame(type: 0x0, flags: 0x1, stream: stream, payload: body, into: &out)              // DATA, END_STREAM
        goaway(lastStream: max(stream, lastStream), into: &out)
        return out
    }

    /// A blocked answer's stream ended in the client's view: an event stream's closing error
    /// `event` in a DATA frame with END_STREAM, or (no event: a whole answer, which cannot be
    /// finished well-formed) RST_STREAM with CANCEL; then GOAWAY naming `lastStream`. Nil when
    /// the event does not fit one DATA frame or the client's flow-control `window`.
    public static func streamEnd(stream: UInt32, event: [UInt8]?, lastStream: UInt32, window: Int64) -> [UInt8]? {
        guard stream > 0, stream & 0x8000_0000 == 0 else { return nil }
        var out: [UInt8] = []
        if let event {
            guard event.count <= maxBody, Int64(event.count) <= window else { return nil }
            frame(type: 0x0, flags: 0x1, stream: stream, payload: event, into: &out)         // DATA, END_STREAM
        } else {
            frame(type: 0x3, flags: 0, stream: stream, payload: be32(0x8), into: &out)       // RST_STREAM, CANCEL
        }
        goaway(lastStream: max(stream, lastStream), into: &out)
        return out
    }

    /// GOAWAY with NO_ERROR: streams up to `lastStream` may have been processed, later ones
    /// were not (the client may retry them).
    static func goaway(lastStream: UInt32, into out: inout [UInt8]) {
        frame(type: 0x7, flags: 0, stream: 0, payload: be32(lastStream & 0x7FFF_FFFF) + be32(0), into: &out)
    }

    /// An empty SETTINGS frame (the server's connection preface, all defaults) and the
    /// acknowledgement of the client's SETTINGS, for an answer before the server spoke.
    public static let serverPreface: [UInt8] = [0, 0, 0, 0x4, 0, 0, 0, 0, 0] + [0, 0, 0, 0x4, 0x1, 0, 0, 0, 0]

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A {
            return i
        }
        return nil
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8], into out: inout [UInt8]) {
        let n = payload.count
        out += [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF), type, flags]
        out += be32(stream & 0x7FFF_FFFF)
        out += payload
    }

    /// RFC 7541 5.1: an integer with an N-bit prefix, the first byte's other bits `high`.
    static func integer(_ value: Int, prefixBits: Int, high: UInt8, into out: inout [UInt8]) {
        let limit = (1 << prefixBits) - 1
        guard value >= limit else {
            out.append(high | UInt8(value))
            return
        }
        out.append(high | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest & 0x7F) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }

    /// A string literal, not Huffman-coded.
    static func string(_ bytes: [UInt8], into out: inout [UInt8]) {
        integer(bytes.count, prefixBits: 7, high: 0, into: &out)
        out += bytes
    }

    /// RFC 7541 6.2.2: literal header field without indexing, the name from the static table.
    static func literal(index: Int, value: [UInt8], into out: inout [UInt8]) {
        integer(index, prefixBits: 4, high: 0, into: &out)
        string(value, into: &out)
    }

    /// The same with a literal name.
    static func literal(name: [UInt8], value: [UInt8], into out: inout [UInt8]) {
        out.append(0)
        string(name, into: &out)
        string(value, into: &out)
    }
}
