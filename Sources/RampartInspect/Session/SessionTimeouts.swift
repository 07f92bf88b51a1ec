import RampartWire

/// How long a session lives after its last packet, by protocol and TCP state, in seconds.
/// Defaults follow Suricata and conntrack; see docs/sessions.md.
///
/// ```swift
/// var timeouts = SessionTimeouts()
/// timeouts.tcpEstablished = 7200
/// ```
public struct SessionTimeouts: Sendable, Equatable {
    /// Handshake in progress (`synSent`, `synReceived`).
    public var tcpSyn: Int64 = 30
    public var tcpEstablished: Int64 = 3600
    /// One or both FINs seen (`finWait`, `closing`).
    public var tcpClosing: Int64 = 120
    /// After both FINs were acknowledged, or a RST.
    public var tcpClosed: Int64 = 10
    /// UDP while only one side has spoken.
    public var udp: Int64 = 30
    /// UDP once both sides have spoken.
    public var udpEstablished: Int64 = 60
    public var icmp: Int64 = 10
    /// Any other IP protocol.
    public var other: Int64 = 30

    @inlinable public init() {}

    /// The timeout, in seconds, for a TCP session in `state`.
    @inlinable
    public func seconds(for state: TCPState) -> Int64 {
        switch state {
        case .none, .synSent, .synReceived: return tcpSyn
        case .established: return tcpEstablished
        case .finWait, .closing: return tcpClosing
        case .timeWait, .closed: return tcpClosed
        }
    }
}
