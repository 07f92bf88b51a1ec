/// What is wrong with a DNS message the DNS security stage reads, and at which byte
/// offset of the message: counted (`dns.malformed`), never trapped on.
///
/// ```swift
/// DNSMessageProblem(.questionTruncated, at: 17).description   // "dns.question_truncated at 17"
/// ```
public struct DNSMessageProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case headerTruncated = "dns.header_truncated"
        case noQuestion = "dns.no_question"
        case questionTruncated = "dns.question_truncated"
        case questionCompressed = "dns.question_compressed"
        case nameTooLong = "dns.name_too_long"
        case recordTruncated = "dns.record_truncated"
        case badPointer = "dns.bad_pointer"
    }

    public let kind: Kind
    public let offset: Int

    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    public var description: String { "\(kind.rawValue) at \(offset)" }
}
