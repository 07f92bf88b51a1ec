/// Runs the AI detectors over one exchange: parses the body into its transcript, then looks
/// at each piece of text by its origin. One inspector per worker, its buffers allocated
/// once (`AIInspector(textCapacity:)`): inspecting allocates nothing.
///
/// ```swift
/// let inspector = AIInspector()
/// var settings = AIInspectionSettings()
/// settings.models = AIAllowList(["gpt-4o-mini"])
/// let found = inspector.inspectRequest(.chatCompletions, body: body, settings: settings)
/// found.contains(.promptInjection)
/// ```
final class AIInspector {
    let request: AITranscript
    let response: AITranscript
    let stream: AIStreamDecoder
    var injection: AIPromptInjectionDetector

    init(textCapacity: Int = 64 << 10, maxSegments: Int = 256, eventCapacity: Int = 16 << 10) {
        request = AITranscript(capacity: textCapacity, maxSegments: maxSegments)
        response = AITranscript(capacity: textCapacity, maxSegments: maxSegments)
        stream = AIStreamDecoder(eventCapacity: eventCapacity)
        injection = AIPromptInjectionDetector(maxWords: textCapacity / 2, decodedCapacity: 16 << 10)
    }

    deinit { injection.deallocate() }

    /// Parses and inspects a request body (`request` holds its transcript afterwards).
    func inspectRequest(_ operation: AIOperation, body: UnsafeRawBufferPointer, settings: AIInspectionSettings) -> AIDetections {
        AIExchangeParser.parseRequest(operation, body: body, into: request)
        var found = AIDetections()
        let t = request
        if let models = settings.models, t.withModel({ !$0.isEmpty && !models.permits($0) }) {
            found.add(AIDetection(kind: .modelNotAllowed, type: "model", score: 1, segment: -1, start: 0, length: 0))
        }
        if t.textBytes > settings.maxPromptBytes || t.droppedBytes > 0 {
            found.add(AIDetection(kind: .oversizedPrompt, type: "prompt-bytes", score: 1, segment: -1, start: 0, length: 0))
        }
        inspectText(t, settings: settings, injectionOrigins: AIInspector.requestInjectionOrigins, into: &found)
        return found
    }

    /// Parses and inspects a whole answer, streamed or not (`response` holds its transcript).
    func inspectResponse(_ operation: AIOperation, contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer,
                         settings: AIInspectionSettings) -> AIDetections {
        AIExchangeParser.parseResponse(operation, contentType: contentType, body: body, stream: stream, into: response)
        var found = AIDetections()
        let t = response
        if t.stream && (t.textBytes > settings.maxStreamBytes || t.events > settings.maxStreamEvents) {
            found.add(AIDetection(kind: .runawayStream, type: "stream", score: 1, segment: -1, start: 0, length: 0))
        }
        guard settings.responses else { return found }
        inspectText(t, settings: settings, injectionOrigins: AIInspector.responseInjectionOrigins, into: &found)
        return found
    }

    /// Inspects what a streamed answer's transcript gained since arena offset `from` (slots of
    /// `AIStreamTable`), with enough of the text before it that a value cut between two
    /// events is seen whole (`resumePoint`). Detections are per kind, type and segment, so a
    /// value seen again in the overlap merges with its first sighting.
    /// Adds to `found` (the stream's detections so far, kept in place: no copy a look).
    func inspectStreamPart(_ t: AITranscript, from: Int, settings: AIInspectionSettings, into found: inout AIDetections) {
        if t.textBytes > settings.maxStreamBytes || t.events > settings.maxStreamEvents {
            found.add(AIDetection(kind: .runawayStream, type: "stream", score: 1, segment: -1, start: 0, length: 0))
        }
        guard settings.responses else { return }
        inspectText(t, settings: settings, injectionOrigins: AIInspector.responseInjectionOrigins, from: from, into: &found)
    }

    /// Where to resume looking in a segment's `text` whose first `from` bytes were looked at:
    /// back to the start of the word under way (a key, a token or a URL cut between events),
    /// and, when the 48 bytes before it hold one of `wide`'s bytes (by default a digit, `+` or
    /// `-`: a card number, an IBAN or a phone number written with spaces, a PEM header), 48
    /// bytes back and to that word's start; at most `AIInspector.overlap` bytes back.
    static func resumePoint(_ text: UnsafeRawBufferPointer, from: Int, wide: WideValues = .all) -> Int {
        if !wide.digits && !wide.dashes { return from > 0 ? wordStart(text, from, floor: max(0, from - AIInspector.overlap)) : 0 }
        let points = resumePoints(text, from: from)
        switch (wide.digits, wide.dashes) {
        case (true, true): return min(points.personalData, points.secrets)
        case (true, false): return points.personalData
        case (false, true): return points.secrets
        case (false, false): return points.word
        }
    }

