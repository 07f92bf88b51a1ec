/// What the engine decided for one packet. The firewall acts on it; `rampart inspect`
/// only counts it.
///
/// ```swift
/// switch engine.process(frame: bytes, linkType: .ethernet, timestamp: t, packetNumber: 1, sink: &sink) {
/// case .forward: send(bytes)
/// case .drop: break
/// case .reset(let toClient, let toServer): sendResets(toClient, toServer)
/// case .hold: break   // a fragment kept until its datagram is decided
/// case .rewrite: engine.applyRewrite(to: mutableBytes); send(mutableBytes)
/// case .respond: sendPage(engine.urlResponse!); resetServer()
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
    /// Send nothing yet: an IP fragment the engine keeps until its datagram is complete and
    /// decided. The fragment that completes it gets the datagram's verdict; under
    /// `.forward` the fragments held before it are handed back
    /// (`Engine.nextReleasedFragment`) to go out first, otherwise they are dropped.
    case hold
    /// Send the packet on after `Engine.applyRewrite(to:)` has changed it: a DNS answer the
    /// DNS security profile sinkholes (its A/AAAA addresses replaced, same length, the
    /// transport checksum updated). The rewrite is valid until the next `process`.
    case rewrite
    /// Discard the packet (a plaintext HTTP request the URL filtering profile blocks, or
    /// holds behind a `continue` page), answer the client with the page
    /// `Engine.urlResponse` describes (an HTTP response, then FIN), and reset the server,
    /// which never sees the request. The packet came from the client — except when
    /// `Engine.aiResponseReplacesPacket`: an AI stream ended by its profile, whose error event
    /// goes to the client in place of this server packet, then FIN, and the server is reset.
    case respond
}
