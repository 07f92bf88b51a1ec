/// An HTTP/2 header block's decoded fields written as the HTTP/1 header block every body
/// consumer already reads (`HTTPHeaderFields`, `HTTPBuffers`, the files and AI stages):
/// `METHOD PATH HTTP/2.0` or `HTTP/2.0 STATUS`, `host:` from `:authority`, then each regular
/// field, then the empty line. CR, LF and NUL inside names or values (forbidden by RFC 9113
/// 8.2.1) are written as spaces, so a field cannot forge another line.
///
/// ```swift
/// let n = HTTP2Message.write(fields, isResponse: false, into: buffer, capacity: 16_384)
/// // "POST /v1/chat/completions HTTP/2.0\r\nhost: api\r\ncontent-type: application/json\r\n\r\n"
/// ```
enum HTTP2Message {
    /// What a request's or response's pseudo-header fields say.
    struct Facts {
        var status = 0
        var isHead = false
    }

    /// Writes the block; returns its length and the facts, or nil when the start line does not
    /// fit or a request lacks `:method` or `:path` (fields that do not fit are left out).
    static func write(_ fields: [HPACKField], isResponse: Bool, into out: UnsafeMutableRawPointer, capacity: Int)
        -> (length: Int, facts: Facts)? {
        var facts = Facts()
        var writer = BlockWriter(out: out, capacity: capacity - 2)   // room for the final CRLF
        var method: [UInt8]?, path: [UInt8]?, authority: [UInt8]?, status: [UInt8]?
        for field in fields {
            switch field.name {
            case Name.method: method = field.value
            case Name.path: path = field.value
            case Name.authority: authority = field.value
            case Name.status: status = field.value
            default: break
            }
        }
        if isResponse {
            guard let status, status.count == 3, status.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            facts.status = status.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard writer.put(Name.version), writer.put([0x20]), writer.put(status), writer.crlf() else { return nil }
        } else {
            guard let method, !method.isEmpty, let path, !path.isEmpty else { return nil }
            facts.isHead = method == Name.head
            guard writer.put(method), writer.put([0x20]), writer.put(path), writer.put([0x20]), writer.put(Name.version),
                  writer.crlf() else { return nil }
            if let authority, !authority.isEmpty {
                _ = writer.line(Name.host, authority)
            }
        }
        for field in fields where field.name.first != UInt8(ascii: ":") {
            if !writer.line(field.name, field.value) { break }
        }
        writer.capacity += 2
        _ = writer.crlf()
        return (writer.length, facts)
    }

    enum Name {
        static let method = Array(":method".utf8), path = Array(":path".utf8), authority = Array(":authority".utf8)
        static let status = Array(":status".utf8), host = Array("host".utf8), version = Array("HTTP/2.0".utf8)
        static let head = Array("HEAD".utf8)
    }

    struct BlockWriter {
        let out: UnsafeMutableRawPointer
        var capacity: Int
        var length = 0

        mutating func put(_ bytes: [UInt8]) -> Bool {
            guard length + bytes.count <= capacity else { return false }
            for b in bytes {
                out.storeBytes(of: b == 0x0D || b == 0x0A || b == 0 ? 0x20 : b, toByteOffset: length, as: UInt8.self)
                length += 1
            }
            return true
        }

        mutating func crlf() -> Bool {
            guard length + 2 <= capacity else { return false }
            out.storeBytes(of: 0x0D, toByteOffset: length, as: UInt8.self)
            out.storeBytes(of: 0x0A, toByteOffset: length + 1, as: UInt8.self)
            length += 2
            return true
        }

        /// `name: value\r\n`, whole or not at all.
        mutating func line(_ name: [UInt8], _ value: [UInt8]) -> Bool {
            guard length + name.count + value.count + 4 <= capacity else { return false }
            _ = put(name)
            _ = put([0x3A, 0x20])
            _ = put(value)
            return crlf()
        }
    }
}
