import RampartPolicy
import RampartWire

/// HTTP/1.x: proved by the client's request line, `METHOD SP target SP HTTP/1.d CRLF`,
/// with the method from a strict list (RFC 9110, PATCH, WebDAV and CalDAV), or, when the
/// client's bytes are missing, by the server's status line `HTTP/1.d NNN`.
///
/// Extracts the first request's method, target, version, Host, User-Agent, Content-Type,
/// Content-Length and the response status; later pipelined requests are not read. The
/// answer is the most specific application: AI and platform APIs on plain HTTP are
/// refined by `AIApplications` (`openai-api`, `anthropic-api`, `ollama`, `mcp`,
/// `kubernetes-api`), everything else is `http`. An `Upgrade: h2c` request is still `http`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// let result = HTTP1.probe(prefix, into: &metadata)   // .identified(HTTP1.application)
/// metadata.httpMethod                                 // "GET"
/// ```
enum HTTP1 {
    static let application = ApplicationCatalog.id(named: "http")!

    /// Past this many bytes of a direction the decoder answers with what it has.
    static let decisionDepth = 4096

    /// Request methods that prove HTTP (case-sensitive, as on the wire).
    static let methods: [StaticString] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
        "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
        "MKCALENDAR", "MKACTIVITY", "CHECKOUT", "MERGE", "ACL",
    ]

    /// Identifies HTTP/1.x from the first bytes of a session and fills the HTTP metadata.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let request = prefix.toServer
        guard request.count > 0 else {
            guard prefix.toClient.count > 0 else {
                return prefix.toServerComplete && prefix.toClientComplete ? .notThis : .needMore
            }
            return probeResponseOnly(prefix, into: &metadata)
        }
        let complete = prefix.toServerComplete || request.count >= decisionDepth
        switch HTTP1RequestLine.parse(request) {
        case .invalid:
            return .notThis
        case .partial:
            return complete ? .notThis : .needMore
        case .longTarget(let methodEnd):
            // A target longer than the decision depth, after a known method: still HTTP.
            metadata.httpMethod = HTTPText.bounded(UnsafeRawBufferPointer(rebasing: request[0..<methodEnd]))
            metadata.httpURI = HTTPText.bounded(UnsafeRawBufferPointer(rebasing: request[(methodEnd + 1)...]))
            return .identified(application)
        case .line(let line):
            let headerBlock = HTTP1HeaderBlock.scan(request, from: line.end)
            if !headerBlock.terminated && !complete { return .needMore }
            var facts = HTTPRequestFacts(
                method: HTTPText.bounded(UnsafeRawBufferPointer(rebasing: request[0..<line.methodEnd])),
                target: HTTPText.bounded(UnsafeRawBufferPointer(rebasing: request[line.targetRange])))
            var contentLength: Int?
            var chunked = false
            HTTP1HeaderBlock.forEach(request, in: line.end..<headerBlock.end) { name, value in
                let lower = name.lowercased()
                facts.note(header: lower, value: value)
                if lower == "content-length" { contentLength = contentLength ?? Int(value).flatMap { $0 >= 0 ? $0 : nil } }
                if lower == "transfer-encoding" { chunked = value.lowercased().contains("chunked") }
            }
            let bodyStart = headerBlock.terminated ? headerBlock.end : request.count
            let body = UnsafeRawBufferPointer(rebasing: request[bodyStart...])
            // Wait for the start of the body (bounded) when it may name the application.
            let room = max(0, decisionDepth - bodyStart)
            let wanted = min(chunked ? min(64, room) : (contentLength ?? 0), AIApplications.bodyScanLimit, room)
            if body.count < wanted && !complete { return .needMore }

            metadata.httpMethod = facts.method
            metadata.httpURI = facts.target
            metadata.httpProtocol = HTTPText.bounded(UnsafeRawBufferPointer(rebasing: request[line.versionRange]))
            metadata.httpHost = facts.authority.map(HTTPText.bounded)
            metadata.httpUserAgent = facts.userAgent.map(HTTPText.bounded)
            metadata.httpContentType = facts.contentType.map(HTTPText.bounded)
            metadata.httpContentLength = contentLength
            if let status = HTTP1StatusLine.parse(prefix.toClient).status { metadata.httpStatus = status }
            if let refined = AIApplications.application(for: facts, body: body) {
                AIApplications.describe(refined, request: facts, body: body, into: &metadata)
                return .identified(refined)
            }
            return .identified(application)
        }
    }

    /// The client's bytes are missing (capture began mid-session): the status line decides.
    private static func probeResponseOnly(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let parsed = HTTP1StatusLine.parse(prefix.toClient)
        if let status = parsed.status {
            metadata.httpStatus = status
            metadata.httpProtocol = HTTPText.bounded(UnsafeRawBufferPointer(rebasing: prefix.toClient[0..<8]))
            return .identified(application)
        }
        if parsed.validPrefix && !prefix.toClientComplete { return .needMore }
        return .notThis
    }
}

