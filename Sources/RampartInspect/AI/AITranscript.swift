#if canImport(Glibc)
import Glibc
#endif

/// One piece of text of an exchange: a message's content, a content block, a tool call's
/// arguments, a tool's output, or a tool's name (`isName`).
struct AISegment: Sendable, Equatable {
    var start: Int32
    var length: Int32
    var role: AIRole
    var origin: AIOrigin
    /// A tool's name (called or listed), not text the model reads.
    var isName = false
    /// The origin is still to be set from the enclosing message's role (it came before the role).
    var pending = false
}

/// What one direction of an AI exchange says, decoded: the model, the operation, the
/// messages' text with role and origin, token counts. The text lives in one arena allocated
/// once (`capacity` bytes) and reset for each message, with a bounded number of segments:
/// the memory an exchange costs is fixed whatever its size. Text beyond the arena is
/// counted (`textBytes`) but not kept, so oversized prompts are still seen as such.
final class AITranscript {
    let capacity: Int
    let maxSegments: Int
    let text: UnsafeMutableRawPointer
    private(set) var used = 0
    let segments: UnsafeMutablePointer<AISegment>
    private(set) var segmentCount = 0

    var operation: AIOperation?
    var isResponse = false
    var stream = false
    /// The model named in the body: `modelStart..<modelStart+modelLength` of `text`... kept
    /// apart from the arena so a full arena still names it.
    private(set) var model = InlineArray<64, UInt8>(repeating: 0)
    private(set) var modelLength = 0
    /// MCP: the JSON-RPC method (`tools/call`).
    private(set) var method = InlineArray<32, UInt8>(repeating: 0)
    private(set) var methodLength = 0
    /// MCP: the JSON-RPC ids of the request (a batch has several) as JSON text, joined by
    /// commas, so a blocked request is answered with errors that carry them. Ids that do
    /// not fit (longer than 64 bytes, or past the buffer) are counted in `requestIDsDropped`.
    private(set) var requestIDs = InlineArray<256, UInt8>(repeating: 0)
    private(set) var requestIDsLength = 0
    private(set) var requestIDCount = 0
    private(set) var requestIDsDropped = 0
    /// The ids came from a batch (a JSON array of messages), answered as an array.
    private(set) var requestIsBatch = false
    /// Token counts from the body's `usage` (or Ollama's counts), -1 when absent.
    var inputTokens: Int64 = -1
    var outputTokens: Int64 = -1
    /// All text the body carried, kept or not; and how much did not fit.
    private(set) var textBytes = 0
    private(set) var droppedBytes = 0
    /// Segments that did not fit (`maxSegments`).
    private(set) var droppedSegments = 0
    /// Streaming: events seen, and whether the stream said it ended (`[DONE]`, `message_stop`, `done`).
    var events = 0
    var streamEnded = false
    /// The body (or an event) was malformed: where, and why.
    var error: JSONScanError?
    var truncated = false

    init(capacity: Int = 64 << 10, maxSegments: Int = 256) {
        self.capacity = max(1, capacity)
        self.maxSegments = max(1, maxSegments)
        text = .allocate(byteCount: self.capacity, alignment: 8)
        segments = .allocate(capacity: self.maxSegments)
    }

    deinit {
        text.deallocate()
        segments.deallocate()
    }

    func reset() {
        used = 0; segmentCount = 0; operation = nil; isResponse = false; stream = false
        modelLength = 0; methodLength = 0; inputTokens = -1; outputTokens = -1
        requestIDsLength = 0; requestIDCount = 0; requestIDsDropped = 0; requestIsBatch = false
        textBytes = 0; droppedBytes = 0; droppedSegments = 0; events = 0; streamEnded = false
        error = nil; truncated = false
    }

    subscript(segment: Int) -> AISegment {
        get { segments[segment] }
        set { segments[segment] = newValue }
    }

    /// The bytes of segment `i`.
    func bytes(of i: Int) -> UnsafeRawBufferPointer {
        let s = segments[i]
        return UnsafeRawBufferPointer(start: text + Int(s.start), count: Int(s.length))
    }

