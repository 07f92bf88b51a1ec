import RampartPolicy
import RampartWire

/// IMAP: recognised by the exchange that opens every session: the server's untagged
/// greeting `* OK …`, `* PREAUTH …` or `* BYE …` (printable, under 1024 bytes; Dovecot's
/// carries `[CAPABILITY IMAP4rev1 …]`), then the client's first command, a tag (1–64 atom
/// characters) and one of `CAPABILITY`, `LOGIN`, `AUTHENTICATE`, `STARTTLS`, `ID`, `NOOP`,
/// `ENABLE`, `LOGOUT`, `COMPRESS`. The client must not speak first. When the client sends
/// nothing and is done, a greeting that names `IMAP4` is enough. Extracts
/// `detail["imap.greeting"]` (bounded) and `["imap.command"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if IMAP.probe(prefix, into: &metadata) == .identified(IMAP.application) {
///     print(metadata.detail["imap.command"] ?? "")   // "CAPABILITY"
/// }
/// ```
enum IMAP {
    static let application = ApplicationCatalog.id(named: "imap")!
    static let maximumGreeting = 1024
    static let firstCommands: [StaticString] = [
        "CAPABILITY", "LOGIN", "AUTHENTICATE", "STARTTLS", "ID", "NOOP", "ENABLE", "LOGOUT", "COMPRESS",
    ]

    /// Identifies IMAP; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let s = prefix.toClient
        let c = prefix.toServer
        // A client may send its first command before the greeting arrives (pipelining):
        // wait for the server rather than exclude the protocol.
        if s.count == 0 { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        let ok = ProbeBytes.match(s, at: 0, "* OK ", ignoringCase: true)
        let preauth = ProbeBytes.match(s, at: 0, "* PREAUTH ", ignoringCase: true)
        let bye = ProbeBytes.match(s, at: 0, "* BYE ", ignoringCase: true)
        if ok == .mismatch && preauth == .mismatch && bye == .mismatch { return .notThis }
        if ok != .full && preauth != .full && bye != .full { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        let greeting: Range<Int>
        switch ProbeBytes.line(s, from: 0, limit: maximumGreeting) {
        case .mismatch: return .notThis
        case .partial: return ProbeBytes.waiting(complete: prefix.toClientComplete)
        case .line(let r): greeting = r
        }
        let text = min(greeting.upperBound, 2)..<greeting.upperBound
        if c.count == 0 {
            guard prefix.toServerComplete else { return .needMore }
            guard ProbeBytes.contains(s, greeting, "IMAP4") else { return .notThis }
            metadata.detail["imap.greeting"] = ProbeBytes.text(s, text)
            return .identified(application)
        }
        // tag SP command
        let tagEnd = ProbeBytes.wordEnd(c, from: 0, limit: 65)
        if tagEnd == c.count {
            return tagEnd < 65 && isTag(c, 0..<tagEnd) ? ProbeBytes.waiting(complete: prefix.toServerComplete) : .notThis
        }
        guard tagEnd > 0, c[tagEnd] == 0x20, isTag(c, 0..<tagEnd) else { return .notThis }
        let verb = tagEnd &+ 1
        let verbEnd = ProbeBytes.wordEnd(c, from: verb, limit: verb &+ 16)
        if verbEnd == c.count && !prefix.toServerComplete && verbEnd &- verb < 16 { return .needMore }
        guard ProbeBytes.equalsAny(c, verb..<verbEnd, firstCommands) else { return .notThis }
        if case .mismatch = ProbeBytes.line(c, from: 0, limit: 8192) { return .notThis }
        metadata.detail["imap.greeting"] = ProbeBytes.text(s, text)
        metadata.detail["imap.command"] = ProbeBytes.text(c, verb..<verbEnd, limit: 16).uppercased()
        return .identified(application)
    }

    /// RFC 3501 tag: ASTRING-CHAR except `+`, no `*`, controls, `(`, `)`, `{`, `%`, `"`, `\`.
    static func isTag(_ c: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard ProbeBytes.isPrintable(c, range) else { return false }
        for i in range {
            switch c[i] {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"),
                 UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "+"), 0x09:
                return false
            default: continue
            }
        }
        return true
    }
}
