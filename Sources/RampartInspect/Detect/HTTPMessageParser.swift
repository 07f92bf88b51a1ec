/// One direction of an HTTP/1.x connection, parsed incrementally from the reassembled stream
/// into a fixed message buffer: the start line and headers, then the body, de-chunked,
/// up to the buffer's end. Requests and responses follow one another (keep-alive and
/// pipelining), each message's buffer reused.
///
/// The parser stops at each point detection wants (headers complete, message complete),
/// so the caller inspects, then feeds the rest: no callbacks, no allocation. Bodies are
/// not decompressed (`Content-Encoding: gzip` bodies are inspected as sent).
@usableFromInline
struct HTTPMessageParser: Sendable {
    enum Mode: UInt8, Sendable {
        /// Waiting for a message's first bytes.
        case start
        /// Reading the start line and headers.
        case headers
        case body
        /// Not HTTP, or a message too large or malformed to follow: the direction is no
        /// longer parsed.
        case off
    }

    enum BodyKind: UInt8, Sendable { case none, length, chunked, untilClose }

    enum ChunkState: UInt8, Sendable { case size, sizeLine, data, dataEnd, trailer }

    /// What `advance` stopped at.
    enum Event: Sendable {
        case headersComplete
        case messageComplete
        /// The body filled the buffer: inspect what is there (the rest is not kept).
        case bodyFull
    }

    var mode: Mode = .start
    var isResponse = false
    /// Bytes of the current message in the buffer; the header block's length.
    var length = 0
    var headerEnd = 0
    var body: BodyKind = .none
    var remaining: Int64 = 0
    var chunk: ChunkState = .size
    var bodyFullReported = false
    /// The response parser: the request it answers was HEAD, so it has no body whatever its
    /// Content-Length says (set by the request side).
    var expectNoBody = false
    var messages = 0

    init(isResponse: Bool) { self.isResponse = isResponse }

    /// Consumes bytes from `input` until an event or the end: the bytes consumed and the
    /// event. `buffer` is the message buffer (`capacity` bytes).
    mutating func advance(_ input: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer, capacity: Int)
        -> (consumed: Int, event: Event?) {
        var none = NoFileBytes()
        return advance(input, buffer: buffer, capacity: capacity, consumer: &none)
    }

    /// As above, handing every body byte (de-chunked, whole: also past the buffer) to
    /// `consumer`, the file being read.
    mutating func advance<C: FileBytesConsumer>(_ input: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer,
                                                capacity: Int, consumer: inout C) -> (consumed: Int, event: Event?) {
        var i = 0
        let n = input.count
        while i < n {
            switch mode {
            case .off:
                return (n, nil)
            case .start:
                // Blank lines between messages are skipped, as servers do.
                let b = input[i]
                if b == 0x0D || b == 0x0A { i += 1; continue }
                guard HTTPMessageParser.startsMessage(b, isResponse: isResponse) else {
                    mode = .off
                    return (n, nil)
                }
                mode = .headers
                length = 0
                headerEnd = 0
                bodyFullReported = false
            case .headers:
                // Copy up to the end of the header block (an empty line).
                while i < n {
                    guard length < capacity else {
                        mode = .off  // a header block larger than the buffer
                        return (n, nil)
                    }
                    let b = input[i]
                    buffer.storeBytes(of: b, toByteOffset: length, as: UInt8.self)
                    length += 1
                    i += 1
                    if b == 0x0A && HTTPMessageParser.endsHeaderBlock(buffer, length) {
                        headerEnd = length
                        guard startBody(UnsafeRawBufferPointer(start: buffer, count: length)) else {
                            mode = .off
                            return (i, nil)
                        }
                        messages += 1
                        return (i, .headersComplete)
                    }
                }
            case .body:
                if body == .none {
                    mode = .start
                    return (i, .messageComplete)
                }
                if body == .chunked {
                    if let event = advanceChunked(input, &i, buffer: buffer, capacity: capacity, consumer: &consumer) { return (i, event) }
                    continue
                }
                let take: Int
                if body == .length {
                    take = Int(min(Int64(n - i), remaining))
                } else {
                    take = n - i
                }
                let event = store(UnsafeRawBufferPointer(rebasing: input[i..<(i + take)]), buffer: buffer, capacity: capacity,
                                  consumer: &consumer)
                i += take
                if body == .length {
                    remaining -= Int64(take)
                    if remaining == 0 {
                        mode = .start
                        return (i, .messageComplete)
                    }
                }
                if let event { return (i, event) }
            }
        }
        // A message without a body ends with its headers.
        if mode == .body && body == .none {
            mode = .start
            return (i, .messageComplete)
        }
        return (i, nil)
    }