/// The request line of HTTP/1.x, parsed in place.
enum HTTP1RequestLine {
    struct Parsed {
        var methodEnd: Int
        var targetRange: Range<Int>
        var versionRange: Range<Int>
        /// Offset just past the line's LF.
        var end: Int
    }

    enum Outcome {
        case invalid
        case partial
        case longTarget(methodEnd: Int)
        case line(Parsed)
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        // Most other protocols fail here, on their first byte.
        guard bytes.count > 0, isMethodInitial(bytes[0]) else { return .invalid }
        // Method: a listed token followed by one space.
        var i = 0
        while i < bytes.count && i < 12 && bytes[i] >= UInt8(ascii: "A") && bytes[i] <= UInt8(ascii: "Z") { i += 1 }
        if i == bytes.count { return isMethodPrefix(bytes) ? .partial : .invalid }
        guard i > 0, bytes[i] == UInt8(ascii: " "), isMethod(UnsafeRawBufferPointer(rebasing: bytes[0..<i])) else {
            return .invalid
        }
        let methodEnd = i
        // Target: visible bytes up to the next space.
        i += 1
        let targetStart = i
        while i < bytes.count && bytes[i] != UInt8(ascii: " ") {
            guard bytes[i] > 0x20 && bytes[i] != 0x7F else { return .invalid }
            i += 1
        }
        if i == bytes.count {
            if bytes.count >= HTTP1.decisionDepth && i - targetStart > 0
                && (bytes[targetStart] == UInt8(ascii: "/") || bytes[targetStart] == UInt8(ascii: "h")) {
                return .longTarget(methodEnd: methodEnd)
            }
            return .partial
        }
        guard i > targetStart else { return .invalid }
        let targetRange = targetStart..<i
        // Version: HTTP/1.d then CRLF (or a bare LF, which servers accept).
        i += 1
        let versionStart = i
        let pattern: StaticString = "HTTP/1."
        let p = UnsafeRawBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        for k in 0..<p.count {
            guard i < bytes.count else { return .partial }
            guard bytes[i] == p[k] else { return .invalid }
            i += 1
        }
        guard i < bytes.count else { return .partial }
        guard bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") else { return .invalid }
        i += 1
        let versionRange = versionStart..<i
        guard i < bytes.count else { return .partial }
        if bytes[i] == UInt8(ascii: "\r") {
            i += 1
            guard i < bytes.count else { return .partial }
        }
        guard bytes[i] == UInt8(ascii: "\n") else { return .invalid }
        return .line(Parsed(methodEnd: methodEnd, targetRange: targetRange, versionRange: versionRange, end: i + 1))
    }

