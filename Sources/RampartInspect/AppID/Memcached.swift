import RampartPolicy
import RampartWire

/// memcached over TCP and UDP, text and binary protocols.
///
/// Text: the first line is a lower-case memcached command with the right number and form
/// of arguments (`set k 0 60 5`, `get a b`, `stats`, meta `mg k v`). Commands Redis also
/// accepts inline (`get`, `delete`, `incr`, `decr`, `touch`, `quit`) additionally need the
/// server's reply to be a memcached one (`VALUE`, `END`, `STORED`, `DELETED`, a number,
/// ...), never RESP. Storage commands must carry their data block of exactly the announced
/// size. Over UDP the 8-byte frame header (request id, sequence 0, 1 datagram, reserved 0)
/// comes first. Binary: a 24-byte request header with magic 0x80, a known opcode, data type
/// 0, vbucket 0 and lengths that add up, and the request complete (followed by nothing or
/// another 0x80).
///
/// Extracts `detail["memcached.command"]` (`set`, `get`, `stats`, `binary:get`, ...).
///
/// ```swift
/// Memcached.probe(prefix, into: &metadata)   // .identified(memcached); detail["memcached.command"] == "set"
/// ```
enum Memcached {
    static let application = ApplicationCatalog.id(named: "memcached")!
    static let budget = 4096

    /// Command → (minimum, maximum) argument count; `unique` commands prove memcached alone.
    private struct Command {
        var minimum: Int
        var maximum: Int
        var unique: Bool
        var storage: Bool = false
    }

    private static let commands: [String: Command] = [
        "get": Command(minimum: 1, maximum: 64, unique: false),
        "gets": Command(minimum: 1, maximum: 64, unique: true),
        "gat": Command(minimum: 2, maximum: 64, unique: true),
        "gats": Command(minimum: 2, maximum: 64, unique: true),
        "set": Command(minimum: 4, maximum: 5, unique: true, storage: true),
        "add": Command(minimum: 4, maximum: 5, unique: true, storage: true),
        "replace": Command(minimum: 4, maximum: 5, unique: true, storage: true),
        "append": Command(minimum: 4, maximum: 5, unique: true, storage: true),
        "prepend": Command(minimum: 4, maximum: 5, unique: true, storage: true),
        "cas": Command(minimum: 5, maximum: 6, unique: true, storage: true),
        "delete": Command(minimum: 1, maximum: 3, unique: false),
        "incr": Command(minimum: 2, maximum: 3, unique: false),
        "decr": Command(minimum: 2, maximum: 3, unique: false),
        "touch": Command(minimum: 2, maximum: 3, unique: false),
        "stats": Command(minimum: 0, maximum: 2, unique: true),
        "version": Command(minimum: 0, maximum: 0, unique: true),
        "flush_all": Command(minimum: 0, maximum: 2, unique: true),
        "verbosity": Command(minimum: 1, maximum: 2, unique: true),
        "quit": Command(minimum: 0, maximum: 0, unique: false),
        "mn": Command(minimum: 0, maximum: 0, unique: true),
        "mg": Command(minimum: 1, maximum: 32, unique: true),
        "ms": Command(minimum: 2, maximum: 32, unique: true),
        "md": Command(minimum: 1, maximum: 32, unique: true),
        "ma": Command(minimum: 1, maximum: 32, unique: true),
        "me": Command(minimum: 1, maximum: 1, unique: true),
    ]

