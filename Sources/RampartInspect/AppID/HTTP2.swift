import RampartPolicy
import RampartWire

/// HTTP/2 in cleartext with prior knowledge (h2c): proved by the client's connection
/// preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. (An HTTP/1.1 request with `Upgrade: h2c`
/// is `http`: `HTTP1` answers for it.)
///
/// After the preface the frames are walked (SETTINGS, WINDOW_UPDATE, PRIORITY, ...) to the
/// first HEADERS block (with its CONTINUATIONs, padding and priority fields), which a full
/// HPACK decoder turns into `:method`, `:path`, `:authority` and `content-type`. A
/// `content-type` of `application/grpc*` is `grpc` (service and method from the path
/// `/pkg.Service/Method`); AI and platform paths refine as for HTTP/1 (`AIApplications`).
/// Malformed frames or HPACK stop the header decoding and the session stays `http2`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// HTTP2.probe(prefix, into: &metadata)   // .identified(HTTP2.grpc)
/// metadata.grpcService                   // "helloworld.Greeter"
/// ```
enum HTTP2 {
    static let application = ApplicationCatalog.id(named: "http2")!
    static let grpc = ApplicationCatalog.id(named: "grpc")!

    static let preface: StaticString = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    /// Identifies h2c from the first bytes of a session and fills the HTTP and gRPC metadata.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let bytes = prefix.toServer
        let p = UnsafeRawBufferPointer(start: preface.utf8Start, count: preface.utf8CodeUnitCount)
        let compared = min(bytes.count, p.count)
        for k in 0..<compared where bytes[k] != p[k] { return .notThis }
        if compared < p.count {
            let noMore = prefix.toServerComplete || (bytes.count == 0 && prefix.toClientComplete)
            return noMore ? .notThis : .needMore
        }

        let complete = prefix.toServerComplete || bytes.count >= HTTP1.decisionDepth
        let request = HTTP2Frames.firstHeaders(bytes, from: p.count)
        switch request.outcome {
        case .incomplete:
            if !complete { return .needMore }
            return identifiedPlain(&metadata)
        case .malformed:
            return identifiedPlain(&metadata)
        case .found:
            break
        }
        guard case .success(let fields) = decode(request.block) else {
            // Malformed HPACK: the preface proved HTTP/2; the headers stay unread.
            return identifiedPlain(&metadata)
        }
        // Wait (bounded) for the first DATA bytes when the body may name the application;
        // gRPC is named by its headers alone.
        if !request.endStream && request.body.isEmpty && !request.bodyEnded && !complete && !isGRPCContentType(fields) {
            return .needMore
        }
        metadata.httpProtocol = "HTTP/2"
        if let status = serverStatus(prefix.toClient) { metadata.httpStatus = status }

        var facts = HTTPRequestFacts(method: "", target: "")
        var contentLength: Int?
        for field in fields {
            let name = HTTPText.bounded(field.name).lowercased()
            let value = HTTPText.bounded(field.value)
            switch name {
            case ":method": facts.method = value
            case ":path": facts.target = value
            case "content-length": contentLength = Int(value).flatMap { $0 >= 0 ? $0 : nil }
            default: facts.note(header: name, value: value)
            }
        }
        metadata.httpMethod = facts.method.isEmpty ? nil : facts.method
        metadata.httpURI = facts.target.isEmpty ? nil : facts.target
        metadata.httpHost = facts.authority
        metadata.httpUserAgent = facts.userAgent
        metadata.httpContentType = facts.contentType
        metadata.httpContentLength = contentLength

        if let contentType = facts.contentType, contentType.lowercased().hasPrefix("application/grpc") {
            let (service, method) = grpcName(facts.path)
            metadata.grpcService = service
            metadata.grpcMethod = method
            return .identified(grpc)
        }
        let refined = request.body.withUnsafeBytes { body -> ApplicationID? in
            guard let app = AIApplications.application(for: facts, body: body) else { return nil }
            AIApplications.describe(app, request: facts, body: body, into: &metadata)
            return app
        }
        return .identified(refined ?? application)
    }

    private static func identifiedPlain(_ metadata: inout ApplicationMetadata) -> ProbeResult {
        metadata.httpProtocol = "HTTP/2"
        return .identified(application)
    }

    private static func decode(_ block: [UInt8]) -> Result<[HPACKField], HPACKError> {
        var decoder = HPACKDecoder()
        return block.withUnsafeBytes { decoder.decode($0) }
    }

    private static func isGRPCContentType(_ fields: [HPACKField]) -> Bool {
        let grpcPrefix = Array("application/grpc".utf8)
        return fields.contains { $0.name == Array("content-type".utf8) && $0.value.starts(with: grpcPrefix) }
    }

    /// `/pkg.Service/Method` → ("pkg.Service", "Method"); anything else → (nil, nil).
    static func grpcName(_ path: Substring) -> (String?, String?) {
        guard path.hasPrefix("/") else { return (nil, nil) }
        let parts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return (nil, nil) }
        return (HTTPText.bounded(String(parts[0])), HTTPText.bounded(String(parts[1])))
    }

    /// The `:status` of the server's first HEADERS block, if its bytes hold one.
    private static func serverStatus(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let response = HTTP2Frames.firstHeaders(bytes, from: 0)
        guard case .found = response.outcome, case .success(let fields) = decode(response.block) else { return nil }
        guard let field = fields.first(where: { $0.name == Array(":status".utf8) }), field.value.count == 3 else {
            return nil
        }
        return Int(HTTPText.bounded(field.value))
    }
}

