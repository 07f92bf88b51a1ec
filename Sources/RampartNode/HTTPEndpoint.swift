/// A minimal HTTP/1.1 responder for the agent's local port: `GET` only, one request per
/// connection, `Connection: close`. Enough for Prometheus and kubelet probes.
///
/// ```swift
/// socket.serve(until: stop) { fd in
///     HTTPEndpoint.serve(fd) { path in path == "/healthz" ? (200, "ok\n", "text/plain") : nil }
/// }
/// ```
public enum HTTPEndpoint {
    public typealias Reply = (status: Int, body: String, contentType: String)

    /// Reads one request head and answers it with `route(path)`; nil routes are 404s.
    public static func serve(_ fd: Int32, route: (String) -> Reply?) {
        guard let head = ListeningSocket.read(from: fd, until: Array("\r\n\r\n".utf8), limit: 16384) else { return }
        let requestLine = String(decoding: head.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        let reply: Reply
        if parts.count < 2 {
            reply = (400, "bad request\n", "text/plain")
        } else if parts[0] != "GET" && parts[0] != "HEAD" {
            reply = (405, "only GET\n", "text/plain")
        } else {
            let target = String(parts[1])
            let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
            reply = route(path) ?? (404, "not found; try /metrics, /healthz or /readyz\n", "text/plain")
        }
        let reason = [200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"][reply.status] ?? "Status"
        let body = Array(reply.body.utf8)
        var response = "HTTP/1.1 \(reply.status) \(reason)\r\nContent-Type: \(reply.contentType)\r\n"
        response += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        ListeningSocket.write(Array(response.utf8) + (parts.first == "HEAD" ? [] : body), to: fd)
    }
}
