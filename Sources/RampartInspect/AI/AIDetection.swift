/// What an AI detector found.
enum AIDetectionKind: UInt8, Sendable, CaseIterable {
    case promptInjection, secret, personalData, modelNotAllowed, toolNotAllowed, rateLimit, oversizedPrompt, runawayStream, url

    /// The name in the policy (`aiSecurityProfiles`) and in `ai` records.
    var name: String {
        switch self {
        case .promptInjection: "prompt-injection"
        case .secret: "secret"
        case .personalData: "personal-data"
        case .modelNotAllowed: "model-not-allowed"
        case .toolNotAllowed: "tool-not-allowed"
        case .rateLimit: "rate-limit"
        case .oversizedPrompt: "oversized-prompt"
        case .runawayStream: "runaway-stream"
        case .url: "url"
        }
    }
}

/// One detection: its kind and type (`aws-access-key`, `rule:ignore-instructions`,
/// `classifier`), a score in 0...1, the segment it was in and the span of the transcript's
/// text that triggered it (`start..<start+length`, empty for whole-exchange detections).
struct AIDetection: Sendable, Equatable {
    var kind: AIDetectionKind
    var type: StaticString
    var score: Float
    var segment: Int32
    var start: Int32
    var length: Int32

    static func == (a: AIDetection, b: AIDetection) -> Bool {
        a.kind == b.kind && a.type.description == b.type.description && a.score == b.score && a.segment == b.segment
            && a.start == b.start && a.length == b.length
    }
}

/// The detections of one exchange, bounded: past `capacity` they are counted, not kept.
/// Room for `urlCapacity` URL detections (`AIURLCheck` keeps to it) besides
/// the other kinds.
struct AIDetections: Sendable {
    static let capacity = 24
    static let urlCapacity = 8
    var items = InlineArray<24, AIDetection>(repeating: AIDetection(kind: .secret, type: "", score: 0, segment: -1, start: 0, length: 0))
    var count = 0
    var dropped = 0

    mutating func add(_ d: AIDetection) {
        // One detection per kind and type and segment: the highest score. URLs are each
        // their own (a segment may name several refused sites): one per span.
        for i in 0..<count where items[i].kind == d.kind && items[i].segment == d.segment
            && items[i].type.utf8Start == d.type.utf8Start && (d.kind != .url || items[i].start == d.start) {
            if d.score > items[i].score { items[i] = d }
            return
        }
        guard count < AIDetections.capacity else { dropped += 1; return }
        items[count] = d
        count += 1
    }

    func contains(_ kind: AIDetectionKind) -> Bool {
        for i in 0..<count where items[i].kind == kind { return true }
        return false
    }

    func count(of kind: AIDetectionKind) -> Int {
        var n = 0
        for i in 0..<count where items[i].kind == kind { n += 1 }
        return n
    }

    mutating func removeAll() { count = 0; dropped = 0 }
}

/// How detected text appears in logs: enough to recognise it, never enough to use it.
enum AIMask {
    /// Payment cards keep their last four digits; other values their first four and last two
    /// characters when longer than 12, nothing when shorter; the rest are `*`.
    static func mask(_ bytes: UnsafeRawBufferPointer, type: StaticString) -> String {
        var out = [UInt8](repeating: UInt8(ascii: "*"), count: min(bytes.count, 64))
        let n = out.count
        if type.description == "payment-card" {
            var kept = 0
            var k = bytes.count - 1
            while k >= 0 && kept < 4 {
                if bytes[k] >= 0x30 && bytes[k] <= 0x39, k - (bytes.count - n) >= 0 {
                    out[k - (bytes.count - n)] = bytes[k]
                    kept += 1
                }
                k -= 1
            }
        } else if n > 12 {
            for k in 0..<4 { out[k] = bytes[k] }
            if n == bytes.count { for k in (n - 2)..<n { out[k] = bytes[k] } }
        }
        for k in 0..<n where out[k] != UInt8(ascii: "*") && (out[k] < 0x20 || out[k] > 0x7E) { out[k] = UInt8(ascii: "?") }
        return String(decoding: out, as: UTF8.self) + (bytes.count > n ? "…" : "")
    }
}
