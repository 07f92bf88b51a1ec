#if canImport(Glibc)
import Glibc
#endif

/// What reading one stream event did to the transcript (`AIExtractor.run`), for
/// `AIEventTemplate`: how many strings it added, the last one's place in the event and how it
/// was added, and whether it did anything that the same bytes would not do again as a no-op
/// (a JSON-RPC id recorded, an error, a cut).
struct AIEventObservation {
    var appends = 0
    var other = false
    var stringStart = 0
    var stringEnd = 0
    var escaped = false
    var role = AIRole.unknown
    var origin = AIOrigin.assistant
    var pending = false
    var isName = false
    var mergeFrom = 0
    var separator: UInt8 = 0
}

/// A stream's events mostly repeat the one before but for their delta: OpenAI-compatible
/// servers send `{"id":…,"model":…,"choices":[{"index":0,"delta":{"content":"` + text +
/// `"},"finish_reason":null}]}` hundreds of times, Anthropic `content_block_delta` events the
/// same way. When an event read in full added one plain string to the text and nothing else
/// (its model, type and indexes change nothing the second time: `setModel` keeps the first,
/// the role and origin assignments cover no new segment), an event with the same bytes before
/// and after that string, and a string without a quote or backslash between, is read the
/// same: its string is added as the full reading would add it, without parsing the rest.
///
/// Sound because the skipped bytes are the same as the reference event's: the JSON tokens,
/// paths and values around the string are identical, so every action the extractor would take
/// on them is the one it took on the reference, which left the transcript as it is. The
/// transcript is checked to be where the reference left it (its segments and text length), so
/// a reset in between is noticed. Tested against the full reading on every event
/// (`AIEventTemplateTests`, and the AI fuzz target).
struct AIEventTemplate {
    static let capacity = 1_024

    /// The reference event (read in full), in a buffer of `capacity` bytes.
    let reference: UnsafeMutableRawPointer
    var length = 0
    var valid = false
    var observation = AIEventObservation()
    /// The transcript as the last event left it.
    var segmentCount = 0
    var used = 0
    /// Events read from the template; events read in full.
    var hits = 0
    var misses = 0

    init() { reference = .allocate(byteCount: AIEventTemplate.capacity, alignment: 8) }

    func deallocate() { reference.deallocate() }

    mutating func reset() {
        valid = false
        length = 0
    }

    /// Reads `event` from the template when it fits it; false when it must be read in full.
    mutating func apply(_ event: UnsafeRawBufferPointer, to t: AITranscript) -> Bool {
        guard valid, t.segmentCount == segmentCount, t.used == used, let p = event.baseAddress else { return false }
        let o = observation
        let tail = length - o.stringEnd
        let end = event.count - tail
        guard end >= o.stringStart, memcmp(p, reference, o.stringStart) == 0,
              memcmp(p + end, reference + o.stringEnd, tail) == 0
        else { return false }
        let string = UnsafeRawBufferPointer(start: p + o.stringStart, count: end - o.stringStart)
        guard string.isEmpty || (memchr(p + o.stringStart, 0x22, string.count) == nil && memchr(p + o.stringStart, 0x5C, string.count) == nil)
        else { return false }
        t.append(string, escaped: false, role: o.role, origin: o.origin, pending: o.pending, isName: o.isName, mergeFrom: o.mergeFrom,
                 separator: o.separator)
        guard t.segmentCount == segmentCount else {
            // Not merged after all (cannot happen when the transcript is where the reference
            // left it); the next event is read in full.
            valid = false
            return true
        }
        used = t.used
        hits += 1
        return true
    }

    /// After `event` was read in full with `observation` (the transcript had `segmentsBefore`
    /// segments): it becomes the template when all it did was add one plain string, merged.
    mutating func learn(_ event: UnsafeRawBufferPointer, observation o: AIEventObservation, segmentsBefore: Int, transcript t: AITranscript) {
        misses += 1
        valid = o.appends == 1 && !o.other && !o.escaped && !o.isName && t.segmentCount == segmentsBefore && t.segmentCount > 0
            && event.count <= AIEventTemplate.capacity
        guard valid, let p = event.baseAddress else { return }
        reference.copyMemory(from: p, byteCount: event.count)
        length = event.count
        observation = o
        segmentCount = t.segmentCount
        used = t.used
    }
}
