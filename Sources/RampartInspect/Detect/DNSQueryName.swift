/// The first question's name of a DNS query message (`dns.query`, as Suricata gives it:
/// labels joined by dots, no trailing dot), read in place into the worker's arena.
enum DNSQueryName {
    /// Writes the name to `out` (room for 255 bytes); its length, or nil when the message
    /// is not a query with a question, or the name is malformed or compressed.
    static func read(_ message: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer) -> Int? {
        guard message.count >= 12 else { return nil }
        // QR = 0 (a query), QDCOUNT >= 1.
        guard message[2] & 0x80 == 0, (Int(message[4]) << 8 | Int(message[5])) >= 1 else { return nil }
        var i = 12
        var n = 0
        while i < message.count {
            let length = Int(message[i])
            i += 1
            if length == 0 { return n }
            guard length < 64, i + length <= message.count, n + length + 1 <= 255 else { return nil }
            if n > 0 {
                out.storeBytes(of: UInt8(ascii: "."), toByteOffset: n, as: UInt8.self)
                n += 1
            }
            (out + n).copyMemory(from: message.baseAddress! + i, byteCount: length)
            n += length
            i += length
        }
        return nil
    }
}
