import RampartJSON
/// A status, a content type, a body and any extra header fields. Every answer is sent with
/// `Content-Length`, and `Connection: close` unless the server keeps the connection for the
/// client's next request (`HTTPServer.Limits.requestsPerConnection`).
///
/// ```swift
/// HTTPReply(202, "{\"sequence\": 12}\n")
/// HTTPReply.error(400, "give ?address=IP")            // {"error":"give ?address=IP"}
/// ```
public struct HTTPReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]
    /// Extra header fields, in order (e.g. `WWW-Authenticate`).
    public var headers: [(String, String)] = []

    public init(_ status: Int, _ body: String, contentType: String = "application/json") {
        self.status = status
        self.body = Array(body.utf8)
        self.contentType = contentType
    }

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// `{"error": message}` with the status.
    public static func error(_ status: Int, _ message: String) -> HTTPReply {
        HTTPReply(status, "{\"error\":\(JSONValue.quoted(message))}\n")
    }

    /// A plain-text refusal (`message` and a newline).
    public static func text(_ status: Int, _ message: String) -> HTTPReply {
        HTTPReply(status, message + "\n", contentType: "text/plain; charset=utf-8")
    }

    /// The bytes on the wire; `head` only: no body (for HEAD requests and 100 Continue);
    /// `keepAlive`: the connection stays open for `idle` seconds (`Keep-Alive: timeout=`).
    func serialized(headOnly: Bool = false, keepAlive idle: Int? = nil) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPReply.reason(status))\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let idle {
            text += "Connection: keep-alive\r\nKeep-Alive: timeout=\(idle)\r\n\r\n"
        } else {
            text += "Connection: close\r\n\r\n"
        }
        return Array(text.utf8) + (headOnly ? [] : body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 202: "Accepted"
        case 302: "Found"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status"
        }
    }
}
