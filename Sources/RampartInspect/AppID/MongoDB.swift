import RampartPolicy
import RampartWire

/// MongoDB: recognised by the client's first message (the server never speaks first), a wire
/// protocol header (`int32 messageLength` 21…48 MB, `requestID`, `responseTo = 0`, `opCode`
/// little-endian) with opCode 2013 OP_MSG (flag bits within the defined ones, section kind 0
/// then a BSON document) or 2004 OP_QUERY (the legacy handshake: flags, a `db.collection`
/// name, skip, return, then the BSON query). The BSON document's first element is the command
/// (`hello`, `isMaster`, `ping`, `find`, …): its type must be valid and its key a printable
/// name. The walk over the document is bounded (64 elements, the bytes present) and looks for
/// `$db`. When the server's reply arrived, its `responseTo` must equal the request's id.
/// Extracts `detail["mongodb.command"]` and `["mongodb.database"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if MongoDB.probe(prefix, into: &metadata) == .identified(MongoDB.application) {
///     print(metadata.detail["mongodb.command"] ?? "")   // "hello"
/// }
/// ```
enum MongoDB {
    static let application = ApplicationCatalog.id(named: "mongodb")!
    static let opMsg: UInt32 = 2013
    static let opQuery: UInt32 = 2004
    static let opReply: UInt32 = 1
    static let maximumMessage: UInt32 = 48_000_000
    /// OP_MSG flags: checksumPresent, moreToCome, exhaustAllowed.
    static let knownFlags: UInt32 = 0x0001_0003

    /// Identifies MongoDB; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let c = prefix.toServer
        if c.count == 0 {
            return prefix.toClient.count > 0 ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        // messageLength < 48 MB: the top byte is 0..2.
        if c.count >= 4 && c[3] > 2 { return .notThis }
        guard let length = ProbeBytes.le32(c, at: 0), let requestID = ProbeBytes.le32(c, at: 4),
              let responseTo = ProbeBytes.le32(c, at: 8), let opCode = ProbeBytes.le32(c, at: 12) else {
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        }
        guard length >= 21, length <= maximumMessage, responseTo == 0 else { return .notThis }
        let end = min(c.count, Int(length))
        let document: Int
        switch opCode {
        case opMsg:
            guard let flags = ProbeBytes.le32(c, at: 16), let kind = ProbeBytes.u8(c, at: 20) else {
                return ProbeBytes.waiting(complete: prefix.toServerComplete)
            }
            guard flags & ~knownFlags == 0, kind == 0 else { return .notThis }
            document = 21
        case opQuery:
            // flags, then the collection name "db.$cmd" (printable, with a dot), skip and return counts.
            guard c.count >= 21 else { return ProbeBytes.waiting(complete: prefix.toServerComplete) }
            guard let nul = ProbeBytes.nul(c, from: 20, limit: min(end, 20 &+ 256)) else {
                return c.count >= min(Int(length), 20 &+ 256) || !ProbeBytes.isPrintable(c, 20..<c.count)
                    ? .notThis : ProbeBytes.waiting(complete: prefix.toServerComplete)
            }
            guard nul > 20, ProbeBytes.isPrintable(c, 20..<nul), ProbeBytes.contains(c, 20..<nul, ".") else { return .notThis }
            if let dot = firstDot(c, 20..<nul) {
                metadata.detail["mongodb.database"] = ProbeBytes.text(c, 20..<dot, limit: 64)
            }
            document = nul &+ 1 &+ 8
        default:
            return .notThis
        }
        guard document &+ 4 <= Int(length) else { return .notThis }
        switch firstElement(c, document: document, messageEnd: Int(length)) {
        case .partial:
            return ProbeBytes.waiting(complete: prefix.toServerComplete)
        case .mismatch:
            return .notThis
        case .found(let key):
            guard replyFits(prefix.toClient, requestID: requestID) else { return .notThis }
            metadata.detail["mongodb.command"] = ProbeBytes.text(c, key, limit: 64)
            if let db = stringValue(c, document: document, named: "$db") {
                metadata.detail["mongodb.database"] = ProbeBytes.text(c, db, limit: 64)
            }
            return .identified(application)
        }
    }

    enum Element {
        case found(Range<Int>)
        case partial
        case mismatch
    }

