#if canImport(Glibc)
import Glibc
#endif

/// What reading one stream event did to the transcript (`AIExtractor.run`), for
/// `AIEventTemplate`: how many strings it added and how the last was added, the parts of the
/// event that may differ in the next one (that string, and the strings and numbers nobody
/// read), in order, and whether it did anything that the same bytes would not do again as a
/// no-op (a JSON-RPC id recorded, an error, a cut).
struct AIEventObservation {
    enum Part: UInt8 { case text, string, number }

    var appends = 0
    var other = false
    var role = AIRole.unknown
    var origin = AIOrigin.assistant
    var pending = false
    var isName = false
    var mergeFrom = 0
    var separator: UInt8 = 0
    /// The parts that may differ, in the order of the event's bytes: (start, end, kind), the
    /// contents of a string (between its quotes) or a number's characters. Past
    /// `maxParts`, values nobody reads must repeat as they are; a text past it is no template.
    var parts = InlineArray<8, (Int, Int, Part)>(repeating: (0, 0, .string))
    var partCount = 0
    var textPart = -1
    static let maxParts = 8

    @inline(__always)
    mutating func vary(_ tok: JSONToken, _ kind: Part) {
        guard partCount < AIEventObservation.maxParts else {
            if kind == .text { other = true }
            return
        }
        if kind == .text { textPart = partCount }
        parts[partCount] = (tok.start, tok.end, kind)
        partCount += 1
    }
}

/// A stream's events mostly repeat the one before but for their delta: OpenAI-compatible
/// servers send `{"id":…,"model":…,"choices":[{"index":0,"delta":{"content":"` + text +
/// `"},"finish_reason":null}]}` hundreds of times (OpenAI adds `,"obfuscation":"…"`, random
/// padding of random length; the Responses API a `sequence_number`; Ollama a `created_at`),
/// Anthropic `content_block_delta` events the same way. When an event read in full added one
/// string to the text and nothing else (its model, type and indexes change nothing the second
/// time: `setModel` keeps the first, the role and origin assignments cover no new segment),
/// an event with the same bytes but inside that string (escapes and all) and inside the plain
/// strings and numbers nobody read is read the same: its string is added as the full reading
/// would add it, without parsing the rest.
///
/// Sound because the bytes around those parts are the same JSON as the reference event's: a
/// string (ended where the scanner ends it) in place of the text, a plain string (no quote, no
/// backslash) or a number in place of a value nobody reads, leave the tokens, their paths and
/// every value read unchanged, so every action the extractor would take is the one it took on
/// the reference, which left the transcript as it is. The transcript is checked to be where
/// the reference left it (its segments and text length), so a reset in between is noticed.
/// Tested against the full reading on every event (`AIEventTemplateTests`, and the AI fuzz
/// target).
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
    /// Events read from the template.
    var hits = 0

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
        var at = 0  // in the event
        var ref = 0  // in the reference
        var textStart = 0
        var textEnd = 0
        var textEscaped = false
        for k in 0..<o.partCount {
            let (start, end, kind) = o.parts[k]
            let literal = start - ref
            guard at + literal <= n, memcmp(p + at, reference + ref, literal) == 0 else { return false }
            at += literal
            let partEnd: Int
            switch kind {
            case .number:
                guard let e = AIEventTemplate.number(p, from: at, count: n) else { return false }
                partEnd = e
            case .string:
                // A value nobody reads: without escapes, so the JSON around it is the same.
                guard let (e, escaped) = AIEventTemplate.string(p, from: at, count: n), !escaped else { return false }
                partEnd = e
            case .text:
                // The text may hold escapes (a newline is `\n`): its end found as the scanner
                // finds it, and it is decoded as the full reading decodes it.
                guard let (e, escaped) = AIEventTemplate.string(p, from: at, count: n) else { return false }
                (textStart, textEnd, textEscaped) = (at, e, escaped)
                partEnd = e
            }
            at = partEnd
            ref = end
        }
        guard n - at == length - ref, memcmp(p + at, reference + ref, length - ref) == 0 else { return false }
        t.append(UnsafeRawBufferPointer(start: p + textStart, count: textEnd - textStart), escaped: textEscaped, role: o.role,
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

    /// The end (its closing quote) of a string's contents starting at `from`, escapes allowed,
    /// and whether it has any: as `JSONScanner` reads a string (a quote after an odd run of
    /// backslashes is part of it); nil when it does not end.
    static func string(_ p: UnsafeRawPointer, from: Int, count: Int) -> (Int, Bool)? {
        var at = from
        while at < count, let q = memchr(p + at, 0x22, count - at) {
            let end = p.distance(to: UnsafeRawPointer(q))
            var k = end
            while k > from && p.load(fromByteOffset: k - 1, as: UInt8.self) == 0x5C { k -= 1 }
            if (end - k) % 2 == 0 { return (end, end > from && memchr(p + from, 0x5C, end - from) != nil) }
            at = end + 1
        }
        return nil
    }

    /// The end of a number starting at `from` (a `-` or a digit, then what `JSONScanner` reads
    /// as one); nil when none starts there.
    @inline(__always)
    static func number(_ p: UnsafeRawPointer, from: Int, count: Int) -> Int? {
        guard from < count else { return nil }
        let first = p.load(fromByteOffset: from, as: UInt8.self)
        guard first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) else { return nil }
        var k = from + 1
        while k < count {
            let c = p.load(fromByteOffset: k, as: UInt8.self)
            guard (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { break }
            k += 1
        }
        return k
    }

    /// After `event` was read in full with `observation` (the transcript had `segmentsBefore`
    /// segments): it becomes the template when all it did was add one string, merged.
    mutating func learn(_ event: UnsafeRawBufferPointer, observation o: AIEventObservation, segmentsBefore: Int, transcript t: AITranscript) {
        valid = o.appends == 1 && o.textPart >= 0 && !o.other && !o.isName && t.segmentCount == segmentsBefore
            && t.segmentCount > 0 && event.count <= AIEventTemplate.capacity
        guard valid, let p = event.baseAddress else { return }
        reference.copyMemory(from: p, byteCount: event.count)
        length = event.count
        observation = o
        segmentCount = t.segmentCount
        used = t.used
    }
}