    /// Appends body bytes that fit; reports `.bodyFull` once, when the buffer fills.
    mutating func store<C: FileBytesConsumer>(_ bytes: UnsafeRawBufferPointer, buffer: UnsafeMutableRawPointer, capacity: Int,
                                              consumer: inout C) -> Event? {
        if !bytes.isEmpty { consumer.fileBytes(bytes) }
        let room = capacity - length
        let take = min(room, bytes.count)
        if take > 0 {
            (buffer + length).copyMemory(from: bytes.baseAddress!, byteCount: take)
            length += take
        }
        if take < bytes.count && !bodyFullReported {
            bodyFullReported = true
            return .bodyFull
        }
        return nil
    }

    mutating func advanceChunked<C: FileBytesConsumer>(_ input: UnsafeRawBufferPointer, _ i: inout Int,
                                                       buffer: UnsafeMutableRawPointer, capacity: Int,
                                                       consumer: inout C) -> Event? {
        let n = input.count
        while i < n {
            let b = input[i]
            switch chunk {
            case .size:
                if let d = BufferTransformer.hexValue(b) {
                    guard remaining < 1 << 40 else { mode = .off; return nil }
                    remaining = remaining << 4 | Int64(d)
                    i += 1
                } else if b == UInt8(ascii: ";") || b == 0x20 || b == 0x09 || b == 0x0D {
                    chunk = .sizeLine
                    i += 1
                } else if b == 0x0A {
                    i += 1
                    chunk = remaining == 0 ? .trailer : .data
                } else {
                    mode = .off
                    return nil
                }
            case .sizeLine:
                i += 1
                if b == 0x0A { chunk = remaining == 0 ? .trailer : .data }
            case .data:
                let take = Int(min(Int64(n - i), remaining))
                let event = store(UnsafeRawBufferPointer(rebasing: input[i..<(i + take)]), buffer: buffer, capacity: capacity,
                                  consumer: &consumer)
                i += take
                remaining -= Int64(take)
                if remaining == 0 { chunk = .dataEnd }
                if let event { return event }
            case .dataEnd:
                i += 1
                if b == 0x0A {
                    chunk = .size
                    remaining = 0
                }
            case .trailer:
                // Trailer lines up to an empty one; only the empty line is looked for.
                i += 1
                if b == 0x0A {
                    if remaining == 0 {
                        mode = .start
                        chunk = .size
                        return .messageComplete
                    }
                    remaining = 0
                } else if b != 0x0D {
                    remaining = 1  // inside a trailer line
                }
            }
        }
        return nil
    }

    /// Reads the header block for the body's framing (RFC 9112 §6.3).
    mutating func startBody(_ header: UnsafeRawBufferPointer) -> Bool {
        mode = .body
        remaining = 0
        chunk = .size
        let fields = HTTPHeaderFields(header)
        guard let line = fields.startLine else { return false }
        if isResponse {
            let status = HTTPHeaderFields.statusCode(line)
            guard let status else { return false }
            if (100..<200).contains(status) || status == 204 || status == 304 || expectNoBody {
                if status >= 200 { expectNoBody = false }  // the HEAD's final answer has come
                body = .none
                return true
            }
        } else {
            guard HTTPHeaderFields.requestLine(line) != nil else { return false }
        }
        if let te = fields.value(named: "transfer-encoding"), HTTPHeaderFields.containsChunked(te) {
            body = .chunked
        } else if let cl = fields.value(named: "content-length") {
            guard let length = HTTPHeaderFields.decimal(cl) else { return false }
            body = length > 0 ? .length : .none
            remaining = length
        } else {
            body = isResponse ? .untilClose : .none
        }
        return true
    }

    static func startsMessage(_ b: UInt8, isResponse: Bool) -> Bool {
        isResponse ? b == UInt8(ascii: "H") : (b >= 0x41 && b <= 0x5A)
    }

    /// Whether the buffer ends with an empty line (CRLFCRLF, or LFLF / LFCRLF).
    @inline(__always)
    static func endsHeaderBlock(_ buffer: UnsafeMutableRawPointer, _ length: Int) -> Bool {
        func at(_ k: Int) -> UInt8 { buffer.load(fromByteOffset: k, as: UInt8.self) }
        if length >= 2 && at(length - 2) == 0x0A { return true }
        return length >= 3 && at(length - 2) == 0x0D && at(length - 3) == 0x0A
    }
}
