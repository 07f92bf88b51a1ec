/// URLs in model output (assistant text, tool calls, tool results, MCP output) looked up as
/// URL filtering looks up a request: a URL whose category the URL filtering profile does not
/// allow is a `url` detection, its span the URL and its type (in the record) the category.
/// Every refused URL of a segment is one, up to `AIDetections.urlCapacity` a message (the
/// rest counted, `notListed`); at most `AIURLScanner.limit` URLs a segment are looked at
/// (more: `scanLimitHit`). One per worker (the engine's `AIEngineState`,
/// `AIExchangeInspector`), allocated once: lookups allocate nothing; only refused URLs cost
/// their category's name.
///
/// ```swift
/// let urls = AIURLCheck()
/// urls.begin()
/// urls.check(transcript, profile: 0, store: store, table: table, into: &found)
/// urls.category(at: found.items[0].start)   // "malware"
/// ```
final class AIURLCheck {
    /// The URL path normalisation memory of the lookups.
    var buffer = URLPathBuffer(capacity: 4096)
    /// URL detections' categories by span start, for the exchange being inspected.
    var categories: [(start: Int32, category: String)] = []
    /// Refused URLs of the exchange past `AIDetections.urlCapacity`: counted, not listed.
    var notListed = 0
    /// Set by a check, for the engine to count and log as limits (`EngineLimit.aiURLsPerSegment`,
    /// `.aiURLDetections`) after the packet; cleared by it.
    var scanLimitHit = false
    var detectionLimitHit = false

    /// Forgets the last exchange's categories and count.
    func begin() {
        if !categories.isEmpty { categories.removeAll(keepingCapacity: true) }
        notListed = 0
    }

    /// `from`: the arena offset already looked at (a stream's earlier looks, as for
    /// `AIInspector.inspectStreamPart`; `found` then holds the stream's detections so far).
    func check(_ t: AITranscript, profile: Int, store: IndicatorStore?, table: URLProfileTable, from: Int = 0,
               into found: inout AIDetections) {
        var listed = found.count(of: .url)
        for k in 0..<t.segmentCount {
            var seg = t[k]
            guard !seg.isName else { continue }
            switch seg.origin {
            case .assistant, .toolCall, .toolResult, .mcpToolOutput: break
            case .system, .user, .mcpToolDescription: continue
            }
            if from > Int(seg.start) {
                guard Int(seg.start) + Int(seg.length) > from else { continue }
                let resume = AIInspector.resumePoint(t.bytes(of: k), from: from - Int(seg.start), wide: .oneWord)
                seg.start += Int32(resume)
                seg.length -= Int32(resume)
            }
            let text = UnsafeRawBufferPointer(start: t.text + Int(seg.start), count: Int(seg.length))
            // Most of a stream's looks add a few words without a `.` or `:`: no URL, and no
            // lookup set up.
            guard AIURLScanner.mayHold(text) else { continue }
            check(text, segment: k, at: seg.start, profile: profile, store: store, table: table, listed: &listed, into: &found)
        }
    }

    @inline(never)
    private func check(_ text: UnsafeRawBufferPointer, segment k: Int, at segmentStart: Int32, profile: Int, store: IndicatorStore?,
                       table: URLProfileTable, listed: inout Int, into found: inout AIDetections) {
        let more = AIURLScanner.scan(text) { u in
            let host = UnsafeRawBufferPointer(rebasing: text[u.hostStart..<(u.hostStart + u.hostLength)])
            let match: IndicatorMatch?
            if u.pathLength > 0 {
                let path = UnsafeRawBufferPointer(rebasing: text[u.pathStart..<(u.pathStart + u.pathLength)])
                match = store?.classify(host: host, path: path, buffer: &buffer).match
            } else {
                match = AIURLCheck.slash.withUnsafeBytes { store?.classify(host: host, path: $0, buffer: &buffer).match }
            }
            guard table.action(profile, match: match, store: store) != .allow else { return }
            guard listed < AIDetections.urlCapacity else {
                notListed += 1
                detectionLimitHit = true
                return
            }
            let start = segmentStart + Int32(u.start)
            let before = found.count
            found.add(AIDetection(kind: .url, type: "url", score: 1, segment: Int32(k), start: start, length: Int32(u.length)))
            if found.count > before {
                listed += 1
                categories.append((start, table.decide(profile, match: match, store: store).category))
            }
        }
        if more { scanLimitHit = true }
    }

    /// The category of the URL detection whose span starts at `start`.
    func category(at start: Int32) -> String {
        categories.first { $0.start == start }?.category ?? "url"
    }

    /// The note the record's last URL detection carries when some were not listed.
    var note: String? {
        guard notListed > 0 else { return nil }
        return "\(notListed) more URL\(notListed == 1 ? "" : "s") refused, not listed (\(AIDetections.urlCapacity) listed a message)"
    }

    static let slash: [UInt8] = [0x2F]

    /// A URL as logged: scheme and host in clear (what the category is about), the path and
    /// query masked (they may carry tokens). A name without a scheme (`evil.example/x`)
    /// likewise.
    static func mask(_ span: UnsafeRawBufferPointer) -> String {
        var hostStart = 0
        for k in 0..<min(span.count, 6) where span[k] == UInt8(ascii: ":") {
            if k + 2 < span.count && span[k + 1] == UInt8(ascii: "/") && span[k + 2] == UInt8(ascii: "/") { hostStart = k + 3 }
            break
        }
        var hostEnd = span.count
        for k in hostStart..<span.count
        where span[k] == UInt8(ascii: "/") || span[k] == UInt8(ascii: "?") || span[k] == UInt8(ascii: "#") {
            hostEnd = k
            break
        }
        let head = String(decoding: span[0..<min(hostEnd, 256)], as: UTF8.self)
        let rest = span.count - hostEnd
        return rest > 0 ? head + String(repeating: "*", count: min(rest, 64)) : head
    }
}
