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
    func inspectStreamPart(_ t: AITranscript, from: Int, settings: AIInspectionSettings) -> AIDetections {
        var found = AIDetections()
        if t.textBytes > settings.maxStreamBytes || t.events > settings.maxStreamEvents {
            found.add(AIDetection(kind: .runawayStream, type: "stream", score: 1, segment: -1, start: 0, length: 0))
        }
        guard settings.responses else { return found }
        inspectText(t, settings: settings, injectionOrigins: AIInspector.responseInjectionOrigins, from: from, into: &found)
        return found
    }

    /// Where to resume looking in a segment's `text` whose first `from` bytes were looked at:
    /// back to the start of the word under way (a key, a token or a URL cut between events),
    /// and, when the 48 bytes before it hold a digit, `+`, `-` or `@` (a card number, an IBAN
    /// or a phone number written with spaces, a PEM header), 48 bytes back and to that word's
    /// start; at most `AIInspector.overlap` bytes back.
    static func resumePoint(_ text: UnsafeRawBufferPointer, from: Int) -> Int {
        guard from > 0 else { return 0 }
        let floor = max(0, from - AIInspector.overlap)
        var k = wordStart(text, from, floor: floor)
        let wide = max(floor, from - 48)
        var j = k
        while j > wide {
            let b = text[j - 1]
            if (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") || b == UInt8(ascii: "@") {
                k = wordStart(text, wide, floor: floor)
                break
            }
            j -= 1
        }
        return k
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

    static let requestInjectionOrigins: [AIOrigin] = [.user, .toolResult, .mcpToolOutput, .mcpToolDescription]
    static let responseInjectionOrigins: [AIOrigin] = [.toolResult, .mcpToolOutput, .mcpToolDescription]

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
    private func inspectText(_ t: AITranscript, settings: AIInspectionSettings, injectionOrigins: [AIOrigin], from: Int = 0,
                             into found: inout AIDetections) {
        if let tools = settings.tools, t.operation == .mcp { checkTools(t, tools, into: &found) }
        for i in 0..<t.segmentCount where !t[i].isName {
            let seg = t[i]
            var text = t.bytes(of: i)
            var base = Int(seg.start)
            if from > base {
                guard base + text.count > from else { continue }
                let resume = AIInspector.resumePoint(text, from: from - base)
                text = UnsafeRawBufferPointer(rebasing: text[resume...])
                base += resume
            }
            // Personal data inside a secret (a connection string's user@host) is the secret's.
            var secretSpans = InlineArray<8, (Int, Int)>(repeating: (0, 0))
            var secretCount = 0
            if settings.secrets {
                AISecretScanner.scan(text) { m in
                    if secretCount < 8 { secretSpans[secretCount] = (m.start, m.start + m.length); secretCount += 1 }
                    found.add(AIDetection(kind: .secret, type: m.type, score: 1, segment: Int32(i), start: Int32(base + m.start),
                                          length: Int32(m.length)))
                }
            }
            if settings.personalData {
                AIPersonalDataScanner.scan(text) { m in
                    for k in 0..<secretCount where m.start < secretSpans[k].1 && m.start + m.length > secretSpans[k].0 { return }
                    found.add(AIDetection(kind: .personalData, type: m.type, score: 1, segment: Int32(i),
                                          start: Int32(base + m.start), length: Int32(m.length)))
                }
            }
            if settings.injection && injectionOrigins.contains(seg.origin),
               let f = injection.inspect(text, threshold: settings.injectionThreshold) {
                found.add(AIDetection(kind: .promptInjection, type: f.type, score: f.score, segment: Int32(i),
                                      start: Int32(base + f.start), length: Int32(f.length)))
            }
        }
    }
}
