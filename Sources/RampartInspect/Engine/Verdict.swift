/// What the engine decided for one packet. The firewall acts on it; `rampart inspect`
/// only counts it.
///
/// ```swift
/// switch engine.process(frame: bytes, linkType: .ethernet, timestamp: t, packetNumber: 1, sink: &sink) {
/// case .forward: send(bytes)
/// case .drop: break
/// case .reset(let toClient, let toServer): sendResets(toClient, toServer)
/// }
/// ```
@frozen
public enum Verdict: Equatable, Sendable {
    /// Send the packet on.
    case forward
    /// Discard it silently (deny, drop, malformed, or a session that was reset).
    case drop
    /// Discard it and send a TCP reset toward the client, the server, or both.
    case reset(toClient: Bool, toServer: Bool)
}