/// A walk over HTTP/2 frames (RFC 9113 section 4 and 6) to the first header block.
enum HTTP2Frames {
    enum Outcome: Equatable {
        case found
        case incomplete
        case malformed
    }

    struct FirstHeaders {
        var outcome: Outcome = .incomplete
        /// The header block: the HEADERS fragment and its CONTINUATIONs, padding removed.
        var block: [UInt8] = []
        var streamID: UInt32 = 0
        /// The HEADERS frame ended the stream: the request has no body.
        var endStream = false
        /// The first DATA bytes of that stream (bounded), and whether the stream ended.
        var body: [UInt8] = []
        var bodyEnded = false
    }

    /// Largest frame accepted: SETTINGS_MAX_FRAME_SIZE's ceiling (2^24 - 1).
    static let maxFrameLength = (1 << 24) - 1

    static func firstHeaders(_ bytes: UnsafeRawBufferPointer, from start: Int) -> FirstHeaders {
        var result = FirstHeaders()
        var i = start
        var inBlock = false
        var blockDone = false
        while i <= bytes.count - 9 {
            let length = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            let type = bytes[i + 3]
            let flags = bytes[i + 4]
            let stream = (UInt32(bytes[i + 5]) << 24 | UInt32(bytes[i + 6]) << 16
                | UInt32(bytes[i + 7]) << 8 | UInt32(bytes[i + 8])) & 0x7FFF_FFFF
            let payloadStart = i + 9
            guard length <= maxFrameLength else { result.outcome = .malformed; return result }
            let available = min(length, bytes.count - payloadStart)
            let whole = available == length
            if inBlock && (type != 9 || stream != result.streamID) { result.outcome = .malformed; return result }
            if blockDone {
                // After the header block: collect the same stream's first DATA bytes.
                if type == 0 && stream == result.streamID {
                    guard whole || available > 0 else { break }
                    var off = payloadStart
                    var pad = 0
                    if flags & 0x08 != 0 {
                        guard available > 0 else { break }
                        pad = Int(bytes[off])
                        off += 1
                    }
                    let end = whole ? payloadStart + length - pad : payloadStart + available
                    if end > off {
                        let room = AIApplications.bodyScanLimit - result.body.count
                        result.body += UnsafeRawBufferPointer(rebasing: bytes[off..<min(end, off + max(0, room))])
                    }
                    if whole && flags & 0x01 != 0 { result.bodyEnded = true }
                    if !whole || result.bodyEnded || result.body.count >= AIApplications.bodyScanLimit { break }
                } else if type == 1 && stream == result.streamID {
                    result.bodyEnded = true   // trailers: the body is over
                    break
                }
                if !whole { break }
                i = payloadStart + length
                continue
            }
            guard whole else { return result }   // .incomplete
            let payload = payloadStart..<(payloadStart + length)
            switch type {
            case 1:   // HEADERS
                guard stream != 0 else { result.outcome = .malformed; return result }
                var off = payload.lowerBound
                var pad = 0
                if flags & 0x08 != 0 {
                    guard length >= 1 else { result.outcome = .malformed; return result }
                    pad = Int(bytes[off])
                    off += 1
                }
                if flags & 0x20 != 0 { off += 5 }
                guard off <= payload.upperBound - pad else { result.outcome = .malformed; return result }
                result.streamID = stream
                result.endStream = flags & 0x01 != 0
                result.block += UnsafeRawBufferPointer(rebasing: bytes[off..<(payload.upperBound - pad)])
                if flags & 0x04 != 0 { blockDone = true } else { inBlock = true }
            case 9:   // CONTINUATION
                guard inBlock else { result.outcome = .malformed; return result }
                result.block += UnsafeRawBufferPointer(rebasing: bytes[payload])
                if flags & 0x04 != 0 { inBlock = false; blockDone = true }
            case 4:   // SETTINGS
                guard stream == 0, length % 6 == 0 else { result.outcome = .malformed; return result }
            case 8:   // WINDOW_UPDATE
                guard length == 4 else { result.outcome = .malformed; return result }
            case 2:   // PRIORITY
                guard length == 5, stream != 0 else { result.outcome = .malformed; return result }
            case 6:   // PING
                guard length == 8, stream == 0 else { result.outcome = .malformed; return result }
            case 0, 3, 5, 7:   // DATA, RST_STREAM, PUSH_PROMISE, GOAWAY before any request: nothing to read
                break
            default:   // unknown frame types are ignored (RFC 9113 5.5)
                break
            }
            i = payload.upperBound
        }
        if blockDone { result.outcome = .found }
        return result
    }
}
