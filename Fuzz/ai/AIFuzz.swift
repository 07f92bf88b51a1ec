// libFuzzer target for the AI inspection (Sources/RampartInspect/AI): the JSON scanner, every
// API's request, answer and stream schema (the stream fed whole and in pieces of the input's
// choosing, and looked at after each piece as the firewall looks at a stream as it flows),
// and every detector over the raw bytes (normaliser, rules, classifier, base64
// pieces, the multilingual rules over folded text in small chunks, secret and personal-data
// scanners, masking), the URL scanner over the raw bytes and
// the JSON-RPC ids a request carries. Nothing may trap, read out of bounds or
// write beyond the fixed buffers, whatever the bytes. Built by Fuzz/ai/build.sh as one module
// with the AI folder alone.

let inspector = AIInspector(textCapacity: 4096, maxSegments: 16, eventCapacity: 512)
let transcript = AITranscript(capacity: 1024, maxSegments: 8)
let stream = AIStreamDecoder(eventCapacity: 256)
// The same stream read with every event parsed in full, to check `AIEventTemplate` against.
let fullStream: AIStreamDecoder = { let d = AIStreamDecoder(eventCapacity: 256); d.usesTemplate = false; return d }()
let fullTranscript = AITranscript(capacity: 1024, maxSegments: 8)
let operations: [AIOperation] = [.chatCompletions, .completions, .responses, .embeddings, .messages, .ollamaChat,
                                 .ollamaGenerate, .mcp]
var settings = AIInspectionSettings()
let smallFold = AITextFold(capacity: 64)  // chunks of at most 64 folded bytes: terms across chunk borders

@_cdecl("LLVMFuzzerTestOneInput")
public func aiFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let op = operations[Int(data[0]) % operations.count]
    let piece = Int(data[1]) % 32 + 1
    let body = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    settings.models = data[0] & 0x80 != 0 ? AIAllowList(["gpt-*"]) : nil
    settings.tools = data[0] & 0x40 != 0 ? AIAllowList(["a*b"]) : nil
    // The scanner alone, to its end.
    var scanner = JSONScanner(body)
    var tokens = 0
    while tokens < 100_000 {
        let t = scanner.next()
        if t.kind == .end || t.kind == .error { break }
        precondition(t.start <= t.end && t.end <= body.count)
        tokens += 1
    }
    _ = inspector.inspectRequest(op, body: body, settings: settings)
    let found = inspector.inspectResponse(op, contentType: nil, body: body, settings: settings)
    for k in 0..<found.count {
        let d = found.items[k]
        precondition(d.start >= 0 && Int(d.start) + Int(d.length) <= inspector.response.used)
        _ = AIMask.mask(UnsafeRawBufferPointer(start: inspector.response.text + Int(d.start), count: Int(d.length)), type: d.type)
    }
    // The multilingual rules over the raw bytes, folded 64 bytes at a time: a span inside the input.
    if let m = AIMultilingualRules.best(body, fold: smallFold) {
        precondition(m.start >= 0 && m.length > 0 && m.start + m.length <= body.count)
    }
    // URLs in the raw bytes: every span inside the input, the host and path inside the URL,
    // spans in order without overlap, at most `limit` of them; a name without a scheme is
    // its host first, and its host ends in a listed TLD or starts with `www.`.
    var urlEnd = 0
    var urls = 0
    AIURLScanner.scan(body) { u in
        precondition(u.start >= urlEnd && u.length > 0 && u.start + u.length <= body.count)
        precondition(u.hostStart >= u.start && u.hostStart + u.hostLength <= u.start + u.length && u.hostLength > 0)
        precondition(u.pathStart == u.hostStart + u.hostLength && u.pathStart + u.pathLength == u.start + u.length)
        if !u.hasScheme {
            precondition(u.hostStart == u.start)
            var end = u.hostStart + u.hostLength
            if let colon = body[u.hostStart..<end].firstIndex(of: UInt8(ascii: ":")) { end = colon }
            let dot = body[u.hostStart..<end].lastIndex(of: UInt8(ascii: "."))!
            let www = body[u.hostStart..<(u.hostStart + 4)].map { $0 | 0x20 }.elementsEqual("www.".utf8)
            precondition(www || AIURLTopLevelDomains.contains(UnsafeRawBufferPointer(rebasing: body[(dot + 1)..<end])))
        }
        urlEnd = u.start + u.length
        urls += 1
    }
    precondition(urls <= AIURLScanner.limit)
    // The request's JSON-RPC ids (MCP), as a blocked request's error would carry them.
    let ids = inspector.request.requestIDList
    precondition(ids.count <= inspector.request.requestIDCount)
    // The stream in pieces: the same text as whole (the assembler keeps no state across pieces but its own).
    transcript.reset()
    stream.reset(data[1] & 1 == 0 ? .serverSentEvents : .jsonLines)
    fullTranscript.reset()
    fullStream.reset(data[1] & 1 == 0 ? .serverSentEvents : .jsonLines)
    let schema = AIExchangeParser.responseSchema(op, streamed: true)
    // Each piece looked at as the firewall looks at a stream as it flows (`inspectStreamPart`
    // from where the last look stopped): spans inside the text, resume points inside the
    // overlap.
    var i = 0
    var checked = 0
    func look() {
        var part = AIDetections()
        inspector.inspectStreamPart(transcript, from: checked, settings: settings, into: &part)
        for k in 0..<part.count {
            let d = part.items[k]
            precondition(d.start >= 0 && Int(d.start) + Int(d.length) <= transcript.used)
        }
        precondition(transcript.used >= checked)
        checked = transcript.used
    }
    while i < body.count {
        let j = min(body.count, i + piece)
        stream.feed(UnsafeRawBufferPointer(rebasing: body[i..<j]), schema: schema, into: transcript)
        fullStream.feed(UnsafeRawBufferPointer(rebasing: body[i..<j]), schema: schema, into: fullTranscript)
        precondition(transcript.sameReading(as: fullTranscript), "an event read from the template differs from its full reading")
        look()
        i = j
    }
    stream.finish(schema: schema, into: transcript)
    fullStream.finish(schema: schema, into: fullTranscript)
    precondition(transcript.sameReading(as: fullTranscript), "an event read from the template differs from its full reading")
    look()
    precondition(transcript.used <= transcript.capacity && transcript.segmentCount <= transcript.maxSegments)
    let resume = AIInspector.resumePoint(body, from: body.count / 2)
    precondition(resume <= body.count / 2 && resume >= max(0, body.count / 2 - AIInspector.overlap))
    return 0
}