    var textView: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: text, count: used) }

    /// Whether `other` holds the same reading: text, segments, model, method, ids, counts and
    /// flags. For comparing two ways of reading one body (`AIEventTemplate` against the full
    /// reading, in its tests and the AI fuzz target).
    func sameReading(as other: AITranscript) -> Bool {
        guard used == other.used, segmentCount == other.segmentCount, memcmp(text, other.text, used) == 0 else { return false }
        for i in 0..<segmentCount where segments[i] != other.segments[i] { return false }
        guard modelLength == other.modelLength, methodLength == other.methodLength, requestIDsLength == other.requestIDsLength,
              requestIDCount == other.requestIDCount, requestIDsDropped == other.requestIDsDropped, requestIsBatch == other.requestIsBatch,
              inputTokens == other.inputTokens, outputTokens == other.outputTokens, textBytes == other.textBytes,
              droppedBytes == other.droppedBytes, droppedSegments == other.droppedSegments, events == other.events,
              streamEnded == other.streamEnded, error == other.error, truncated == other.truncated, stream == other.stream
        else { return false }
        for k in 0..<modelLength where model[k] != other.model[k] { return false }
        for k in 0..<methodLength where method[k] != other.method[k] { return false }
        for k in 0..<requestIDsLength where requestIDs[k] != other.requestIDs[k] { return false }
        return true
    }

    func setModel(_ raw: UnsafeRawBufferPointer) {
        guard modelLength == 0 else { return }
        let n = min(raw.count, 64)
        for k in 0..<n { model[k] = raw[k] }
        modelLength = n
    }

    var modelName: String? {
        guard modelLength > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: modelLength)
        for k in 0..<modelLength { bytes[k] = model[k] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The model's bytes, for allow-list checks without a String.
    func withModel<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: model) { body(UnsafeRawBufferPointer(rebasing: $0[0..<modelLength])) }
    }

    func setMethod(_ raw: UnsafeRawBufferPointer) {
        guard methodLength == 0 else { return }
        let n = min(raw.count, 32)
        for k in 0..<n { method[k] = raw[k] }
        methodLength = n
    }

    /// Records a JSON-RPC id: a string's raw (still escaped) bytes, re-quoted, or a number.
    func addRequestID(_ raw: UnsafeRawBufferPointer, quoted: Bool, batch: Bool) {
        if batch { requestIsBatch = true }
        let need = raw.count + (quoted ? 2 : 0) + (requestIDCount > 0 ? 1 : 0)
        guard raw.count <= 64, requestIDsLength + need <= 256 else { requestIDsDropped += 1; return }
        if requestIDCount > 0 { requestIDs[requestIDsLength] = UInt8(ascii: ","); requestIDsLength += 1 }
        if quoted { requestIDs[requestIDsLength] = UInt8(ascii: "\""); requestIDsLength += 1 }
        for b in raw { requestIDs[requestIDsLength] = b; requestIDsLength += 1 }
        if quoted { requestIDs[requestIDsLength] = UInt8(ascii: "\""); requestIDsLength += 1 }
        requestIDCount += 1
    }

    /// The request's JSON-RPC ids as JSON texts (`1`, `"abc"`), in order.
    var requestIDList: [String] {
        guard requestIDsLength > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: requestIDsLength)
        for k in 0..<requestIDsLength { bytes[k] = requestIDs[k] }
        // Ids never hold a bare comma outside a string: split only outside quotes.
        var out: [String] = []
        var start = 0
        var inString = false
        var escape = false
        for (k, b) in bytes.enumerated() {
            if escape { escape = false; continue }
            if b == UInt8(ascii: "\\") && inString { escape = true; continue }
            if b == UInt8(ascii: "\"") { inString.toggle() }
            if b == UInt8(ascii: ","), !inString {
                out.append(String(decoding: bytes[start..<k], as: UTF8.self))
                start = k + 1
            }
        }
        out.append(String(decoding: bytes[start...], as: UTF8.self))
        return out
    }

    var methodName: String? {
        guard methodLength > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: methodLength)
        for k in 0..<methodLength { bytes[k] = method[k] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a JSON string's decoded text. It extends the last segment when that one
    /// has the same origin, belongs to the same message (index ≥ `mergeFrom`) and ends
    /// where the arena does (`separator` between them, 0 for stream deltas), or starts a
    /// new one.
    func append(_ raw: UnsafeRawBufferPointer, escaped: Bool, role: AIRole, origin: AIOrigin, pending: Bool = false,
                isName: Bool = false, mergeFrom: Int, separator: UInt8 = 0x0A) {
        textBytes += raw.count
        var merge = false
        if !isName && segmentCount > mergeFrom && segmentCount > 0 {
            let last = segments[segmentCount - 1]
            merge = !last.isName && last.origin == origin && last.pending == pending
                && Int(last.start) + Int(last.length) == used
        }
        if !merge && segmentCount >= maxSegments {
            droppedSegments += 1
            droppedBytes += raw.count
            return
        }
        var start = used
        if merge && separator != 0 && used < capacity && segments[segmentCount - 1].length > 0 {
            text.storeBytes(of: separator, toByteOffset: used, as: UInt8.self)
            used += 1
        }
        if !merge { start = used }
        let room = capacity - used
        let n = JSONText.decode(raw, escaped: escaped, into: text + used, capacity: room)
        if n < raw.count && !escaped { droppedBytes += raw.count - n }
        if n == room && escaped { droppedBytes += 1 }
        used += n
        if merge {
            segments[segmentCount - 1].length = Int32(used) - segments[segmentCount - 1].start
        } else {
            segments[segmentCount] = AISegment(start: Int32(start), length: Int32(used - start), role: role, origin: origin,
                                               isName: isName, pending: pending)
            segmentCount += 1
        }
    }

    /// Sets the role of segments `from..<segmentCount`, and the origin of those that waited for it.
    func assign(role: AIRole, from: Int) {
        guard from < segmentCount else { return }
        for i in from..<segmentCount {
            if segments[i].pending {
                segments[i].origin = AIOrigin.of(role)
                segments[i].pending = false
            }
            segments[i].role = role != .unknown ? role : AIExtractor.role(of: segments[i].origin)
        }
    }

    /// Sets the origin of segments `from..<segmentCount` (a content block's type decided it).
    func assign(origin: AIOrigin, from: Int) {
        guard from < segmentCount else { return }
        for i in from..<segmentCount where !segments[i].isName {
            segments[i].origin = origin
            segments[i].pending = false
        }
    }

    /// Tokens the text is worth when the body has no `usage`: about 4 bytes a token.
    var estimatedTokens: Int64 { Int64((textBytes + 3) / 4) }
}
