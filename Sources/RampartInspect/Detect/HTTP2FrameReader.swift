/// One direction of a cleartext HTTP/2 connection (RFC 9113 sections 4 and 6), read
/// incrementally from the reassembled stream: frames may be cut anywhere between packets.
///
/// Like `HTTPMessageParser`, the reader stops at each point the engine acts on and returns
/// it as an event: a whole header block (HEADERS or PUSH_PROMISE with its CONTINUATIONs,
/// padding and priority fields removed, copied into the caller's block buffer), a run of
/// DATA bytes (padding removed, a range of the input: never copied), a stream's end
/// (END_STREAM on DATA or HEADERS), a stream reset. For the frames the firewall itself may
/// put into the connection (a blocked AI exchange answered on its stream), it follows flow
/// control as far as a sender must: a DATA frame's length at its start, WINDOW_UPDATE
/// increments (the connection's kept here, a stream's returned as an event), and the
/// sender's SETTINGS_INITIAL_WINDOW_SIZE. It also keeps where each frame began in the
/// direction's byte stream, so frames of its own can be put at a frame boundary. PING,
/// PRIORITY, GOAWAY, other settings and unknown frame types are skipped. No callbacks, no
/// allocation.
///
/// Malformed framing (a bad preface, a padding longer than its frame, a CONTINUATION out
/// of place, a header block larger than the buffer: the HPACK state is then lost) turns
/// the direction off: it is no longer read, and `problem` says why.
///
/// ```swift
/// var reader = HTTP2FrameReader(isClient: true)
/// let (consumed, event) = reader.advance(bytes, block: buffer, capacity: 16_384)
/// if case .headers(let stream, let endStream)? = event { /* HPACK-decode reader.blockLength bytes */ }
/// ```
struct HTTP2FrameReader: Sendable {
    enum Mode: UInt8, Sendable {
        /// The client's connection preface (`PRI * HTTP/2.0...`), checked byte by byte.
        case preface
        /// Collecting a frame's 9-byte header.
        case frameHeader
        case payload
        case off
    }

    /// Where the reader is inside a frame's payload.
    enum Part: UInt8, Sendable { case padLength, prefix, content, padding }

    enum Event: Equatable, Sendable {
        /// A whole header block of `stream` is in the block buffer (`blockLength` bytes).
        /// `promised` is a PUSH_PROMISE's block (decoded to keep HPACK in step; not a request).
        case headers(stream: UInt32, endStream: Bool, promised: Bool)
        /// DATA bytes of `stream`: `range` of the input given to `advance`.
        case data(stream: UInt32, range: Range<Int>)
        /// END_STREAM on a DATA frame.
        case endStream(UInt32)
        /// RST_STREAM.
        case reset(UInt32)
        /// A DATA frame of `length` bytes (padding included: what flow control counts) begins.
        case dataFrame(stream: UInt32, length: Int)
        /// WINDOW_UPDATE on a stream (the connection's, stream 0, is kept in `connectionGrants`).
        case windowUpdate(stream: UInt32, increment: Int)
    }

    /// Why the reader stopped (`mode == .off`).
    enum Problem: UInt8, Sendable {
        case none, badPreface, streamZero, badPadding, continuationExpected, unexpectedContinuation, blockTooLarge
    }

    static let preface: StaticString = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    var mode: Mode
    var problem = Problem.none
    var prefaceRead: UInt8 = 0
    /// The frame header being collected, and the frame being read.
    var headerRead: UInt8 = 0
    var length = 0
    var type: UInt8 = 0
    var flags: UInt8 = 0
    var stream: UInt32 = 0
    var part = Part.content
    /// Bytes left in the current part; the frame's padding (after its content).
    var left = 0
    var padding = 0
    /// The header block being gathered: its bytes in the caller's buffer, its stream, whether
    /// its HEADERS ended the stream, whether it is a PUSH_PROMISE's, and whether it waits for
    /// a CONTINUATION.
    var blockLength = 0
    var blockStream: UInt32 = 0
    var blockEndStream = false
    var blockPromised = false
    var inBlock = false
    /// Frames read whole (for tests and statistics).
    var frames = 0
    /// Bytes consumed since the direction began; where the current (or last) frame began,
    /// and the HEADERS or PUSH_PROMISE that began the current (or last) header block; where
    /// the packet being read began (set by the caller).
    var position: Int64 = 0
    var frameStart: Int64 = 0
    var blockStart: Int64 = 0
    var packetStart: Int64 = 0
    /// Flow control as the sender of this direction grants it to its peer: its
    /// SETTINGS_INITIAL_WINDOW_SIZE (each stream's first window) and the sum of its
    /// WINDOW_UPDATE increments for the connection. And what this direction spent: the
    /// length of every DATA frame it sent (the connection's window is counted in those).
    var initialWindow: Int64 = 65_535
    var connectionGrants: Int64 = 0
    var dataSent: Int64 = 0
    /// A SETTINGS or WINDOW_UPDATE payload being read: bytes of the entry so far, and its value.
    var fieldRead: UInt8 = 0
    var fieldValue: UInt64 = 0

