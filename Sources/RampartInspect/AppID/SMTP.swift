import RampartPolicy
import RampartWire

/// SMTP: recognised by the exchange that opens every session, since `220` greetings also
/// open FTP: the server's greeting line `220 text` (or `220-` for a multi-line greeting),
/// printable and under 512 bytes, then the client's first command `EHLO` or `HELO` (LMTP's
/// `LHLO` is not SMTP). The client must not speak first. When the client sends nothing and
/// is done, a greeting that says `ESMTP` is enough. Extracts `detail["smtp.greeting"]` (the
/// greeting's text, bounded) and `["smtp.helo"]` (the name the client gave).
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if SMTP.probe(prefix, into: &metadata) == .identified(SMTP.application) {
///     print(metadata.detail["smtp.helo"] ?? "")   // "client.example.net"
/// }
/// ```
enum SMTP {
    static let application = ApplicationCatalog.id(named: "smtp")!
    /// RFC 5321 §4.5.3.1.5: a reply line is at most 512 bytes with its CR LF.
    static let maximumLine = 512
    static let greetingCommands: [StaticString] = ["EHLO", "HELO"]

    /// Identifies SMTP; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let s = prefix.toClient
        let c = prefix.toServer
        // A client may send its first command before the greeting arrives (pipelining):
        // wait for the server rather than exclude the protocol.
        if s.count == 0 { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        switch ProbeBytes.match(s, at: 0, "220") {
        case .mismatch: return .notThis
        case .partial: return ProbeBytes.waiting(complete: prefix.toClientComplete)
        case .full: break
        }
        if let separator = ProbeBytes.u8(s, at: 3), separator != 0x20, separator != 0x2D, separator != 0x0D { return .notThis }
        let greeting: Range<Int>
        switch ProbeBytes.line(s, from: 0, limit: maximumLine) {
        case .mismatch: return .notThis
        case .partial: return ProbeBytes.waiting(complete: prefix.toClientComplete)
        case .line(let r): greeting = r
        }
        let text = min(greeting.upperBound, 4)..<greeting.upperBound
        if c.count == 0 {
            guard prefix.toServerComplete else { return .needMore }
            guard ProbeBytes.contains(s, greeting, "ESMTP") else { return .notThis }
            metadata.detail["smtp.greeting"] = ProbeBytes.text(s, text)
            return .identified(application)
        }
        let verb = ProbeBytes.wordEnd(c, from: 0, limit: 8)
        if verb == c.count && !prefix.toServerComplete && verb < 8 { return .needMore }
        guard ProbeBytes.equalsAny(c, 0..<verb, greetingCommands) else { return .notThis }
        switch ProbeBytes.line(c, from: 0, limit: maximumLine) {
        case .mismatch: return .notThis
        case .partial where !prefix.toServerComplete: return .needMore
        case .partial, .line: break
        }
        metadata.detail["smtp.greeting"] = ProbeBytes.text(s, text)
        let name = verb &+ 1
        let nameEnd = ProbeBytes.wordEnd(c, from: name, limit: maximumLine)
        if name < nameEnd { metadata.detail["smtp.helo"] = ProbeBytes.text(c, name..<nameEnd, limit: 128) }
        return .identified(application)
    }
}
