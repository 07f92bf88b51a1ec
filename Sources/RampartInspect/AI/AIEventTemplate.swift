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
    /// Plain strings after it that nothing reads (their contents, between the quotes).
    var holes = InlineArray<4, (Int, Int)>(repeating: (0, 0))
    var holeCount = 0
    static let maxHoles = 4
}

/// A stream's events mostly repeat the one before but for their delta: OpenAI-compatible
/// servers send `{"id":…,"model":…,"choices":[{"index":0,"delta":{"content":"` + text +
/// `"},"finish_reason":null}]}` hundreds of times (OpenAI adds `,"obfuscation":"…"`, random
/// padding of random length), Anthropic `content_block_delta` events the same way. When an
/// event read in full added one plain string to the text and nothing else (its model, type and
/// indexes change nothing the second time: `setModel` keeps the first, the role and origin
/// assignments cover no new segment), an event with the same bytes before that string, and
/// after it the same bytes but inside the plain strings nobody read (the holes), is read the
/// same: its string is added as the full reading would add it, without parsing the rest.
///
/// Sound because the skipped bytes are the same JSON as the reference event's: the same
/// tokens, paths and values, but for the holes' contents (plain strings whose values no field
/// reads, without a quote or backslash, so the structure is the same), so every action the
/// extractor would take is the one it took on the reference, which left the transcript as it
/// is. The transcript is checked to be where the reference left it (its segments and text
/// length), so a reset in between is noticed. Tested against the full reading on every event
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
        let n = event.count
        guard n >= o.stringStart, memcmp(p, reference, o.stringStart) == 0,
              let textEnd = AIEventTemplate.plainString(p, from: o.stringStart, count: n)
        else { return false }
        // After the text: the reference's bytes, but for the holes' contents.
        var at = textEnd
        var ref = o.stringEnd
        for h in 0..<o.holeCount {
            let (holeStart, holeEnd) = o.holes[h]
            let literal = holeStart - ref
            guard at + literal <= n, memcmp(p + at, reference + ref, literal) == 0,
                  let end = AIEventTemplate.plainString(p, from: at + literal, count: n)
            else { return false }
            at = end
            ref = holeEnd
        }
        guard n - at == length - ref, memcmp(p + at, reference + ref, length - ref) == 0 else { return false }
        t.append(UnsafeRawBufferPointer(start: p + o.stringStart, count: textEnd - o.stringStart), escaped: false, role: o.role,
                 origin: o.origin, pending: o.pending, isName: o.isName, mergeFrom: o.mergeFrom, separator: o.separator)
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

    /// The end (its closing quote) of a string starting at `from` without a backslash; nil when
    /// it has one or does not end.
    @inline(__always)
    static func plainString(_ p: UnsafeRawPointer, from: Int, count: Int) -> Int? {
        guard let q = memchr(p + from, 0x22, count - from) else { return nil }
        let end = p.distance(to: UnsafeRawPointer(q))
        guard end == from || memchr(p + from, 0x5C, end - from) == nil else { return nil }
        return end
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
