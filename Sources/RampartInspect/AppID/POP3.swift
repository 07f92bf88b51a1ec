import RampartPolicy
import RampartWire

/// POP3: recognised by the exchange that opens every session: the server's greeting
/// `+OK text` (text required — Redis's `+OK` status has none; printable, under 512 bytes),
/// then the client's first command `USER`, `CAPA`, `AUTH`, `APOP` or `STLS`. The client must
/// not speak first. When the client sends nothing and is done, a greeting that names `POP3`
/// is enough. Extracts `detail["pop3.greeting"]` (bounded) and `["pop3.command"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if POP3.probe(prefix, into: &metadata) == .identified(POP3.application) {
///     print(metadata.detail["pop3.greeting"] ?? "")   // "Dovecot (Debian) ready."
/// }
/// ```
enum POP3 {
    static let application = ApplicationCatalog.id(named: "pop3")!
    /// RFC 2449: a response line is at most 512 bytes.
    static let maximumLine = 512
    static let firstCommands: [StaticString] = ["USER", "CAPA", "AUTH", "APOP", "STLS"]

    /// Identifies POP3; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let s = prefix.toClient
        let c = prefix.toServer
        // A client may send its first command before the greeting arrives (pipelining):
        // wait for the server rather than exclude the protocol.
        if s.count == 0 { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        switch ProbeBytes.match(s, at: 0, "+OK ") {
        case .mismatch: return .notThis
        case .partial: return ProbeBytes.waiting(complete: prefix.toClientComplete)
        case .full: break
        }
        let greeting: Range<Int>
        switch ProbeBytes.line(s, from: 0, limit: maximumLine) {
        case .mismatch: return .notThis
        case .partial: return ProbeBytes.waiting(complete: prefix.toClientComplete)
        case .line(let r): greeting = r
        }
        guard greeting.count > 4 else { return .notThis }
        let text = 4..<greeting.upperBound
        if c.count == 0 {
            guard prefix.toServerComplete else { return .needMore }
            guard ProbeBytes.contains(s, greeting, "POP3") else { return .notThis }
            metadata.detail["pop3.greeting"] = ProbeBytes.text(s, text)
            return .identified(application)
        }
        let verb = ProbeBytes.wordEnd(c, from: 0, limit: 8)
        if verb == c.count && !prefix.toServerComplete && verb < 8 { return .needMore }
        guard ProbeBytes.equalsAny(c, 0..<verb, firstCommands) else { return .notThis }
        switch ProbeBytes.line(c, from: 0, limit: maximumLine) {
        case .mismatch: return .notThis
        case .partial where !prefix.toServerComplete: return .needMore
        case .partial, .line: break
        }
        metadata.detail["pop3.greeting"] = ProbeBytes.text(s, text)
        metadata.detail["pop3.command"] = ProbeBytes.text(c, 0..<verb, limit: 8).uppercased()
        return .identified(application)
    }
}
