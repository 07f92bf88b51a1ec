/// Streamed answers inspected while they flow, each in a slot of its own: the answer's event
/// decoder and transcript, fed each packet's body bytes as they pass, so the detectors see
/// the whole answer (not only what fits the message buffer) and a detection can end the stream
/// at the packet that completes it rather than at the stream's end.
///
/// Bounded: `capacity` slots per worker, their buffers allocated once (touched only when
/// used), and a quarter of them at most per client (`perClient`), so one client streaming
/// many answers cannot leave the others without. An answer that finds no slot is inspected
/// from the message buffer at its end, as a whole answer is; counted in `refused` (limit
/// `ai_streams`, anomaly `ai.stream_table_full`).
final class AIStreamTable {
    struct Entry {
        var inUse = false
        /// Whose answer it is (`AIStreamTable.owner`): a slot is used only by its owner, so
        /// a stale index (a policy reload replaced the table) reads nothing.
        var owner: UInt64 = 0
        /// The client's identity (`AIEngineState.identity`), for its share.
        var client: UInt64 = 0
        var operation = AIOperation.chatCompletions
        /// How its events read (`AIExchangeParser.responseSchema`), chosen at its start.
        var schema = AIExchangeParser.responseSchema(.chatCompletions, streamed: true)
        /// The transcript's arena offset up to which the detectors have looked.
        var checked = 0
        /// What was found so far (one per kind, type and segment: `AIDetections.add`), and
        /// whether the stream's record was written (at a block, or at its end).
        var found = AIDetections()
        var reported = false
        /// The categories of its `url` detections by span start (cold: only refused URLs).
        var urlCategories: [(start: Int32, category: String)] = []
        /// Refused URLs past the message's listed ones (`AIURLCheck.notListed`).
        var urlsNotListed = 0
    }

    let capacity: Int
    /// Slots one client may hold at once: a quarter of them (at least one).
    let perClient: Int
    let decoders: [AIStreamDecoder]
    let transcripts: [AITranscript]
    /// The same objects, unretained, for the per-packet path: loading a class reference from
    /// an array retains and releases it, twice a packet per slot otherwise. The arrays above
    /// keep them alive as long as the table.
    private let decoderRefs: [Unmanaged<AIStreamDecoder>]
    private let transcriptRefs: [Unmanaged<AITranscript>]
    var entries: [Entry]
    var free: [Int32]
    /// Answers that found no slot; slots taken so far.
    var refused: UInt64 = 0
    var opened: UInt64 = 0

    init(capacity: Int, textCapacity: Int = 64 << 10, maxSegments: Int = 256, eventCapacity: Int = 16 << 10) {
        self.capacity = max(0, capacity)
        perClient = max(1, self.capacity / 4)
        decoders = (0..<self.capacity).map { _ in AIStreamDecoder(eventCapacity: eventCapacity) }
        transcripts = (0..<self.capacity).map { _ in AITranscript(capacity: textCapacity, maxSegments: maxSegments) }
        decoderRefs = decoders.map { Unmanaged.passUnretained($0) }
        transcriptRefs = transcripts.map { Unmanaged.passUnretained($0) }
        entries = [Entry](repeating: Entry(), count: self.capacity)
        free = (0..<Int32(self.capacity)).reversed().map { $0 }
    }

    /// A slot for a new streamed answer of `operation`, framed as `framing`; -1 when every
    /// slot is taken or `client` holds its share (counted).
    func open(_ operation: AIOperation, framing: AIStreamFraming, owner: UInt64, client: UInt64 = 0) -> Int32 {
        // Once per answer, not per packet: a walk over the slots.
        var held = 0
        for e in 0..<capacity where entries[e].inUse && entries[e].client == client { held += 1 }
        guard held < perClient, let k = free.popLast() else {
            refused &+= 1
            return -1
        }
        opened &+= 1
        entries[Int(k)] = Entry(inUse: true, owner: owner, client: client, operation: operation,
                                schema: AIExchangeParser.responseSchema(operation, streamed: true))
        let t = transcripts[Int(k)]
        t.reset()
        t.operation = operation
        t.isResponse = true
        t.stream = true
        decoders[Int(k)].reset(framing)
        return k
    }

    /// Feeds a slot the answer's next body bytes (de-chunked or from DATA frames).
    func feed(_ k: Int32, _ bytes: UnsafeRawBufferPointer, owner: UInt64) {
        guard owns(k, owner), !bytes.isEmpty else { return }
        let schema = entries[Int(k)].schema
        decoderRefs[Int(k)]._withUnsafeGuaranteedRef { decoder in
            transcriptRefs[Int(k)]._withUnsafeGuaranteedRef { decoder.feed(bytes, schema: schema, into: $0) }
        }
    }

    /// The answer ended: an event not closed by an empty line is still read.
    func finish(_ k: Int32) {
        guard k >= 0, Int(k) < capacity, entries[Int(k)].inUse else { return }
        decoders[Int(k)].finish(schema: entries[Int(k)].schema, into: transcripts[Int(k)])
    }

    func close(_ k: Int32) {
        guard k >= 0, Int(k) < capacity, entries[Int(k)].inUse else { return }
        entries[Int(k)].inUse = false
        free.append(k)
    }

    var inUse: Int { capacity - free.count }

    /// Whether slot `k` holds `owner`'s answer.
    func owns(_ k: Int32, _ owner: UInt64) -> Bool {
        k >= 0 && Int(k) < capacity && entries[Int(k)].inUse && entries[Int(k)].owner == owner
    }

    /// The owner key of an answer: the session's detection state, and its HTTP/2 stream (0 over HTTP/1).
    static func owner(state: Int32, stream: UInt32 = 0) -> UInt64 { UInt64(UInt32(bitPattern: state)) << 32 | UInt64(stream) }
}
