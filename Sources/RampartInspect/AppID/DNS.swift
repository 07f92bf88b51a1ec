import RampartPolicy
import RampartWire

/// DNS over UDP (one datagram) and TCP (2-byte length prefix): recognised by a header whose
/// flags and counts are those of a query (or, with only the server's side, a response) and
/// by a message that parses exactly to its end: names of labels ≤ 63 bytes, ≤ 255 in all,
/// compression pointers that only point backwards (so loops are impossible) and at most 16
/// of them per name, every record within the message. Port-agnostic: mDNS and LLMNR
/// messages have the same format and are named `dns` too.
///
/// Extracts the question names (`dnsQueries`), the first question's type (`dnsQueryType`:
/// "A", "AAAA", ...), and from the response its rcode (`dnsRcode`: "NOERROR", "NXDOMAIN",
/// ...) and up to 16 answers (`dnsAnswers`: "A 10.0.0.1", "AAAA fd00::1", "CNAME x.test",
/// "MX 10 mail.x.test", "TXT text", "NS ns.x.test", "PTR host.x.test").
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if DNS.probe(prefix, into: &metadata) == .identified(DNS.application) {
///     print(metadata.dnsQueries, metadata.dnsQueryType ?? "-", metadata.dnsRcode ?? "-")
/// }
/// ```
enum DNS {
    static let application = ApplicationCatalog.id(named: "dns")!
    static let budget = 4096
    static let maximumAnswers = 16

    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        // Facts go to a scratch copy first, so a rejected message leaves no trace.
        var facts = ApplicationMetadata()
        let result = probeFacts(prefix, into: &facts)
        if case .identified = result {
            metadata.dnsQueries = facts.dnsQueries
            metadata.dnsQueryType = facts.dnsQueryType
            metadata.dnsRcode = facts.dnsRcode
            metadata.dnsAnswers = facts.dnsAnswers
        }
        return result
    }

    private static func probeFacts(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        switch prefix.ipProtocol {
        case .udp:
            if !prefix.toServer.isEmpty {
                guard parse(prefix.toServer, asQuery: true, into: &metadata) == .valid else { return .notThis }
                if !prefix.toClient.isEmpty {
                    var reply = metadata
                    if parse(prefix.toClient, asQuery: false, into: &reply) == .valid { metadata = reply }
                }
                return .identified(application)
            }
            if !prefix.toClient.isEmpty {
                guard parse(prefix.toClient, asQuery: false, into: &metadata) == .valid else { return .notThis }
                return .identified(application)
            }
            return prefix.toServerComplete && prefix.toClientComplete ? .notThis : .needMore
        case .tcp:
            let client = !prefix.toServer.isEmpty
            let stream = client ? prefix.toServer : prefix.toClient
            let complete = client ? prefix.toServerComplete : prefix.toClientComplete
            if stream.isEmpty { return prefix.toServerComplete && prefix.toClientComplete ? .notThis : .needMore }
            guard stream.count >= 2 else { return complete ? .notThis : .needMore }
            let length = Int(stream[0]) << 8 | Int(stream[1])
            guard length >= 12 else { return .notThis }
            let available = min(length, stream.count - 2)
            let message = UnsafeRawBufferPointer(rebasing: stream[2..<(2 + available)])
            switch parse(message, asQuery: client, declaredLength: length, into: &metadata) {
            case .invalid:
                return .notThis
            case .truncated(let questionsRead):
                // A valid prefix waits for the rest; at the budget, whole questions suffice.
                guard complete || stream.count >= budget else { return .needMore }
                return questionsRead ? .identified(application) : .notThis
            case .valid:
                break
            }
            if client, prefix.toClient.count >= 14 {
                let replyLength = Int(prefix.toClient[0]) << 8 | Int(prefix.toClient[1])
                let reply = UnsafeRawBufferPointer(rebasing: prefix.toClient[2..<min(prefix.toClient.count, 2 + replyLength)])
                var answered = metadata
                if parse(reply, asQuery: false, declaredLength: replyLength, into: &answered) != .invalid { metadata = answered }
            }
            return .identified(application)
        default:
            return .notThis
        }
    }

    enum Parse: Equatable {
        case invalid
        /// The bytes end before the declared message does; `questionsRead` when the
        /// question section was complete.
        case truncated(questionsRead: Bool)
        case valid
    }

    /// Parses one DNS message. `asQuery` selects the header rules (QR clear, rcode 0) or
    /// the response rules. A message shorter than `declaredLength` (TCP) may be `.truncated`;
    /// anything inconsistent is `.invalid`. Metadata is written only for what parsed.
    static func parse(
        _ message: UnsafeRawBufferPointer, asQuery: Bool, declaredLength: Int? = nil,
        into metadata: inout ApplicationMetadata
    ) -> Parse {
        let cut = (declaredLength ?? message.count) > message.count
        var c = ProbeCursor(message)
        guard c.u16() != nil, let flags = c.u16(), let qd = c.u16(), let an = c.u16(), let ns = c.u16(),
              let ar = c.u16() else { return cut ? .truncated(questionsRead: false) : .invalid }
        let isResponse = flags & 0x8000 != 0
        let opcode = (flags >> 11) & 0xF
        let rcode = flags & 0xF
        guard isResponse != asQuery, opcode == 0 || opcode == 4 || opcode == 5, flags & 0x0040 == 0 else { return .invalid }
        if asQuery {
            guard rcode == 0, qd >= 1, qd <= 4, an <= 8, ns <= 8, ar <= 8 else { return .invalid }
        } else {
            guard rcode <= 10, qd <= 4, qd >= 1 || rcode != 0, an <= 512, ns <= 64, ar <= 64 else { return .invalid }
        }
        // Questions.
        var queries: [String] = []
        var firstType: UInt16?
        for _ in 0..<qd {
            var overran = false
            guard let name = readName(message, &c, overran: &overran) else {
                return overran && cut ? .truncated(questionsRead: false) : .invalid
            }
            guard let type = c.u16(), let qclass = c.u16() else { return cut ? .truncated(questionsRead: false) : .invalid }
            guard validClass(qclass) || qclass & 0x7FFF == 255 else { return .invalid }
            if firstType == nil { firstType = type }
            if queries.count < 4 { queries.append(name) }
        }
        metadata.dnsQueries = queries
        if let firstType { metadata.dnsQueryType = typeName(firstType) }
        if isResponse { metadata.dnsRcode = rcodeName(rcode) }
        // Answer, authority and additional records: each must fit.
        var answers: [String] = []
        var index = 0
        let total = Int(an) + Int(ns) + Int(ar)
        while index < total {
            var overran = false
            guard readName(message, &c, overran: &overran) != nil else {
                return overran && cut ? .truncated(questionsRead: true) : .invalid
            }
            guard let type = c.u16(), let rclass = c.u16(), c.skip(4), let rdLength = c.u16() else {
                return cut ? .truncated(questionsRead: true) : .invalid
            }
            let start = c.offset
            guard let rdata = c.take(Int(rdLength)) else { return cut ? .truncated(questionsRead: true) : .invalid }
            // OPT (41) reuses class as the UDP payload size; other records need a real class.
            guard type == 41 || validClass(rclass) else { return .invalid }
            if index < Int(an), isResponse, answers.count < maximumAnswers,
               let text = answerText(type: type, rdata: rdata, message: message, at: start) {
                answers.append(text)
            }
            index += 1
        }
        if isResponse { metadata.dnsAnswers = answers }
        // Exact end: trailing bytes are not DNS.
        guard c.isAtEnd, !cut else { return cut ? .truncated(questionsRead: true) : .invalid }
        return .valid
    }

    /// IN, CH, HS, NONE (UPDATE), with mDNS's cache-flush/unicast bit allowed.
    private static func validClass(_ value: UInt16) -> Bool {
        let v = value & 0x7FFF
        return v == 1 || v == 3 || v == 4 || v == 254
    }

    /// Reads a possibly compressed name at the cursor and moves past it. Pointers must
    /// point strictly backwards from where they are, so the walk terminates.
    static func readName(_ message: UnsafeRawBufferPointer, _ cursor: inout ProbeCursor) -> String? {
        var overran = false
        return readName(message, &cursor, overran: &overran)
    }

    /// As `readName(_:_:)`; `overran` tells a name cut by the end of the bytes from a bad one.
    static func readName(_ message: UnsafeRawBufferPointer, _ cursor: inout ProbeCursor, overran: inout Bool) -> String? {
        // Bytes first, one String at the end: names are read for every record checked.
        var name: [UInt8] = []
        name.reserveCapacity(64)
        var position = cursor.offset
        var end: Int?   // where the cursor goes: after the first pointer, or after the root
        var jumps = 0
        var length = 0
        while true {
            guard position < message.count else { overran = true; return nil }
            let byte = message[position]
            if byte == 0 {
                position += 1
                break
            }
            switch byte & 0xC0 {
            case 0xC0:
                guard position + 1 < message.count else { overran = true; return nil }
                guard jumps < 16 else { return nil }
                let target = Int(byte & 0x3F) << 8 | Int(message[position + 1])
                guard target < position, target >= 12 else { return nil }
                if end == nil { end = position + 2 }
                jumps += 1
                position = target
            case 0x00:
                let labelLength = Int(byte)
                guard position + 1 + labelLength <= message.count else { overran = true; return nil }
                length += labelLength + 1
                guard length <= 255 else { return nil }
                if !name.isEmpty { name.append(UInt8(ascii: ".")) }
                ProbeText.appendEscaped(
                    UnsafeRawBufferPointer(rebasing: message[(position + 1)..<(position + 1 + labelLength)]), to: &name)
                position += 1 + labelLength
            default:
                return nil   // 0x40 / 0x80: extended label types, unused
            }
        }
        guard cursor.skip((end ?? position) - cursor.offset) else { return nil }
        return name.isEmpty ? "." : String(decoding: name, as: UTF8.self)
    }

    private static func answerText(type: UInt16, rdata: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, at start: Int) -> String? {
        func nameAt(_ offset: Int) -> String? {
            var c = ProbeCursor(message, offset: offset)
            guard let name = readName(message, &c), c.offset <= start + rdata.count else { return nil }
            return name
        }
        switch type {
        case 1:
            guard rdata.count == 4 else { return nil }
            return "A " + IPAddress.ipv4(from: rdata, at: 0).description
        case 28:
            guard rdata.count == 16 else { return nil }
            return "AAAA " + IPAddress.ipv6(from: rdata, at: 0).description
        case 5, 2, 12:
            guard let name = nameAt(start) else { return nil }
            return typeName(type) + " " + name
        case 15:
            guard rdata.count >= 3, let name = nameAt(start + 2) else { return nil }
            return "MX \(Int(rdata[0]) << 8 | Int(rdata[1])) " + name
        case 16:
            var c = ProbeCursor(rdata)
            var text = ""
            while let n = c.u8(), let piece = c.take(Int(n)), text.utf8.count < 256 {
                text += ProbeText.printable(piece, limit: 256)
            }
            return "TXT " + text
        default:
            return nil
        }
    }

    static func typeName(_ type: UInt16) -> String {
        switch type {
        case 1: return "A"
        case 2: return "NS"
        case 5: return "CNAME"
        case 6: return "SOA"
        case 12: return "PTR"
        case 15: return "MX"
        case 16: return "TXT"
        case 28: return "AAAA"
        case 33: return "SRV"
        case 35: return "NAPTR"
        case 41: return "OPT"
        case 43: return "DS"
        case 48: return "DNSKEY"
        case 64: return "SVCB"
        case 65: return "HTTPS"
        case 252: return "AXFR"
        case 251: return "IXFR"
        case 255: return "ANY"
        case 257: return "CAA"
        default: return "TYPE\(type)"
        }
    }

    static func rcodeName(_ rcode: UInt16) -> String {
        switch rcode {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 6: return "YXDOMAIN"
        case 7: return "YXRRSET"
        case 8: return "NXRRSET"
        case 9: return "NOTAUTH"
        case 10: return "NOTZONE"
        default: return "RCODE\(rcode)"
        }
    }
}
