import RampartPolicy
import RampartWire

/// LDAP over TCP and connectionless LDAP (CLDAP) over UDP: recognised by a BER
/// LDAPMessage ::= SEQUENCE { messageID INTEGER (1–4 bytes, ≥ 0), protocolOp [APPLICATION n],
/// controls [0] OPTIONAL } whose element lengths add up exactly to the SEQUENCE's, with a
/// request operation from the client (bindRequest, searchRequest, extendedRequest, ...) or
/// a response from the server. The common requests are checked one level deeper: a bind
/// carries version 1–3, a DN and simple or SASL credentials; a search carries a base DN and
/// scope and deref values 0–3.
///
/// Extracts `detail["ldap.operation"]` (`bindRequest`, `searchRequest`, ...), the bind DN
/// (`detail["ldap.bind_dn"]`), the search base (`detail["ldap.base_dn"]`) and, from the
/// server's first response, `detail["ldap.result"]` (the resultCode, e.g. `0`).
///
/// ```swift
/// LDAP.probe(prefix, into: &metadata)   // .identified(ldap); detail["ldap.operation"] == "bindRequest"
/// ```
enum LDAP {
    static let application = ApplicationCatalog.id(named: "ldap")!
    static let budget = 4096

    private static let requests: [UInt8: String] = [
        0x60: "bindRequest", 0x42: "unbindRequest", 0x63: "searchRequest", 0x66: "modifyRequest",
        0x68: "addRequest", 0x4A: "delRequest", 0x6C: "modDNRequest", 0x6E: "compareRequest",
        0x50: "abandonRequest", 0x77: "extendedRequest",
    ]
    private static let responses: [UInt8: String] = [
        0x61: "bindResponse", 0x64: "searchResEntry", 0x65: "searchResDone", 0x73: "searchResRef",
        0x67: "modifyResponse", 0x69: "addResponse", 0x6B: "delResponse", 0x6D: "modDNResponse",
        0x6F: "compareResponse", 0x78: "extendedResponse", 0x79: "intermediateResponse",
    ]

    /// One BER element: tag, contents, and the offset after it.
    struct Element {
        var tag: UInt8
        var contents: UnsafeRawBufferPointer
    }

    enum Read { case invalid, short, element(Element) }

