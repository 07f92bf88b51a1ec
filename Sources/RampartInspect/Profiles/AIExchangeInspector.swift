#if canImport(Glibc)
import Glibc
#endif
import RampartPolicy

/// The AI inspection of whole exchanges for callers outside the engine (`rampart bench ai`,
/// tools): every detector on, a request and its answer at a time, and URLs in model output
/// too once `checkURLs` names a URL filtering profile and lists. Returns the number of
/// detections; `lastDetections` lists them as (kind, type, score, masked span).
///
/// ```swift
/// let inspector = AIExchangeInspector()
/// inspector.checkURLs(URLFilteringProfile(name: "u", categories: ["malware": .block]), store: store)
/// let n = inspector.inspectRequest(path: "/v1/chat/completions", body: body)
/// ```
public final class AIExchangeInspector {
    let inspector: AIInspector
    var settings = AIInspectionSettings()
    var operation: AIOperation = .chatCompletions
    var last = AIDetections()
    var lastIsResponse = false
    var lastFlowing = false
    let flowing = AIStreamTable(capacity: 1)
    let urls = AIURLCheck()
    /// The URL check's list and profile, held by reference: a look (a packet's worth of a
    /// stream) then reads them in place instead of copying a dozen references.
    final class URLLists {
        let store: IndicatorStore
        let table: URLProfileTable
        init(store: IndicatorStore, table: URLProfileTable) { (self.store, self.table) = (store, table) }
    }
    var urlLists: URLLists?

    public init(textCapacity: Int = 64 << 10) {
        inspector = AIInspector(textCapacity: textCapacity)
    }

    /// Off: every streamed event parsed in full, none read from the last one
    /// (`AIEventTemplate`), to see what a server whose events never repeat costs.
    public var usesEventTemplates: Bool {
        get { inspector.stream.usesTemplate }
        set {
            inspector.stream.usesTemplate = newValue
            for d in flowing.decoders { d.usesTemplate = newValue }
        }
    }

    var lastTranscriptObject: AITranscript {
        lastFlowing ? flowing.transcripts[0] : (lastIsResponse ? inspector.response : inspector.request)
    }

    /// Checks URLs in model output against `profile` over `store`, as an AI security
    /// profile's `urlFiltering` does in the engine.
    public func checkURLs(_ profile: URLFilteringProfile, store: IndicatorStore) {
        urlLists = URLLists(store: store, table: URLProfileTable([profile], store: store))
    }

    /// Inspects a request to `path`; 0 when the path names no AI operation.
    public func inspectRequest(path: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer) -> Int {
        guard let op = AIOperation.classify(path: path) else { return 0 }
        operation = op
        last = inspector.inspectRequest(op, body: body, settings: settings)
        lastIsResponse = false
        lastFlowing = false
        checkURLs(inspector.request)
        return last.count
    }

    public func inspectRequest(path: String, body: UnsafeRawBufferPointer) -> Int {
        var p = Array(path.utf8)
        return p.withUnsafeMutableBytes { inspectRequest(path: UnsafeRawBufferPointer($0), body: body) }
    }

    /// Inspects the answer to the last request (streamed when `contentType` says
    /// `text/event-stream` or the body is an event stream).
    public func inspectResponse(contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer) -> Int {
        last = inspector.inspectResponse(operation, contentType: contentType, body: body, settings: settings)
        lastIsResponse = true
        lastFlowing = false
        checkURLs(inspector.response)
        return last.count
    }

    /// A streamed answer to the last request inspected as the firewall inspects one as it
    /// flows (`AIStreamTable`): fed an event at a time (each event a packet, as a model server
    /// sends them), the detectors looking at what each event added, then at the end.
    public func inspectResponseFlowing(contentType: UnsafeRawBufferPointer?, body: UnsafeRawBufferPointer) -> Int {
        let framing = AIExchangeParser.framing(operation, contentType: contentType, body: body) ?? .serverSentEvents
        let k = flowing.open(operation, framing: framing, owner: 1)
        let t = flowing.transcripts[Int(k)]
        var found = AIDetections()
        var checked = 0
        urls.begin()
        var start = 0
        while start < body.count {
            // The next event: up to an empty line ("\n\n"), or the body's end.
            var end = body.count
            var at = start
            while let p = memchr(body.baseAddress! + at, 0x0A, body.count - at) {
                let i = body.baseAddress!.distance(to: UnsafeRawPointer(p))
                if i + 1 < body.count && body[i + 1] == 0x0A {
                    end = i + 2
                    break
                }
                at = i + 1
            }
            flowing.feed(k, UnsafeRawBufferPointer(rebasing: body[start..<end]), owner: 1)
            start = end
            look(t, from: checked, into: &found)
            checked = t.used
        }
        flowing.finish(k)
        look(t, from: checked, into: &found)
        flowing.close(k)
        last = found
        lastIsResponse = true
        lastFlowing = true
        return found.count
    }

    /// One look at a stream being fed: what its text gained since `from`, URLs included.
    private func look(_ t: AITranscript, from: Int, into found: inout AIDetections) {
        inspector.inspectStreamPart(t, from: from, settings: settings, into: &found)
        if let l = urlLists { urls.check(t, profile: 0, store: l.store, table: l.table, from: from, into: &found) }
    }

    /// The last exchange's detections: kind, type, score and the span masked.
    public var lastDetections: [(kind: String, type: String, score: Float, masked: String)] {
        let t = lastTranscriptObject
        return (0..<last.count).map { k in
            let d = last.items[k]
            let span = UnsafeRawBufferPointer(start: t.text + Int(d.start), count: Int(d.length))
            if d.kind == .url { return (d.kind.name, urls.category(at: d.start), d.score, AIURLCheck.mask(span)) }
            return (d.kind.name, d.type.description, d.score, AIMask.mask(span, type: d.type))
        }
    }

    private func checkURLs(_ t: AITranscript) {
        urls.begin()
        guard let l = urlLists else { return }
        urls.check(t, profile: 0, store: l.store, table: l.table, into: &last)
    }

    /// The last transcript's text bytes, segments and streamed events (for reports).
    public var lastTranscript: (textBytes: Int, segments: Int, events: Int) {
        let t = lastTranscriptObject
        return (t.textBytes, t.segmentCount, t.events)
    }
}
