/// One HTTP/1.1 request as the server hands it to a service: the head parsed and checked,
/// the body read whole (`Content-Length` only), the caller identified.
///
/// ```swift
/// let server = try HTTPServer(name: "api", listen: "127.0.0.1:9690", access: .open) { request in
///     request.path == "/healthz" ? HTTPReply(200, "ok\n", contentType: "text/plain") : .error(404, "no such route")
/// }
/// ```
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without its query, as sent (not percent-decoded).
    public var path: String
    /// Query parameters, percent-decoded (`+` is a space); a malformed escape is kept as sent.
    public var query: [String: String]
    /// Header fields, names lower-cased; a repeated field keeps its last value.
    public var headers: [String: String]
    public var body: [UInt8]
    /// The peer's address (`10.0.0.5`, `::1`); empty in tests that build requests by hand.
    public var client: String
    /// Who sent it: the token's name or the client certificate's identity (`anonymous` on an
    /// open listener); nil on a probe listener.
    public var principal: HTTPPrincipal?
    /// The identity of the client's verified TLS certificate (subject common name, else its
    /// first DNS name; "" when it names neither); nil without TLS or without a certificate.
    public var clientCertificate: String?

    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], client: String = "", principal: HTTPPrincipal? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.client = client
        self.principal = principal
    }
}

/// A request head read and checked, before its body. Hardened: exactly
/// `METHOD SP TARGET SP HTTP/1.x`; every field line `name: value` with no space before the
/// colon and no folding; one `Content-Length` (repeats must agree); any `Transfer-Encoding`
/// but `identity` refused, so a body's length is never ambiguous (no request smuggling).
public struct HTTPRequestHead: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var headers: [String: String]
    public var contentLength: Int
    /// HTTP/1.0 (its connections close unless it asks otherwise).
    public var version10 = false

    /// Whether the client waits for `100 Continue` before sending its body.
    public var expectsContinue: Bool { headers["expect"]?.lowercased() == "100-continue" }

    /// Whether the client would keep the connection for another request (RFC 9112 9.3): an
    /// HTTP/1.1 request unless its `Connection` field lists `close`; an HTTP/1.0 one only
    /// when it lists `keep-alive`.
    public var wantsKeepAlive: Bool {
        let options = (headers["connection"] ?? "").lowercased().split(separator: ",").map { HTTPRequestHead.trimmed($0) }
        return version10 ? options.contains("keep-alive") : !options.contains("close")
    }

    /// Parses the bytes before the blank line (`head` excludes the final CRLF CRLF).
    /// Failures are the answer to send: 400, 411, 413 (with `maximumBody`), 505.
    public static func parse(_ head: ArraySlice<UInt8>, maximumBody: Int) -> Result<HTTPRequestHead, HTTPRefusal> {
        func bad(_ message: String) -> Result<HTTPRequestHead, HTTPRefusal> { .failure(HTTPRefusal(400, message)) }
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = (lines.first ?? "").split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
            return bad("bad request line: expected METHOD /path HTTP/1.1")
        }
        guard parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            return .failure(HTTPRefusal(505, "only HTTP/1.1 and HTTP/1.0 are served"))
        }
        guard parts[1].hasPrefix("/") else { return bad("the request target must be a path starting with /") }
        var headers: [String: String] = [:]
        var length: Int?
        for line in lines.dropFirst() {
            if line.first == " " || line.first == "\t" { return bad("folded header lines are not accepted") }
            guard let colon = line.firstIndex(of: ":") else { return bad("header line without a colon") }
            let name = line[..<colon]
            guard !name.isEmpty, !name.contains(" "), !name.contains("\t") else {
                return bad("bad header name '\(name.prefix(40))'")
            }
            let value = trimmed(line[line.index(after: colon)...])
            let key = name.lowercased()
            if key == "content-length" {
                guard let n = Int(value), n >= 0, value.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    return bad("bad Content-Length '\(value.prefix(40))'")
                }
                if let length, length != n { return bad("two different Content-Length values") }
                length = n
            }
            headers[key] = value
        }
        if let te = headers["transfer-encoding"], te.lowercased() != "identity" {
            return .failure(HTTPRefusal(411, "send the body with Content-Length (chunked bodies are not accepted)"))
        }
        let (path, query) = splitTarget(parts[1])
        var head = HTTPRequestHead(method: String(parts[0]), path: path, query: query, headers: headers, contentLength: length ?? 0)
        head.version10 = parts[2] == "HTTP/1.0"
        if head.contentLength > maximumBody {
            return .failure(HTTPRefusal(413, "body of \(head.contentLength) bytes is over the limit of \(maximumBody) bytes"))
        }
        return .success(head)
    }

    /// Path and decoded query of a request target.
    static func splitTarget(_ target: Substring) -> (String, [String: String]) {
        guard let mark = target.firstIndex(of: "?") else { return (String(target), [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: mark)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = String(s).replacing("+", with: " ")
                return percentDecoded(spaced) ?? spaced
            }
            query[decode(kv[0])] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return (String(target[..<mark]), query)
    }

    /// `%XX` sequences replaced by their bytes; nil when a `%` is not followed by two hex
    /// digits or the bytes are not UTF-8.
    public static func percentDecoded(_ text: some StringProtocol) -> String? {
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            if input[i] == UInt8(ascii: "%") {
                guard i + 2 < input.count, let high = hex(input[i + 1]), let low = hex(input[i + 2]) else { return nil }
                bytes.append(high << 4 | low)
                i += 3
            } else {
                bytes.append(input[i])
                i += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func trimmed(_ s: Substring) -> String {
        var s = s
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}

/// An answer given instead of serving a request, and why.
public struct HTTPRefusal: Error, Sendable, Equatable {
    public var status: Int
    public var message: String
    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// The index of CR LF CR LF in `bytes` at or after `from`.
func headEnd(_ bytes: [UInt8], from: Int) -> Int? {
    var i = max(0, from)
    while i + 3 < bytes.count {
        if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { return i }
        i += 1
    }
    return nil
}
