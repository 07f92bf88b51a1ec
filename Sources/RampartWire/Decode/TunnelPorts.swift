/// The UDP destination ports whose payload the decoder tries to decapsulate. A port of 0
/// turns that entry off.
///
/// ```swift
/// let ports = TunnelPorts(vxlan: 4789, rampart: 7000, geneve: 6081)
/// PacketDecoder.decode(frame, linkType: .ethernet, into: &packet, tunnelPorts: ports)
/// ```
@frozen
public struct TunnelPorts: Hashable, Sendable {
    /// IANA's VXLAN port (RFC 7348).
    public var vxlan: UInt16
    /// Rampart's own tunnel port, carrying VXLAN (the kernel device the nodes use).
    public var rampart: UInt16
    /// IANA's Geneve port (RFC 8926).
    public var geneve: UInt16

    @inlinable
    public init(vxlan: UInt16 = 4789, rampart: UInt16 = 6080, geneve: UInt16 = 6081) {
        self.vxlan = vxlan
        self.rampart = rampart
        self.geneve = geneve
    }

    /// 4789 and 6080 for VXLAN, 6081 for Geneve.
    public static let standard = TunnelPorts()

    /// Which tunnel a datagram to `port` would carry, `.none` when it is no tunnel port.
    @inlinable
    public func kind(forDestinationPort port: UInt16) -> TunnelKind {
        if port == 0 { return .none }
        if port == vxlan || port == rampart { return .vxlan }
        if port == geneve { return .geneve }
        return .none
    }
}
