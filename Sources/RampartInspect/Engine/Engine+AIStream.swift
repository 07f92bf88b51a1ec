import RampartWire

extension Engine {
    /// The answer whose head is `block` (over HTTP/1, or an HTTP/2 stream's) gets an
    /// `AIStreamTable` slot when it is a streamed answer to an AI operation of a session with
    /// an AI profile: server-sent events or NDJSON by its Content-Type, not compressed (a
    /// compressed stream is inspected from the message buffer, inflated, at its end). -1:
    /// none (not a stream, or the table is full or the client holds its share: counted and
    /// logged).
    mutating func openAIStream(operation raw: UInt8, block: UnsafeRawBufferPointer, owner: UInt64) -> Int32 {
        guard let ai, ai.profile >= 0, ai.streams.capacity > 0, let operation = AIOperation(rawValue: raw) else { return -1 }
        let fields = HTTPHeaderFields(block)
        guard let type = fields.value(named: "content-type"), fields.value(named: "content-encoding") == nil,
              let framing = AIExchangeParser.framing(operation, contentType: type, body: UnsafeRawBufferPointer(start: nil, count: 0))
        else { return -1 }
        let k = ai.streams.open(operation, framing: framing, owner: owner, client: ai.identity)
        if k < 0 { ai.streamRefused = true }
        return k
    }

    /// After a streamed answer's bytes of this packet (`final`: its last): what its text gained
    /// is inspected (`AIEngineState.inspectStream`); a block is left for the packet's verdict.
    mutating func inspectAIStream(_ k: Int32, owner: UInt64, final: Bool) {
        guard let ai, ai.streams.owns(k, owner) else { return }
        // The list and profiles passed as they are (not gathered in a tuple, which copies them
        // and counts a dozen references a packet).
        ai.inspectStream(k, final: final, seconds: now.seconds, store: indicatorStore, urlProfiles: urlProfiles,
                         checkURLs: ai.profile >= 0 && ai.profiles[ai.profile].urlFilteringIndex >= 0)
        if final { ai.streams.close(k) }
    }

    /// The HTTP/1 answer's slot, after the packet's bytes: looked at again.
    mutating func checkAIStream(state: Int32) {
        let k = detector!.states[Int(state)].aiStream
        guard k >= 0 else { return }
        inspectAIStream(k, owner: AIStreamTable.owner(state: state), final: false)
    }

    /// A session leaves: its HTTP/1 answer's slot is freed.
    mutating func endAIStream(_ state: Int32) {
        guard let ai, detector != nil, state >= 0, Int(state) < detector!.states.count else { return }
        let k = detector!.states[Int(state)].aiStream
        detector!.states[Int(state)].aiStream = -1
        if ai.streams.owns(k, AIStreamTable.owner(state: state)) { ai.streams.close(k) }
    }
}

/// The HTTP parser's body bytes, to the file being hashed and to the streamed AI answer
/// being inspected as it flows.
struct HTTPBodyWriter: FileBytesConsumer {
    var file: FileSlotWriter
    let streams: AIStreamTable?
    let slot: Int32
    let owner: UInt64

    @inline(__always) mutating func fileBytes(_ bytes: UnsafeRawBufferPointer) {
        file.fileBytes(bytes)
        if slot >= 0 { streams?.feed(slot, bytes, owner: owner) }
    }
}
