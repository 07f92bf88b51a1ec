import RampartPolicy
import RampartWire

/// Redis: recognised by the client's first command (the server never speaks first):
/// - RESP2/RESP3: an array of bulk strings, `*<1..1024>\r\n$<n>\r\n<n bytes>\r\n…`, whose
///   first element, the command name, is 1–32 letters, digits, `_`, `.`, `-` or `|`;
/// - an inline command, `PING\r\n`, accepted only for a known command name (inline text
///   resembles other protocols' lines) and never with ` HTTP/` in the line.
/// The server's reply, when present, must start with a RESP type byte (`+ - : $ * % _ , # ! = ( | ~ >`)
/// and must not be a POP3-style greeting (`+OK text`). Extracts `detail["redis.command"]` (upper case).
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if Redis.probe(prefix, into: &metadata) == .identified(Redis.application) {
///     print(metadata.detail["redis.command"] ?? "")   // "PING"
/// }
/// ```
enum Redis {
    static let application = ApplicationCatalog.id(named: "redis")!

    /// Commands accepted inline: what clients, health checks and people type.
    static let inlineCommands: [StaticString] = [
        "PING", "AUTH", "HELLO", "INFO", "GET", "SET", "SELECT", "ECHO", "QUIT", "EXISTS", "DEL", "KEYS", "SCAN",
        "MGET", "MSET", "INCR", "DECR", "EXPIRE", "TTL", "TYPE", "DBSIZE", "CLIENT", "COMMAND", "CONFIG", "CLUSTER",
        "SENTINEL", "MONITOR", "SUBSCRIBE", "PSUBSCRIBE", "PUBLISH", "LPUSH", "RPUSH", "LRANGE", "HGET", "HSET",
        "HGETALL", "SADD", "SMEMBERS", "ZADD", "ZRANGE", "FLUSHALL", "FLUSHDB", "REPLCONF", "PSYNC", "SYNC", "ROLE",
        "MULTI", "EXEC", "EVAL", "EVALSHA", "SCRIPT", "XADD", "XREAD", "TIME", "LASTSAVE", "SAVE", "BGSAVE",
    ]
    static let maximumInlineLine = 1024

    /// Identifies Redis; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let c = prefix.toServer
        guard let first = ProbeBytes.u8(c, at: 0) else {
            return prefix.toClient.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        guard replyFits(prefix.toClient) else { return .notThis }
        let command: Range<Int>
        if first == UInt8(ascii: "*") {
            switch array(c) {
            case .found(let r): command = r
            case .partial: return ProbeBytes.waiting(complete: prefix.toServerComplete)
            case .mismatch: return .notThis
            }
        } else {
            // Inline commands start with a letter: most other protocols fail here.
            guard (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A else { return .notThis }
            switch inline(c) {
            case .found(let r): command = r
            case .partial: return ProbeBytes.waiting(complete: prefix.toServerComplete)
            case .mismatch: return .notThis
            }
            // An inline line alone is not proof (memcached's `get key` reads the same):
            // wait for the server's reply, which must be RESP.
            if prefix.toClient.count == 0 { return ProbeBytes.waiting(complete: prefix.toClientComplete) }
        }
        metadata.detail["redis.command"] = ProbeBytes.text(c, command, limit: 32).uppercased()
        return .identified(application)
    }

    enum Command {
        case found(Range<Int>)
        case partial
        case mismatch
    }

    /// `*N\r\n$L\r\n<L bytes>\r\n`: the first bulk string of a RESP array.
    static func array(_ c: UnsafeRawBufferPointer) -> Command {
        guard case .number(let count, let next) = number(c, at: 1) else {
            return number(c, at: 1) == .partial ? .partial : .mismatch
        }
        guard count >= 1, count <= 1024 else { return .mismatch }
        guard let dollar = ProbeBytes.u8(c, at: next) else { return .partial }
        guard dollar == UInt8(ascii: "$") else { return .mismatch }
        guard case .number(let length, let start) = number(c, at: next &+ 1) else {
            return number(c, at: next &+ 1) == .partial ? .partial : .mismatch
        }
        guard length >= 1, length <= 32 else { return .mismatch }
        let end = start &+ length
        // Validate the name as far as it arrived.
        for i in start..<min(end, c.count) where !isNameByte(c[i]) { return .mismatch }
        switch (ProbeBytes.u8(c, at: end), ProbeBytes.u8(c, at: end &+ 1)) {
        case (nil, _): return .partial
        case (0x0D, nil): return .partial
        case (0x0D, 0x0A): return .found(start..<end)
        default: return .mismatch
        }
    }

    enum Number: Equatable {
        case number(Int, next: Int)
        case partial
        case mismatch
    }

    /// A decimal of at most 4 digits ended by CR LF, at `at`.
    static func number(_ c: UnsafeRawBufferPointer, at: Int) -> Number {
        var value = 0
        var i = at
        while let d = ProbeBytes.u8(c, at: i), d >= 0x30, d <= 0x39 {
            value = value &* 10 &+ Int(d &- 0x30)
            i &+= 1
            if i &- at > 4 { return .mismatch }
        }
        if i == at { return i < c.count ? .mismatch : .partial }
        switch (ProbeBytes.u8(c, at: i), ProbeBytes.u8(c, at: i &+ 1)) {
        case (nil, _), (0x0D, nil): return .partial
        case (0x0D, 0x0A): return .number(value, next: i &+ 2)
        default: return .mismatch
        }
    }

    /// `PING\r\n` or `SET k v\r\n`: an inline command, known names only.
    static func inline(_ c: UnsafeRawBufferPointer) -> Command {
        let wordEnd = ProbeBytes.wordEnd(c, from: 0, limit: 16)
        guard wordEnd > 0 else { return .mismatch }
        if wordEnd == c.count {
            // The name may still be arriving: it must be a prefix of a known command.
            if wordEnd >= 16 { return .mismatch }
            for name in inlineCommands where ProbeBytes.match(c, at: 0, name, ignoringCase: true) != .mismatch
                && name.utf8CodeUnitCount >= wordEnd { return .partial }
            return .mismatch
        }
        guard ProbeBytes.equalsAny(c, 0..<wordEnd, inlineCommands) else { return .mismatch }
        guard let lf = ProbeBytes.lineFeed(c, from: wordEnd, limit: maximumInlineLine) else {
            if c.count >= maximumInlineLine { return .mismatch }
            return ProbeBytes.isPrintable(c, ProbeBytes.trimmingCR(c, 0..<c.count)) ? .partial : .mismatch
        }
        let line = ProbeBytes.trimmingCR(c, 0..<lf)
        guard ProbeBytes.isPrintable(c, line), !ProbeBytes.contains(c, line, " HTTP/") else { return .mismatch }
        return .found(0..<wordEnd)
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
            || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "|")
    }

    /// The server's first byte must be a RESP2/RESP3 type; `+OK text` is a POP3 greeting.
    static func replyFits(_ s: UnsafeRawBufferPointer) -> Bool {
        guard let type = ProbeBytes.u8(s, at: 0) else { return true }
        switch type {
        case UInt8(ascii: "+"):
            // Redis's status replies are single words (OK, PONG, QUEUED) or "+<text>" without a space after OK.
            return ProbeBytes.match(s, at: 0, "+OK ") != .full
        case UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"), UInt8(ascii: "%"),
             UInt8(ascii: "_"), UInt8(ascii: ","), UInt8(ascii: "#"), UInt8(ascii: "!"), UInt8(ascii: "="),
             UInt8(ascii: "("), UInt8(ascii: "|"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            return true
        default:
            return false
        }
    }
}
