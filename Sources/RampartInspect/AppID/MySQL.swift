import RampartPolicy
import RampartWire

/// MySQL and MariaDB: recognised by the server's greeting, since the server speaks first:
/// a packet (3-byte little-endian length, sequence 0) holding protocol version 10, a
/// NUL-terminated printable version string starting with a digit, a 4-byte connection id,
/// 8 bytes of scramble and a zero filler; the whole packet must fit in 1024 bytes. A server
/// that refuses the client at once sends an error packet instead (`0xFF`, error code
/// 1000–2999, printable message), also accepted. The client must not have spoken first.
/// Extracts `detail["mysql.version"]` (and `["mysql.server"] = "mariadb"`), and from the
/// client's HandshakeResponse41 (sequence 1) `["mysql.user"]`, or `["mysql.tls"]` when the
/// client asks for TLS instead (the answer waits for that packet unless the client is done).
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if MySQL.probe(prefix, into: &metadata) == .identified(MySQL.application) {
///     print(metadata.detail["mysql.version"] ?? "")   // "5.5.5-10.11.6-MariaDB-0+deb12u1"
/// }
/// ```
enum MySQL {
    static let application = ApplicationCatalog.id(named: "mysql")!
    static let maximumGreeting = 1024
    static let clientProtocol41: UInt32 = 0x0200
    static let clientSSL: UInt32 = 0x0800

    /// Identifies MySQL/MariaDB; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let s = prefix.toClient
        if s.count == 0 {
            // The client waits for the greeting: a client that speaks first is something else.
            return prefix.toServer.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toClientComplete)
        }
        // Length (3 bytes LE, under 1024 so the third byte is 0), sequence 0.
        if s.count >= 3 && s[2] != 0 { return .notThis }
        if s.count >= 4 && s[3] != 0 { return .notThis }
        if let first = ProbeBytes.u8(s, at: 4), first != 10, first != 0xFF { return .notThis }
        guard s.count >= 5 else { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        let length = Int(s[0]) | Int(s[1]) << 8
        guard length >= 4, length <= maximumGreeting else { return .notThis }
        let end = 4 &+ length
        if s[4] == 0xFF { return errorGreeting(prefix, end: end, into: &metadata) }
        // Version string: printable, starts with a digit, NUL-terminated inside the packet.
        if let d = ProbeBytes.u8(s, at: 5), !(d >= 0x30 && d <= 0x39) { return .notThis }
        guard end <= s.count else {
            if let nul = ProbeBytes.nul(s, from: 5, limit: s.count) {
                if !ProbeBytes.isPrintable(s, 5..<nul) { return .notThis }
            } else if !ProbeBytes.isPrintable(s, 5..<s.count) || s.count &- 5 > 64 {
                return .notThis
            }
            return ProbeBytes.waiting(complete: prefix.toClientComplete)
        }
        guard let nul = ProbeBytes.nul(s, from: 5, limit: min(end, 5 &+ 65)), nul > 5,
              ProbeBytes.isPrintable(s, 5..<nul) else { return .notThis }
        // Connection id (4), scramble part 1 (8), filler 0, then capability flags (lower 16 bits).
        let filler = nul &+ 1 &+ 4 &+ 8
        guard filler < end, s[filler] == 0 else { return .notThis }
        if let capabilities = ProbeBytes.le16(s, at: filler &+ 1), filler &+ 3 <= end,
           UInt32(capabilities) & clientProtocol41 == 0 { return .notThis }
        // The greeting proves MySQL; wait for the client's answer (it names the user).
        let c = prefix.toServer
        if !prefix.toServerComplete {
            if c.count < 4 { return .needMore }
            let answer = 4 &+ (Int(c[0]) | Int(c[1]) << 8 | Int(c[2]) << 16)
            if c[3] == 1, c.count < min(answer, 4 &+ 32 &+ 256) { return .needMore }
        }
        metadata.detail["mysql.version"] = ProbeBytes.text(s, 5..<nul, limit: 64)
        if ProbeBytes.contains(s, 5..<nul, "MariaDB") { metadata.detail["mysql.server"] = "mariadb" }
        clientResponse(prefix.toServer, into: &metadata)
        return .identified(application)
    }

    /// An ERR packet as the greeting: a server refusing this client (host blocked, too many connections).
    static func errorGreeting(_ prefix: StreamPrefix, end: Int, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let s = prefix.toClient
        guard end <= s.count else { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        guard let code = ProbeBytes.le16(s, at: 5), code >= 1000, code <= 2999, end >= 7 &+ 4 else { return .notThis }
        // Error message: printable; a pre-4.1 server has no '#' SQL state marker here.
        var message = 7
        if s[7] == UInt8(ascii: "#") { message = 7 &+ 6 }
        guard message < end, ProbeBytes.isPrintable(s, message..<end) else { return .notThis }
        metadata.detail["mysql.error"] = ProbeBytes.text(s, message..<end)
        return .identified(application)
    }

    /// HandshakeResponse41 or SSLRequest from the client, when it arrived: the user name.
    static func clientResponse(_ c: UnsafeRawBufferPointer, into metadata: inout ApplicationMetadata) {
        guard c.count >= 4 + 32, c[3] == 1 else { return }
        let length = Int(c[0]) | Int(c[1]) << 8 | Int(c[2]) << 16
        guard let capabilities = ProbeBytes.le32(c, at: 4), capabilities & clientProtocol41 != 0 else { return }
        if length == 32 && capabilities & clientSSL != 0 {
            metadata.detail["mysql.tls"] = "requested"
            return
        }
        let end = min(c.count, 4 &+ length)
        let user = 4 &+ 32
        guard let nul = ProbeBytes.nul(c, from: user, limit: end), nul > user else { return }
        metadata.detail["mysql.user"] = ProbeBytes.text(c, user..<nul, limit: 128)
    }
}