    init(isClient: Bool) { mode = isClient ? .preface : .frameHeader }

    /// Between two frames and outside a header block (no CONTINUATION awaited): frames of
    /// the firewall's own can be put into this direction here without breaking it.
    var atFrameBoundary: Bool { mode == .frameHeader && headerRead == 0 && !inBlock }

    static let data: UInt8 = 0, headers: UInt8 = 1, rstStream: UInt8 = 3, settings: UInt8 = 4, pushPromise: UInt8 = 5,
               windowUpdate: UInt8 = 8, continuation: UInt8 = 9
    static let ackFlag: UInt8 = 0x01
    static let endStreamFlag: UInt8 = 0x01, endHeadersFlag: UInt8 = 0x04, paddedFlag: UInt8 = 0x08, priorityFlag: UInt8 = 0x20

    /// Consumes bytes from `input` until an event or the input's end: the bytes consumed and
    /// the event. `block` is the header block buffer (`capacity` bytes); its bytes are the
    /// block's until the next call. Call again, also with no input left, until it returns no
    /// event: a frame's end can follow the data event it ends.
    mutating func advance(_ input: UnsafeRawBufferPointer, block: UnsafeMutableRawPointer, capacity: Int)
        -> (consumed: Int, event: Event?) {
        let result = read(input, block: block, capacity: capacity)
        position &+= Int64(result.consumed)
        return result
    }

    private mutating func read(_ input: UnsafeRawBufferPointer, block: UnsafeMutableRawPointer, capacity: Int)
        -> (consumed: Int, event: Event?) {
        if let event = settle() { return (0, event) }
        var i = 0
        let n = input.count
        while i < n {
            switch mode {
            case .off:
                return (n, nil)
            case .preface:
                let p = HTTP2FrameReader.preface
                while i < n && Int(prefaceRead) < p.utf8CodeUnitCount {
                    guard input[i] == p.utf8Start[Int(prefaceRead)] else { return stop(.badPreface, n) }
                    prefaceRead += 1
                    i += 1
                }
                if Int(prefaceRead) == p.utf8CodeUnitCount { mode = .frameHeader }
            case .frameHeader:
                if headerRead == 0 { frameStart = position + Int64(i) }
                while i < n && headerRead < 9 {
                    let b = input[i]
                    switch headerRead {
                    case 0: length = Int(b) << 16
                    case 1: length |= Int(b) << 8
                    case 2: length |= Int(b)
                    case 3: type = b
                    case 4: flags = b
                    case 5: stream = UInt32(b & 0x7F) << 24
                    case 6: stream |= UInt32(b) << 16
                    case 7: stream |= UInt32(b) << 8
                    default: stream |= UInt32(b)
                    }
                    headerRead += 1
                    i += 1
                }
                guard headerRead == 9 else { return (i, nil) }
                headerRead = 0
                if let problem = beginFrame() { return stop(problem, n) }
                if type == HTTP2FrameReader.data && length > 0 {
                    dataSent &+= Int64(length)
                    return (i, .dataFrame(stream: stream, length: length))
                }
            case .payload:
                switch part {
                case .padLength:
                    padding = Int(input[i])
                    i += 1
                    left = 0
                    let rest = length - 1 - prefixBytes
                    guard padding <= rest else { return stop(.badPadding, n) }
                    contentLength = rest - padding
                    part = .prefix
                    left = prefixBytes
                case .prefix, .padding:
                    let take = min(left, n - i)
                    i += take
                    left -= take
                case .content:
                    let take = min(left, n - i)
                    let range = i..<(i + take)
                    i += take
                    left -= take
                    if take > 0 && type == HTTP2FrameReader.data { return (i, .data(stream: stream, range: range)) }
                    if take > 0 && isBlockFrame {
                        guard blockLength + take <= capacity else { return stop(.blockTooLarge, n) }
                        (block + blockLength).copyMemory(from: input.baseAddress! + range.lowerBound, byteCount: take)
                        blockLength += take
                    } else if take > 0 && (type == HTTP2FrameReader.settings || type == HTTP2FrameReader.windowUpdate) {
                        for k in range { readField(input[k]) }
                    }
                }
            }
            if let event = settle() { return (i, event) }
        }
        return (i, nil)
    }

