/// The header and first question of a DNS message, read in place: the name is copied,
/// lower-cased and dotted (no trailing dot), into a buffer the caller owns, so reading a
/// query allocates nothing.
///
/// Refuses, with the offset of the problem, a message shorter than its header, one without
/// a question, and a first name that is compressed (a question never is: it comes first),
/// has a label over 63 bytes, is over 253 characters, or runs past the message.
///
/// ```swift
/// switch DNSQuestion.read(message, into: nameBuffer) {
/// case .success(let q): print(q.isResponse, q.type, String(decoding: UnsafeRawBufferPointer(start: nameBuffer, count: q.nameLength), as: UTF8.self))
/// case .failure(let problem): print(problem)   // "dns.question_truncated at 17"
/// }
/// ```
public struct DNSQuestion: Equatable, Sendable {
    public var id: UInt16
    /// QR: the message is a response.
    public var isResponse: Bool
    public var opcode: UInt8
    public var rcode: UInt8
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16
    /// Bytes of the name written to the buffer (0 for the root).
    public var nameLength: Int
    /// Labels in the name.
    public var labels: Int
    /// The longest label's length.
    public var longestLabel: Int
    public var type: UInt16
    public var questionClass: UInt16
    /// The offset just past the first question: where the next question or the answers start.
    public var end: Int

    /// Room the name buffer must have.
    public static let nameCapacity = 256

    /// Reads `message`; the name goes to `name` (at least `nameCapacity` bytes).
    public static func read(_ message: UnsafeRawBufferPointer, into name: UnsafeMutableRawPointer)
        -> Result<DNSQuestion, DNSMessageProblem>
    {
        guard message.count >= 12 else { return .failure(DNSMessageProblem(.headerTruncated, at: message.count)) }
        func u16(_ at: Int) -> UInt16 { UInt16(message[at]) << 8 | UInt16(message[at + 1]) }
        var q = DNSQuestion(
            id: u16(0), isResponse: message[2] & 0x80 != 0, opcode: (message[2] >> 3) & 0x0F, rcode: message[3] & 0x0F,
            questionCount: u16(4), answerCount: u16(6), authorityCount: u16(8), additionalCount: u16(10),
            nameLength: 0, labels: 0, longestLabel: 0, type: 0, questionClass: 0, end: 12)
        guard q.questionCount >= 1 else { return .failure(DNSMessageProblem(.noQuestion, at: 4)) }
        var i = 12
        var n = 0
        while true {
            guard i < message.count else { return .failure(DNSMessageProblem(.questionTruncated, at: i)) }
            let length = Int(message[i])
            if length == 0 { break }
            guard length & 0xC0 == 0 else { return .failure(DNSMessageProblem(.questionCompressed, at: i)) }
            guard i + 1 + length <= message.count else { return .failure(DNSMessageProblem(.questionTruncated, at: i)) }
            // At most 253 characters as text (255 bytes on the wire, RFC 1035 §2.3.4).
            guard n + (n > 0 ? 1 : 0) + length <= 253 else { return .failure(DNSMessageProblem(.nameTooLong, at: i)) }
            if n > 0 {
                name.storeBytes(of: 0x2E, toByteOffset: n, as: UInt8.self)
                n += 1
            }
            for k in 0..<length {
                let c = message[i + 1 + k]
                name.storeBytes(of: c >= 0x41 && c <= 0x5A ? c | 0x20 : c, toByteOffset: n + k, as: UInt8.self)
            }
            n += length
            q.labels += 1
            q.longestLabel = max(q.longestLabel, length)
            i += 1 + length
        }
        i += 1
        guard i + 4 <= message.count else { return .failure(DNSMessageProblem(.questionTruncated, at: i)) }
        q.type = u16(i)
        q.questionClass = u16(i + 2)
        q.nameLength = n
        q.end = i + 4
        return .success(q)
    }
}
