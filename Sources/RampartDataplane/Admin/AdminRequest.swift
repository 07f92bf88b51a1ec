#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request read from an admin connection: the head (at most 64 KiB), then a
/// body of exactly Content-Length bytes (at most `AdminRequest.maximumBody`), read through
/// partial reads. `Expect: 100-continue` is answered before the body is read, so curl does
/// not wait for it; chunked bodies are refused (411), as are bodies over the limit (413).
///
/// ```swift
/// switch AdminRequest.read(from: fd) {
/// case .request(let r): print(r.method, r.path, r.body.count)
/// case .refused(let status, let message): print(status, message)
/// }
/// ```
struct AdminRequest {
    static let maximumHead = 64 * 1024
    /// Bodies up to 16 MiB: a resync of 5,000 pods with their tags is a few MiB.
    static let maximumBody = 16 * 1024 * 1024

    var method: String
    /// The path without its query.
    var path: String
    /// Query parameters, percent-decoded.
    var query: [String: String]
    var body: [UInt8]

    enum Outcome {
        case request(AdminRequest)
        /// Answer with this status and message, then close (`drain`: bytes of body the client
        /// may still send, to read and discard so the close does not reset the answer).
        case refused(status: String, message: String, drain: Int)
        /// The client closed or timed out before sending a request.
        case none
    }

    static func read(from fd: Int32) -> Outcome {
        var buffer = [UInt8]()
        buffer.reserveCapacity(4096)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int? = nil
        while headEnd == nil {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return buffer.isEmpty ? .none : .refused(status: "400 Bad Request", message: "incomplete request head", drain: 0) }
            let searchFrom = max(0, buffer.count - 3)
            buffer += chunk[0 ..< n]
            headEnd = find(buffer, from: searchFrom)
            if headEnd == nil && buffer.count > maximumHead {
                return .refused(status: "431 Request Header Fields Too Large", message: "request head over \(maximumHead) bytes", drain: 0)
            }
        }
        guard let end = headEnd else { return .none }
        let head = String(decoding: buffer[0 ..< end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = (lines.first ?? "").split(separator: " ")
        guard parts.count >= 2 else { return .refused(status: "400 Bad Request", message: "bad request line", drain: 0) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingWhitespace()
            headers[name] = value
        }
        let target = String(parts[1])
        let (path, query) = splitTarget(target)
        var request = AdminRequest(method: String(parts[0]), path: path, query: query, body: [])
        if let te = headers["transfer-encoding"], te.lowercased() != "identity" {
            return .refused(status: "411 Length Required", message: "send the body with Content-Length (chunked bodies are not accepted)", drain: 0)
        }
        var length = 0
        if let text = headers["content-length"] {
            guard let n = Int(text), n >= 0 else { return .refused(status: "400 Bad Request", message: "bad Content-Length '\(text.prefix(40))'", drain: 0) }
            length = n
        }
        let already = buffer.count - (end + 4)
        if length > maximumBody {
            let expects = headers["expect"]?.lowercased() == "100-continue"
            return .refused(status: "413 Content Too Large", message: "body of \(length) bytes is over the limit of \(maximumBody) bytes",
                            drain: expects ? 0 : min(length - already, maximumBody))
        }
        if length > already, headers["expect"]?.lowercased() == "100-continue" {
            guard writeAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return .none }
        }
        var body = [UInt8]()
        body.reserveCapacity(length)
        body += buffer[(end + 4) ..< min(buffer.count, end + 4 + length)]
        while body.count < length {
            let want = min(chunk.count, length - body.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                return .refused(status: "400 Bad Request", message: "body ended after \(body.count) of \(length) bytes", drain: 0)
            }
            body += chunk[0 ..< n]
        }
        request.body = body
        return .request(request)
    }

    /// The index of "\r\n\r\n" at or after `from`.
    static func find(_ b: [UInt8], from: Int) -> Int? {
        var i = from
        while i + 3 < b.count {
            if b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    static func splitTarget(_ target: String) -> (String, [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var query: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            query[percentDecoded(kv[0])] = kv.count > 1 ? percentDecoded(kv[1]) : ""
        }
        return (String(target[..<q]), query)
    }

    static func percentDecoded(_ s: Substring) -> String {
        var out = [UInt8]()
        var bytes = Array(s.utf8)[...]
        while let c = bytes.popFirst() {
            if c == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(c == UInt8(ascii: "+") ? 32 : c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes every byte (partial writes continued); false when the peer is gone.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }
}

extension Substring {
    func trimmingWhitespace() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