    /// Content bytes of the current frame (after its pad length and prefix, before its padding).
    var contentLength = 0
    /// Bytes before the content: a HEADERS frame's priority fields, a PUSH_PROMISE's stream id.
    var prefixBytes: Int {
        if type == HTTP2FrameReader.headers && flags & HTTP2FrameReader.priorityFlag != 0 { return 5 }
        if type == HTTP2FrameReader.pushPromise { return 4 }
        return 0
    }

    var isBlockFrame: Bool {
        type == HTTP2FrameReader.headers || type == HTTP2FrameReader.continuation || type == HTTP2FrameReader.pushPromise
    }

    /// Checks a frame's header and sets up the reading of its payload.
    private mutating func beginFrame() -> Problem? {
        if inBlock && (type != HTTP2FrameReader.continuation || stream != blockStream) { return .continuationExpected }
        switch type {
        case HTTP2FrameReader.data, HTTP2FrameReader.headers, HTTP2FrameReader.pushPromise:
            guard stream != 0 else { return .streamZero }
        case HTTP2FrameReader.continuation:
            guard inBlock else { return .unexpectedContinuation }
        default:
            break
        }
        fieldRead = 0
        fieldValue = 0
        if type == HTTP2FrameReader.headers || type == HTTP2FrameReader.pushPromise {
            blockStart = frameStart
            blockLength = 0
            blockStream = stream
            blockEndStream = type == HTTP2FrameReader.headers && flags & HTTP2FrameReader.endStreamFlag != 0
            blockPromised = type == HTTP2FrameReader.pushPromise
        }
        mode = .payload
        padding = 0
        let padded = flags & HTTP2FrameReader.paddedFlag != 0
            && (type == HTTP2FrameReader.data || type == HTTP2FrameReader.headers || type == HTTP2FrameReader.pushPromise)
        if padded {
            guard length >= 1 else { return .badPadding }
            part = .padLength
            left = 1
        } else {
            guard length >= prefixBytes else { return .badPadding }
            contentLength = length - prefixBytes
            part = .prefix
            left = prefixBytes
        }
        return nil
    }

    /// Moves past the parts of the frame that are done; at the frame's end, the event it
    /// makes, and back to reading frame headers.
    private mutating func settle() -> Event? {
        while mode == .payload && left == 0 {
            switch part {
            case .padLength:
                return nil
            case .prefix:
                part = .content
                left = contentLength
            case .content:
                part = .padding
                left = padding
            case .padding:
                mode = .frameHeader
                frames += 1
                return frameEvent()
            }
        }
        return nil
    }

    private mutating func frameEvent() -> Event? {
        switch type {
        case HTTP2FrameReader.data:
            return flags & HTTP2FrameReader.endStreamFlag != 0 ? .endStream(stream) : nil
        case HTTP2FrameReader.headers, HTTP2FrameReader.pushPromise, HTTP2FrameReader.continuation:
            guard flags & HTTP2FrameReader.endHeadersFlag != 0 else {
                inBlock = true
                return nil
            }
            inBlock = false
            return .headers(stream: blockStream, endStream: blockEndStream, promised: blockPromised)
        case HTTP2FrameReader.rstStream:
            return .reset(stream)
        case HTTP2FrameReader.windowUpdate:
            // RFC 9113 6.9: 4 bytes, the reserved bit ignored; 0 or another length is the
            // peer's error, not a grant.
            let increment = Int(fieldValue & 0x7FFF_FFFF)
            guard length == 4, increment > 0 else { return nil }
            guard stream != 0 else {
                connectionGrants &+= Int64(increment)
                return nil
            }
            return .windowUpdate(stream: stream, increment: increment)
        default:
            return nil
        }
    }

    /// One byte of a SETTINGS entry (2 bytes of identifier, 4 of value) or of a
    /// WINDOW_UPDATE's increment. SETTINGS_INITIAL_WINDOW_SIZE (4) is kept when valid
    /// (at most 2^31 - 1, RFC 9113 6.5.2).
    private mutating func readField(_ byte: UInt8) {
        // A WINDOW_UPDATE longer than 4 bytes is the peer's error (no grant): its bytes wrap
        // these counters, never trap.
        fieldValue = fieldValue << 8 | UInt64(byte)
        fieldRead &+= 1
        guard type == HTTP2FrameReader.settings, fieldRead == 6 else { return }
        if fieldValue >> 32 == 4 && fieldValue & 0xFFFF_FFFF <= 0x7FFF_FFFF && flags & HTTP2FrameReader.ackFlag == 0 {
            initialWindow = Int64(fieldValue & 0xFFFF_FFFF)
        }
        fieldRead = 0
        fieldValue = 0
    }

    private mutating func stop(_ why: Problem, _ n: Int) -> (consumed: Int, event: Event?) {
        mode = .off
        problem = why
        return (n, nil)
    }
}