    private static let replies: [String] = [
        "VALUE ", "END\r\n", "STORED\r\n", "NOT_STORED\r\n", "EXISTS\r\n", "NOT_FOUND\r\n", "DELETED\r\n",
        "TOUCHED\r\n", "OK\r\n", "ERROR\r\n", "CLIENT_ERROR ", "SERVER_ERROR ", "STAT ", "VERSION ",
        "EN\r\n", "HD", "VA ", "NF", "NS", "EX", "MN\r\n", "ME ",
    ]

    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        switch prefix.ipProtocol {
        case .tcp:
            return probeStream(prefix.toServer, reply: prefix.toClient, complete: prefix.toServerComplete,
                               replyComplete: prefix.toClientComplete, into: &metadata)
        case .udp:
            let request = prefix.toServer
            guard request.count >= 8 else { return request.isEmpty && !prefix.toServerComplete ? .needMore : .notThis }
            guard request[2] == 0, request[3] == 0, request[4] == 0, request[5] == 1, request[6] == 0, request[7] == 0 else {
                return .notThis
            }
            var reply = UnsafeRawBufferPointer(start: nil, count: 0)
            if prefix.toClient.count >= 8 {
                let r = prefix.toClient
                // Same request id, sequence below the total, reserved zero.
                guard r[0] == request[0], r[1] == request[1], r[6] == 0, r[7] == 0,
                      (Int(r[2]) << 8 | Int(r[3])) < (Int(r[4]) << 8 | Int(r[5])) else { return .notThis }
                reply = UnsafeRawBufferPointer(rebasing: r[8...])
            }
            // A datagram is whole: no more bytes of it will come.
            return probeStream(UnsafeRawBufferPointer(rebasing: request[8...]), reply: reply, complete: true,
                               replyComplete: prefix.toClientComplete || !reply.isEmpty, into: &metadata)
        default:
            return .notThis
        }
    }

    private static func probeStream(
        _ stream: UnsafeRawBufferPointer, reply: UnsafeRawBufferPointer, complete: Bool, replyComplete: Bool,
        into metadata: inout ApplicationMetadata
    ) -> ProbeResult {
        guard let first = stream.first else { return complete ? .notThis : .needMore }
        if first == 0x80 { return binary(stream, complete: complete, into: &metadata) }
        guard first >= 0x61, first <= 0x7A else { return .notThis }   // commands are lower-case
        // The command word.
        var end = 0
        while end < stream.count, end < 10, (stream[end] >= 0x61 && stream[end] <= 0x7A) || stream[end] == 0x5F { end += 1 }
        guard end < stream.count else { return complete || end >= 10 ? .notThis : .needMore }
        let word = String(decoding: UnsafeRawBufferPointer(rebasing: stream[0..<end]), as: UTF8.self)
        guard let command = commands[word] else { return .notThis }
        guard stream[end] == 0x20 || stream[end] == 0x0D || stream[end] == 0x0A else { return .notThis }
        // The whole first line.
        var lineEnd = end
        while lineEnd < stream.count, stream[lineEnd] != 0x0A {
            guard lineEnd < 2048 else { return .notThis }   // memcached's own line limit
            lineEnd += 1
        }
        guard lineEnd < stream.count else { return complete || stream.count >= budget ? .notThis : .needMore }
        var lineBytes = UnsafeRawBufferPointer(rebasing: stream[end..<lineEnd])
        if let last = lineBytes.last, last == 0x0D { lineBytes = UnsafeRawBufferPointer(rebasing: lineBytes.dropLast()) }
        if lineBytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { return .notThis }
        let arguments = String(decoding: lineBytes, as: UTF8.self).split(separator: " ")
        guard arguments.count >= command.minimum, arguments.count <= command.maximum else { return .notThis }
        if let key = arguments.first, key.utf8.count > 250 { return .notThis }
        if command.storage {
            // flags exptime bytes [cas] all numeric; the data block follows, of that size.
            guard arguments[1...3].allSatisfy(isNumber) else { return .notThis }
            if word == "cas", !isNumber(arguments[4]) { return .notThis }
            guard let size = Int(arguments[3]), size <= 1 << 20 else { return .notThis }
            let dataStart = lineEnd + 1
            if stream.count < dataStart + size + 2 {
                return complete || stream.count >= budget ? .notThis : .needMore
            }
            guard stream[dataStart + size] == 0x0D, stream[dataStart + size + 1] == 0x0A else { return .notThis }
        } else if word == "incr" || word == "decr" {
            guard isNumber(arguments[1]) else { return .notThis }
        } else if word == "touch" || word == "gat" || word == "gats" {
            guard isNumber(arguments[word == "touch" ? 1 : 0]) else { return .notThis }
        }
        if !reply.isEmpty {
            guard memcachedReply(reply, replyComplete: replyComplete) else {
                return replyPrefixPossible(reply) && !replyComplete ? .needMore : .notThis
            }
        } else if !command.unique {
            return replyComplete ? .notThis : .needMore
        }
        metadata.detail["memcached.command"] = word
        return .identified(application)
    }

    private static func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 20 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The reply starts with a memcached response word, or is a number (incr/decr).
    private static func memcachedReply(_ reply: UnsafeRawBufferPointer, replyComplete: Bool) -> Bool {
        for word in replies where reply.starts(with: word.utf8) { return true }
        var digits = 0
        while digits < reply.count, digits < 21, reply[digits] >= 0x30, reply[digits] <= 0x39 { digits += 1 }
        return digits > 0 && digits + 1 < reply.count && reply[digits] == 0x0D && reply[digits + 1] == 0x0A
    }

    /// A short reply that may still become one of the words above.
    private static func replyPrefixPossible(_ reply: UnsafeRawBufferPointer) -> Bool {
        guard reply.count < 14 else { return false }
        for word in replies where word.utf8.starts(with: reply) { return true }
        return reply.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x0D }
    }

    /// The binary protocol's request header (magic 0x80).
    private static func binary(_ stream: UnsafeRawBufferPointer, complete: Bool, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard stream.count >= 24 else { return complete ? .notThis : .needMore }
        var c = ProbeCursor(stream)
        guard c.u8() != nil, let opcode = c.u8(), let keyLength = c.u16(), let extrasLength = c.u8(),
              let dataType = c.u8(), let vbucket = c.u16(), let bodyLength = c.u32() else { return .notThis }
        let key = Int(keyLength), extras = Int(extrasLength), body = Int(bodyLength)
        // vbucket 0: plain memcached clients (Couchbase's vbuckets are out of scope).
        guard dataType == 0, vbucket == 0, extras + key <= body, body <= (1 << 20) + 512 else { return .notThis }
        let name: String
        switch opcode {
        case 0x00, 0x09, 0x0C, 0x0D:
            guard extras == 0, key > 0, body == key else { return .notThis }
            name = "get"
        case 0x01, 0x02, 0x03, 0x11, 0x12, 0x13:
            guard extras == 8, key > 0 else { return .notThis }
            name = opcode & 0x0F == 1 ? "set" : opcode & 0x0F == 2 ? "add" : "replace"
        case 0x04, 0x14:
            guard extras == 0, key > 0, body == key else { return .notThis }
            name = "delete"
        case 0x05, 0x06, 0x15, 0x16:
            guard extras == 20, key > 0, body == extras + key else { return .notThis }
            name = opcode & 0x0F == 5 ? "incr" : "decr"
        case 0x07, 0x0A, 0x0B, 0x17:
            guard extras == 0, key == 0, body == 0 else { return .notThis }
            name = opcode == 0x0B ? "version" : opcode == 0x0A ? "noop" : "quit"
        case 0x10:
            guard extras == 0, body == key else { return .notThis }
            name = "stats"
        case 0x08, 0x0E, 0x0F, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x20, 0x21, 0x22:
            // flush, append/prepend, quiet variants, verbosity, touch, gat, SASL.
            guard body <= 1024 else { return .notThis }
            name = "opcode-" + ProbeText.hex4(UInt16(opcode))
        default:
            return .notThis
        }
        let total = 24 + body
        guard total <= budget || stream.count < budget else { return .notThis }
        if stream.count < total { return complete || stream.count >= budget ? .notThis : .needMore }
        guard stream.count == total || stream[total] == 0x80 else { return .notThis }
        metadata.detail["memcached.command"] = "binary:" + name
        return .identified(application)
    }
}
