import RampartPolicy
import RampartWire

/// PostgreSQL: recognised by the client's first message (the server never speaks first):
/// - a StartupMessage: `Int32 length`, protocol 3.x (`196608` for 3.0), then `name\0value\0`
///   pairs ending with `\0`, including `user`; checked whole (at most 10000 bytes);
/// - an SSLRequest (`8`, `80877103`) or GSSENCRequest (`8`, `80877104`) answered by the
///   server's single byte `S`/`G` (encryption follows) or `N` (a StartupMessage follows);
/// - a CancelRequest (`16`, `80877102`).
/// The server's reply, when present, must start with Authentication `R`, ErrorResponse `E`,
/// NoticeResponse `N` or NegotiateProtocolVersion `v`; its ParameterStatus `server_version`
/// is read when it arrived. Extracts `detail["postgresql.user"]`, `["postgresql.database"]`,
/// `["postgresql.application_name"]`, `["postgresql.encryption"]`, `["postgresql.server_version"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if PostgreSQL.probe(prefix, into: &metadata) == .identified(PostgreSQL.application) {
///     print(metadata.detail["postgresql.user"] ?? "")   // "postgres"
/// }
/// ```
enum PostgreSQL {
    static let application = ApplicationCatalog.id(named: "postgresql")!
    static let sslRequestCode: UInt32 = 80_877_103
    static let gssEncRequestCode: UInt32 = 80_877_104
    static let cancelRequestCode: UInt32 = 80_877_102
    /// The server rejects longer startup packets (`MAX_STARTUP_PACKET_LENGTH`).
    static let maximumStartupLength = 10000