    /// The key of the document's first element, after checking the document's size and the element's type.
    static func firstElement(_ c: UnsafeRawBufferPointer, document: Int, messageEnd: Int) -> Element {
        guard let size32 = ProbeBytes.le32(c, at: document), let type = ProbeBytes.u8(c, at: document &+ 4) else {
            return .partial
        }
        let size = Int(size32)
        // A command document has at least one element: 4 + type + "x\0" + value + 0.
        guard size >= 4 + 1 + 2 + 1, document &+ size <= messageEnd else { return .mismatch }
        guard isValidType(type) else { return .mismatch }
        let keyStart = document &+ 5
        guard let nul = ProbeBytes.nul(c, from: keyStart, limit: min(document &+ size, keyStart &+ 65)) else {
            if c.count &- keyStart >= 64 || !ProbeBytes.isPrintable(c, keyStart..<c.count) { return .mismatch }
            return .partial
        }
        guard nul > keyStart, ProbeBytes.isPrintable(c, keyStart..<nul) else { return .mismatch }
        return .found(keyStart..<nul)
    }

    static func isValidType(_ t: UInt8) -> Bool { (t >= 0x01 && t <= 0x13) || t == 0x7F || t == 0xFF }

    /// The value of a top-level string element `name`, walking at most 64 elements of the bytes present.
    static func stringValue(_ c: UnsafeRawBufferPointer, document: Int, named name: StaticString) -> Range<Int>? {
        guard let size32 = ProbeBytes.le32(c, at: document) else { return nil }
        let end = min(c.count, document &+ Int(size32))
        var i = document &+ 4
        var elements = 0
        while elements < 64, let type = ProbeBytes.u8(c, at: i), type != 0, i < end {
            guard let nul = ProbeBytes.nul(c, from: i &+ 1, limit: end) else { return nil }
            let value = nul &+ 1
            if type == 0x02, ProbeBytes.equals(c, (i &+ 1)..<nul, name),
               let n = ProbeBytes.le32(c, at: value), n >= 1, n <= 1024, value &+ 4 &+ Int(n) <= end {
                return (value &+ 4)..<(value &+ 4 &+ Int(n) &- 1)
            }
            guard let size = valueSize(c, type: type, at: value, end: end) else { return nil }
            i = value &+ size
            elements &+= 1
        }
        return nil
    }

    /// The size of a BSON value of `type` at `at`, or nil when unknown or past `end`.
    static func valueSize(_ c: UnsafeRawBufferPointer, type: UInt8, at: Int, end: Int) -> Int? {
        let size: Int
        switch type {
        case 0x01, 0x09, 0x11, 0x12: size = 8
        case 0x02, 0x0D, 0x0E:
            guard let n = ProbeBytes.le32(c, at: at), n <= UInt32(Int32.max) else { return nil }
            size = 4 &+ Int(n)
        case 0x03, 0x04, 0x0F:
            guard let n = ProbeBytes.le32(c, at: at), n >= 5, n <= UInt32(Int32.max) else { return nil }
            size = Int(n)
        case 0x05:
            guard let n = ProbeBytes.le32(c, at: at), n <= UInt32(Int32.max) else { return nil }
            size = 5 &+ Int(n)
        case 0x06, 0x0A, 0x7F, 0xFF: size = 0
        case 0x07: size = 12
        case 0x08: size = 1
        case 0x10: size = 4
        case 0x13: size = 16
        case 0x0B:
            guard let a = ProbeBytes.nul(c, from: at, limit: end), let b = ProbeBytes.nul(c, from: a &+ 1, limit: end) else { return nil }
            size = b &+ 1 &- at
        case 0x0C:
            guard let n = ProbeBytes.le32(c, at: at), n <= UInt32(Int32.max) else { return nil }
            size = 4 &+ Int(n) &+ 12
        default: return nil
        }
        return at &+ size <= end ? size : nil
    }

    static func firstDot(_ c: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        for i in range where c[i] == UInt8(ascii: ".") { return i }
        return nil
    }

    /// The server's reply header, when present: responseTo is the client's request, opCode OP_REPLY or OP_MSG.
    static func replyFits(_ s: UnsafeRawBufferPointer, requestID: UInt32) -> Bool {
        guard let length = ProbeBytes.le32(s, at: 0) else { return true }
        guard length >= 16, length <= maximumMessage else { return false }
        guard let responseTo = ProbeBytes.le32(s, at: 8), let opCode = ProbeBytes.le32(s, at: 12) else { return true }
        return responseTo == requestID && (opCode == opReply || opCode == opMsg || opCode == 2012)
    }
}