    /// Reads one definite-length BER element (LDAP forbids the indefinite form).
    static func element(_ c: inout ProbeCursor) -> Read {
        let start = c
        guard let tag = c.u8() else { return .short }
        guard tag & 0x1F != 0x1F else { return .invalid }
        guard let first = c.u8() else { c = start; return .short }
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4 else { return .invalid }
            for _ in 0..<count {
                guard let b = c.u8() else { c = start; return .short }
                length = length << 8 | Int(b)
            }
        }
        guard let contents = c.take(length) else { c = start; return .short }
        return .element(Element(tag: tag, contents: contents))
    }

    /// The declared total size of the element at the cursor (header + contents), if readable.
    private static func declaredSize(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 2 else { return nil }
        if bytes[1] < 0x80 { return 2 + Int(bytes[1]) }
        let count = Int(bytes[1] & 0x7F)
        guard count >= 1, count <= 4, bytes.count >= 2 + count else { return nil }
        var length = 0
        for i in 0..<count { length = length << 8 | Int(bytes[2 + i]) }
        return 2 + count + length
    }

    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp || prefix.ipProtocol == .udp else { return .notThis }
        let client = !prefix.toServer.isEmpty
        let bytes = client ? prefix.toServer : prefix.toClient
        // A UDP datagram is whole.
        let complete = prefix.ipProtocol == .udp || (client ? prefix.toServerComplete : prefix.toClientComplete)
        guard let first = bytes.first else {
            return prefix.toServerComplete && prefix.toClientComplete ? .notThis : .needMore
        }
        guard first == 0x30 else { return .notThis }
        if bytes.count >= 2 {
            guard bytes[1] < 0x80 || (bytes[1] >= 0x81 && bytes[1] <= 0x84) else { return .notThis }
        }
        if let size = declaredSize(bytes) {
            guard size >= 7, size <= 16 << 20 else { return .notThis }
            if bytes.count < size {
                if complete { return .notThis }
                // Too big to see whole within the budget: judge the header we have.
                guard bytes.count >= budget else { return earlyCheck(bytes, client: client) ? .needMore : .notThis }
                return earlyCheck(bytes, client: client) && size <= 1 << 20 ? identify(bytes, client: client, whole: false, into: &metadata) : .notThis
            }
            if prefix.ipProtocol == .udp, bytes.count != size { return .notThis }
        } else {
            return complete ? .notThis : .needMore
        }
        let result = identify(bytes, client: client, whole: true, into: &metadata)
        if client, result != .notThis { observeServer(prefix.toClient, into: &metadata) }
        return result
    }

    /// For a message still arriving: messageID and operation tag are right.
    private static func earlyCheck(_ bytes: UnsafeRawBufferPointer, client: Bool) -> Bool {
        var c = ProbeCursor(bytes)
        guard c.u8() != nil, let l = c.u8() else { return true }
        if l >= 0x80 { guard c.skip(Int(l & 0x7F)) else { return true } }
        guard case .element(let id) = element(&c) else { return c.remaining < 6 }
        guard id.tag == 0x02, id.contents.count >= 1, id.contents.count <= 4, id.contents[0] & 0x80 == 0 else { return false }
        guard let op = c.peek() else { return true }
        return client ? requests[op] != nil : responses[op] != nil
    }

    private static func identify(_ bytes: UnsafeRawBufferPointer, client: Bool, whole: Bool, into metadata: inout ApplicationMetadata) -> ProbeResult {
        var outer = ProbeCursor(bytes)
        let message: UnsafeRawBufferPointer
        if whole {
            guard case .element(let m) = element(&outer), m.tag == 0x30 else { return .notThis }
            message = m.contents
        } else {
            // Cut by the budget: walk the SEQUENCE's beginning only.
            guard outer.u8() != nil, let l = outer.u8() else { return .notThis }
            if l >= 0x80 { guard outer.skip(Int(l & 0x7F)) else { return .notThis } }
            message = UnsafeRawBufferPointer(rebasing: bytes[outer.offset...])
        }
        var c = ProbeCursor(message)
        guard case .element(let id) = element(&c), id.tag == 0x02, id.contents.count >= 1, id.contents.count <= 4,
              id.contents[0] & 0x80 == 0 else { return .notThis }
        guard let opTag = c.peek(), let name = client ? requests[opTag] : responses[opTag] else { return .notThis }
        var facts: [String: String] = ["ldap.operation": name]
        if whole {
            guard case .element(let op) = element(&c) else { return .notThis }
            if !c.isAtEnd {   // controls [0], and nothing else
                guard case .element(let controls) = element(&c), controls.tag == 0xA0, c.isAtEnd else { return .notThis }
            }
            guard checkOperation(op, into: &facts) else { return .notThis }
        }
        metadata.detail.merge(facts, uniquingKeysWith: { _, b in b })
        return .identified(application)
    }

    /// One level deeper for the common operations.
    private static func checkOperation(_ op: Element, into facts: inout [String: String]) -> Bool {
        var c = ProbeCursor(op.contents)
        switch op.tag {
        case 0x60:   // BindRequest { version INTEGER (1..127), name LDAPDN, authentication }
            guard case .element(let version) = element(&c), version.tag == 0x02, version.contents.count == 1,
                  version.contents[0] >= 1, version.contents[0] <= 3,
                  case .element(let dn) = element(&c), dn.tag == 0x04,
                  case .element(let auth) = element(&c), auth.tag == 0x80 || auth.tag == 0xA3, c.isAtEnd else { return false }
            facts["ldap.bind_dn"] = ProbeText.printable(dn.contents, limit: 256)
        case 0x63:   // SearchRequest { baseObject, scope, derefAliases, sizeLimit, timeLimit, typesOnly, filter, attributes }
            guard case .element(let base) = element(&c), base.tag == 0x04,
                  case .element(let scope) = element(&c), scope.tag == 0x0A, scope.contents.count == 1, scope.contents[0] <= 3,
                  case .element(let deref) = element(&c), deref.tag == 0x0A, deref.contents.count == 1, deref.contents[0] <= 3,
                  case .element(let size) = element(&c), size.tag == 0x02,
                  case .element(let time) = element(&c), time.tag == 0x02,
                  case .element(let typesOnly) = element(&c), typesOnly.tag == 0x01, typesOnly.contents.count == 1,
                  case .element(let filter) = element(&c), filter.tag & 0xC0 == 0x80,
                  case .element(let attributes) = element(&c), attributes.tag == 0x30, c.isAtEnd else { return false }
            facts["ldap.base_dn"] = ProbeText.printable(base.contents, limit: 256)
        case 0x42:   // UnbindRequest: NULL
            guard op.contents.isEmpty else { return false }
        case 0x77:   // ExtendedRequest { requestName [0], requestValue [1] OPTIONAL }
            guard case .element(let oid) = element(&c), oid.tag == 0x80 else { return false }
            facts["ldap.extended"] = ProbeText.printable(oid.contents, limit: 64)
        case 0x61, 0x65, 0x67, 0x69, 0x6B, 0x6D, 0x6F, 0x78:   // LDAPResult { resultCode ENUMERATED, matchedDN, diagnosticMessage, ... }
            guard case .element(let code) = element(&c), code.tag == 0x0A, code.contents.count >= 1, code.contents.count <= 2,
                  case .element(let matched) = element(&c), matched.tag == 0x04,
                  case .element(let diagnostic) = element(&c), diagnostic.tag == 0x04 else { return false }
            facts["ldap.result"] = String(code.contents.reduce(0) { $0 << 8 | Int($1) })
        default:
            break
        }
        return true
    }

    /// The resultCode of the server's first message, for the flow record.
    static func observeServer(_ reply: UnsafeRawBufferPointer, into metadata: inout ApplicationMetadata) {
        var c = ProbeCursor(reply)
        guard case .element(let m) = element(&c), m.tag == 0x30 else { return }
        var inner = ProbeCursor(m.contents)
        guard case .element(let id) = element(&inner), id.tag == 0x02, case .element(let op) = element(&inner),
              responses[op.tag] != nil else { return }
        var facts: [String: String] = [:]
        if checkOperation(op, into: &facts), let result = facts["ldap.result"] { metadata.detail["ldap.result"] = result }
    }
}