    /// The first letters of `HTTP1.methods`.
    private static func isMethodInitial(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "G"), UInt8(ascii: "H"), UInt8(ascii: "P"), UInt8(ascii: "D"), UInt8(ascii: "C"),
             UInt8(ascii: "O"), UInt8(ascii: "T"), UInt8(ascii: "M"), UInt8(ascii: "L"), UInt8(ascii: "U"),
             UInt8(ascii: "S"), UInt8(ascii: "R"), UInt8(ascii: "A"):
            return true
        default:
            return false
        }
    }

    private static func isMethod(_ token: UnsafeRawBufferPointer) -> Bool {
        HTTP1.methods.contains { m in
            m.utf8CodeUnitCount == token.count && equal(m, token, count: token.count)
        }
    }

    private static func isMethodPrefix(_ token: UnsafeRawBufferPointer) -> Bool {
        HTTP1.methods.contains { m in
            m.utf8CodeUnitCount >= token.count && equal(m, token, count: token.count)
        }
    }

    private static func equal(_ m: StaticString, _ token: UnsafeRawBufferPointer, count: Int) -> Bool {
        let mb = UnsafeRawBufferPointer(start: m.utf8Start, count: m.utf8CodeUnitCount)
        for k in 0..<count where mb[k] != token[k] { return false }
        return true
    }
}

/// The header block after a start line: where it ends, and its fields one by one.
enum HTTP1HeaderBlock {
    /// `end` is just past the empty line when `terminated`, else the end of the bytes.
    static func scan(_ bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, terminated: Bool) {
        var i = start
        while i < bytes.count {
            // At the start of a line: an empty line ends the block.
            if bytes[i] == UInt8(ascii: "\n") { return (i + 1, true) }
            if bytes[i] == UInt8(ascii: "\r") && i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") {
                return (i + 2, true)
            }
            while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
            i += 1
        }
        return (bytes.count, false)
    }

    /// Calls `body` with each complete `Name: value` line in `range` (value trimmed,
    /// both bounded and sanitised). Lines without a colon or with folding are skipped.
    static func forEach(_ bytes: UnsafeRawBufferPointer, in range: Range<Int>, _ body: (String, String) -> Void) {
        var i = range.lowerBound
        let end = min(range.upperBound, bytes.count)
        while i < end {
            var lineEnd = i
            while lineEnd < end && bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            guard lineEnd < end else { return }   // an incomplete last line says nothing reliable
            var contentEnd = lineEnd
            if contentEnd > i && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            if contentEnd > i && bytes[i] != UInt8(ascii: " ") && bytes[i] != UInt8(ascii: "\t") {
                var colon = i
                while colon < contentEnd && bytes[colon] != UInt8(ascii: ":") { colon += 1 }
                if colon < contentEnd && colon > i && colon - i <= 64 {
                    var v = colon + 1
                    while v < contentEnd && (bytes[v] == UInt8(ascii: " ") || bytes[v] == UInt8(ascii: "\t")) { v += 1 }
                    var ve = contentEnd
                    while ve > v && (bytes[ve - 1] == UInt8(ascii: " ") || bytes[ve - 1] == UInt8(ascii: "\t")) { ve -= 1 }
                    body(HTTPText.bounded(UnsafeRawBufferPointer(rebasing: bytes[i..<colon])),
                         HTTPText.bounded(UnsafeRawBufferPointer(rebasing: bytes[v..<ve])))
                }
            }
            i = lineEnd + 1
        }
    }
}

/// The status line of an HTTP/1.x response: `HTTP/1.d NNN`.
enum HTTP1StatusLine {
    /// `status` when the line proves a response; `validPrefix` when the bytes so far could
    /// still become one.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> (status: Int?, validPrefix: Bool) {
        let pattern: StaticString = "HTTP/1.0 000"
        let p = UnsafeRawBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        for k in 0..<min(bytes.count, p.count + 1) {
            let b = bytes[k]
            let ok: Bool
            switch k {
            case 7, 9, 10, 11: ok = b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")
            case 12: ok = b == UInt8(ascii: " ") || b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n")
            default: ok = b == p[k]
            }
            guard ok else { return (nil, false) }
        }
        guard bytes.count > p.count else { return (nil, true) }
        let status = Int(bytes[9] - 0x30) * 100 + Int(bytes[10] - 0x30) * 10 + Int(bytes[11] - 0x30)
        guard status >= 100 && status <= 599 else { return (nil, false) }
        return (status, true)
    }
}
