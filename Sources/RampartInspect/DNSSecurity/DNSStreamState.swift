/// Where the DNS security stage stands in a DNS-over-TCP session's two byte streams
/// (RFC 1035 §4.2.2: each message after a two-byte length).
///
/// ```swift
/// session.dnsStream.contains(.toServerSynchronised)
/// ```
public struct DNSStreamState: OptionSet, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `DNSSessionTable.Entry.nextToServer` / `nextToClient` hold where the next message starts.
    public static let toServerSynchronised = DNSStreamState(rawValue: 0x01)
    public static let toClientSynchronised = DNSStreamState(rawValue: 0x02)
    /// A gap (a segment after a lost or reordered one) or a length prefix cut in two: the
    /// message boundaries of that direction are no longer known, and it is not read further.
    public static let toServerLost = DNSStreamState(rawValue: 0x04)
    public static let toClientLost = DNSStreamState(rawValue: 0x08)
    /// A query of the session was blocked: the connection was reset, later packets drop.
    public static let blocked = DNSStreamState(rawValue: 0x10)

    @inlinable
    static func synchronised(_ d: StreamDirection) -> DNSStreamState { d == .toServer ? .toServerSynchronised : .toClientSynchronised }
    @inlinable
    static func lost(_ d: StreamDirection) -> DNSStreamState { d == .toServer ? .toServerLost : .toClientLost }
}