    /// Identifies PostgreSQL; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let c = prefix.toServer
        let s = prefix.toClient
        if c.count == 0 {
            return s.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        // The first four bytes are a big-endian length: anything else in the top byte fails fast.
        if c[0] != 0 { return .notThis }
        guard let length = ProbeBytes.be32(c, at: 0), let code = ProbeBytes.be32(c, at: 4) else {
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        if length == 8 && (code == sslRequestCode || code == gssEncRequestCode) {
            return encryptionRequest(prefix, gss: code == gssEncRequestCode, into: &metadata)
        }
        if length == 16 && code == cancelRequestCode {
            guard s.count == 0 else { return .notThis }   // the server answers a cancel by closing
            metadata.detail["postgresql.message"] = "CancelRequest"
            return .identified(application)
        }
        return startup(prefix, at: 0, into: &metadata)
    }

    /// SSLRequest / GSSENCRequest: proven by the server's one-byte answer.
    static func encryptionRequest(_ prefix: StreamPrefix, gss: Bool, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let s = prefix.toClient
        guard let answer = ProbeBytes.u8(s, at: 0) else { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        switch answer {
        case UInt8(ascii: "S") where !gss, UInt8(ascii: "G") where gss:
            // Exactly one byte, then the TLS or GSSAPI handshake: the server sends no more before the client.
            metadata.detail["postgresql.encryption"] = gss ? "gssapi" : "tls"
            return .identified(application)
        case UInt8(ascii: "N"):
            metadata.detail["postgresql.encryption"] = "refused"
            // A StartupMessage (or a GSSENCRequest fallback to SSLRequest) follows.
            let rest = prefix.toServer.count &- 8
            if rest <= 0 {
                return prefix.toServerComplete ? .notThis : .needMore
            }
            if let length = ProbeBytes.be32(prefix.toServer, at: 8), let code = ProbeBytes.be32(prefix.toServer, at: 12),
               length == 8, code == sslRequestCode || code == gssEncRequestCode {
                return .identified(application)
            }
            var reply = prefix
            reply.toClient = UnsafeRawBufferPointer(rebasing: s[1...])
            // The encryption request and its answer already prove PostgreSQL: an odd
            // startup after them is still PostgreSQL, without its metadata.
            let r = startup(reply, at: 8, into: &metadata)
            return r == .notThis ? .identified(application) : r
        case UInt8(ascii: "E"):
            // Servers older than 7.0 answer with an error; a modern one never does here.
            return .notThis
        default:
            return .notThis
        }
    }

    /// A StartupMessage at `offset` of the client's bytes.
    static func startup(_ prefix: StreamPrefix, at offset: Int, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let c = prefix.toServer
        guard let length32 = ProbeBytes.be32(c, at: offset), let version = ProbeBytes.be32(c, at: offset &+ 4) else {
            if offset < c.count, c[offset] != 0 { return .notThis }
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        // Protocol 3.0 (and 3.2 of PostgreSQL 18); major 2 ended with PostgreSQL 14.
        guard version >> 16 == 3, version & 0xFFFF <= 2 else { return .notThis }
        let length = Int(length32)
        // Header, "user\0x\0" at least, and the final NUL.
        guard length >= 8 + 7 + 1, length <= maximumStartupLength else { return .notThis }
        let end = offset &+ length
        guard end <= c.count else {
            return c.count &- offset >= maximumStartupLength ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        // name\0value\0 ... \0, names printable and non-empty.
        var i = offset &+ 8
        var user: Range<Int>?
        var database: Range<Int>?
        var applicationName: Range<Int>?
        var pairs = 0
        while true {
            guard i < end else { return .notThis }
            if c[i] == 0 { break }
            guard let nameEnd = ProbeBytes.nul(c, from: i, limit: end), nameEnd > i,
                  ProbeBytes.isPrintable(c, i..<nameEnd),
                  let valueEnd = ProbeBytes.nul(c, from: nameEnd &+ 1, limit: end) else { return .notThis }
            let value = (nameEnd &+ 1)..<valueEnd
            if ProbeBytes.equals(c, i..<nameEnd, "user") { user = value }
            if ProbeBytes.equals(c, i..<nameEnd, "database") { database = value }
            if ProbeBytes.equals(c, i..<nameEnd, "application_name") { applicationName = value }
            i = valueEnd &+ 1
            pairs &+= 1
            if pairs > 64 { return .notThis }
        }
        // The terminating NUL ends the message exactly; `user` is required by the protocol.
        guard i == end &- 1, let user else { return .notThis }
        guard serverReplyFits(prefix.toClient) else { return .notThis }
        metadata.detail["postgresql.user"] = ProbeBytes.text(c, user)
        if let database { metadata.detail["postgresql.database"] = ProbeBytes.text(c, database) }
        if let applicationName { metadata.detail["postgresql.application_name"] = ProbeBytes.text(c, applicationName) }
        if version & 0xFFFF != 0 { metadata.detail["postgresql.protocol"] = "3.\(version & 0xFFFF)" }
        if let serverVersion = serverVersion(prefix.toClient) {
            metadata.detail["postgresql.server_version"] = serverVersion
        }
        return .identified(application)
    }

    /// The server's first message after a StartupMessage: Authentication, ErrorResponse,
    /// NoticeResponse or NegotiateProtocolVersion with a sane length.
    static func serverReplyFits(_ s: UnsafeRawBufferPointer) -> Bool {
        guard let type = ProbeBytes.u8(s, at: 0) else { return true }
        guard type == UInt8(ascii: "R") || type == UInt8(ascii: "E") || type == UInt8(ascii: "N")
            || type == UInt8(ascii: "v") else { return false }
        guard let length = ProbeBytes.be32(s, at: 1) else { return true }
        return length >= 4 && length <= 65536
    }

    /// `server_version` from the ParameterStatus messages that arrived, walking at most 32 messages.
    static func serverVersion(_ s: UnsafeRawBufferPointer) -> String? {
        var i = 0
        var messages = 0
        while messages < 32, let type = ProbeBytes.u8(s, at: i), let length32 = ProbeBytes.be32(s, at: i &+ 1) {
            let length = Int(length32)
            guard length >= 4, length <= 65536, i &+ 1 &+ length <= s.count else { return nil }
            let body = (i &+ 5)..<(i &+ 1 &+ length)
            if type == UInt8(ascii: "S"), let nameEnd = ProbeBytes.nul(s, from: body.lowerBound, limit: body.upperBound),
               ProbeBytes.equals(s, body.lowerBound..<nameEnd, "server_version"),
               let valueEnd = ProbeBytes.nul(s, from: nameEnd &+ 1, limit: body.upperBound) {
                return ProbeBytes.text(s, (nameEnd &+ 1)..<valueEnd, limit: 64)
            }
            i = i &+ 1 &+ length
            messages &+= 1
        }
        return nil
    }
}