    /// The resume points of one look in one pass over the bytes before `from`: the word's
    /// start, and where secrets (wide near a `-`) and personal data (wide near a digit or
    /// `+`) resume.
    static func resumePoints(_ text: UnsafeRawBufferPointer, from: Int) -> (word: Int, secrets: Int, personalData: Int) {
        guard from > 0 else { return (0, 0, 0) }
        let floor = max(0, from - AIInspector.overlap)
        let word = wordStart(text, from, floor: floor)
        let far = max(floor, from - 48)
        // The bytes' classes or-ed without a branch each: a look runs this every packet.
        var seen: UInt8 = 0
        if far < word, let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) {
            wideClasses.withUnsafeBufferPointer { classes in
                for j in far..<word { seen |= classes[Int(base[j])] }
            }
        }
        let digits = seen & 1 != 0
        let dashes = seen & 2 != 0
        guard digits || dashes else { return (word, word, word) }
        let wide = wordStart(text, far, floor: floor)
        return (word, dashes ? wide : word, digits ? wide : word)
    }

    /// 1: a digit or `+` (personal data written with spaces), 2: `-` (a PEM header).
    static let wideClasses: [UInt8] = (0..<256).map { c in
        c >= 0x30 && c <= 0x39 || c == 0x2B ? 1 : (c == 0x2D ? 2 : 0)
    }

    /// The values written with spaces that make a look start 48 bytes back: personal data
    /// (digits and `+`: cards, IBANs, phone numbers, national numbers), secrets (`-`: a PEM
    /// header), or both.
    struct WideValues {
        var digits: Bool
        var dashes: Bool
        static let all = WideValues(digits: true, dashes: true)
        static let secrets = WideValues(digits: false, dashes: true)
        static let personalData = WideValues(digits: true, dashes: false)
        /// One word (a URL): never wide.
        static let oneWord = WideValues(digits: false, dashes: false)
    }

    @inline(__always) static func wordStart(_ text: UnsafeRawBufferPointer, _ at: Int, floor: Int) -> Int {
        var k = at
        while k > floor {
            let b = text[k - 1]
            if b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D || b == UInt8(ascii: "\"") { break }
            k -= 1
        }
        return k
    }

    /// The longest value looked for across two looks at a stream (a JWT, a PEM header and the
    /// start of its body).
    static let overlap = 1_024

    /// The origins whose text is inspected for injection, one bit each (`1 << rawValue`): a
    /// mask, not an array, so a stream's every look reads it without reference counting.
    static let requestInjectionOrigins: UInt8 = 1 << AIOrigin.user.rawValue | responseInjectionOrigins
    static let responseInjectionOrigins: UInt8 =
        1 << AIOrigin.toolResult.rawValue | 1 << AIOrigin.mcpToolOutput.rawValue | 1 << AIOrigin.mcpToolDescription.rawValue

    /// Names in the transcript (tools called or listed) that `tools` does not permit.
    func checkTools(_ t: AITranscript, _ tools: AIAllowList, into found: inout AIDetections) {
        for i in 0..<t.segmentCount where t[i].isName && t[i].origin == .toolCall && !tools.permits(t.bytes(of: i)) {
            let s = t[i]
            found.add(AIDetection(kind: .toolNotAllowed, type: "tool", score: 1, segment: Int32(i), start: s.start, length: s.length))
        }
    }

    /// `from`: the arena offset before which the text was already looked at (a stream's
    /// earlier looks); segments ending before it are skipped, the others looked at from their
    /// `resumePoint`.
    private func inspectText(_ t: AITranscript, settings: AIInspectionSettings, injectionOrigins: UInt8, from: Int = 0,
                             into found: inout AIDetections) {
        if let tools = settings.tools, t.operation == .mcp { checkTools(t, tools, into: &found) }
        for i in 0..<t.segmentCount where !t[i].isName {
            let seg = t[i]
            let whole = t.bytes(of: i)
            let base = Int(seg.start)
            // A stream's later look: each scanner from its own resume point (secrets are one
            // word but for a PEM header; personal data may be several, with digits).
            var secretsFrom = 0
            var personalFrom = 0
            if from > base {
                guard base + whole.count > from else { continue }
                let points = AIInspector.resumePoints(whole, from: from - base)
                secretsFrom = points.secrets
                personalFrom = points.personalData
            }
            // Personal data inside a secret (a connection string's user@host) is the secret's.
            var secretSpans = InlineArray<8, (Int, Int)>(repeating: (0, 0))
            var secretCount = 0
            if settings.secrets {
                AISecretScanner.scan(UnsafeRawBufferPointer(rebasing: whole[secretsFrom...])) { m in
                    let start = secretsFrom + m.start
                    if secretCount < 8 { secretSpans[secretCount] = (start, start + m.length); secretCount += 1 }
                    found.add(AIDetection(kind: .secret, type: m.type, score: 1, segment: Int32(i), start: Int32(base + start),
                                          length: Int32(m.length)))
                }
            }
            if settings.personalData {
                AIPersonalDataScanner.scan(UnsafeRawBufferPointer(rebasing: whole[personalFrom...])) { m in
                    let start = personalFrom + m.start
                    for k in 0..<secretCount where start < secretSpans[k].1 && start + m.length > secretSpans[k].0 { return }
                    found.add(AIDetection(kind: .personalData, type: m.type, score: 1, segment: Int32(i),
                                          start: Int32(base + start), length: Int32(m.length)))
                }
            }
            let injectionFrom = min(secretsFrom, personalFrom)
            let text = UnsafeRawBufferPointer(rebasing: whole[injectionFrom...])
            if settings.injection && injectionOrigins & 1 << seg.origin.rawValue != 0,
               let f = injection.inspect(text, threshold: settings.injectionThreshold) {
                found.add(AIDetection(kind: .promptInjection, type: f.type, score: f.score, segment: Int32(i),
                                      start: Int32(base + injectionFrom + f.start), length: Int32(f.length)))
            }
        }
    }
}
