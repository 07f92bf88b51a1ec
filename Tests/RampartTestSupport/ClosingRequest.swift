/// A raw HTTP/1.1 request text with `Connection: close` added after its request line, unless
/// it names `Connection:` itself: test clients that read an answer to the end of the stream
/// need the server to close, and Rampart's admin API keeps HTTP/1.1 connections open.
///
/// ```swift
/// closingRequest("GET /tags HTTP/1.1\r\n\r\n")   // "GET /tags HTTP/1.1\r\nConnection: close\r\n\r\n"
/// ```
public func closingRequest(_ text: String) -> String {
    guard let lineEnd = text.firstRange(of: "\r\n"),
          !text.lowercased().contains("\r\nconnection:")
    else { return text }
    return text[..<lineEnd.upperBound] + "Connection: close\r\n" + text[lineEnd.upperBound...]
}
