import RampartWire

/// One tunnel datagram as it arrived on the firewall's UDP socket: which encapsulation,
/// which VNI, and where the inner Ethernet frame starts.
///
/// VXLAN (RFC 7348) and Geneve (RFC 8926) share the port: a datagram whose bytes 2-3 are
/// Geneve's Ethernet protocol type (0x6558) and whose version bits are 0 is Geneve; one
/// with VXLAN's I flag and zero reserved bytes 1-3 is VXLAN.
///
/// ```swift
/// switch TunnelDatagram.parse(payload) {
/// case .success(let d): print(d.kind, d.vni, d.innerOffset)
/// case .failure(let reason): counters.count(reason)
/// }
/// ```
@frozen
public struct TunnelDatagram: Sendable, Equatable {
    public var kind: TunnelKind
    public var vni: UInt32
    /// Offset of the inner Ethernet frame within the datagram (8 for VXLAN, 8 + options for Geneve).
    public var innerOffset: Int

    @inlinable
    public init(kind: TunnelKind, vni: UInt32, innerOffset: Int) {
        self.kind = kind
        self.vni = vni
        self.innerOffset = innerOffset
    }

    /// The shortest inner frame worth looking at: an Ethernet header.
    public static let minimumInnerFrame = 14

    /// Recognises and checks the tunnel header of a UDP payload. Never traps.
    @inlinable
    public static func parse(_ datagram: UnsafeRawBufferPointer) -> Result<TunnelDatagram, DropReason> {
        guard datagram.count >= 8 else { return .failure(.truncatedTunnel) }
        let first = datagram.loadUnaligned(fromByteOffset: 0, as: UInt8.self)
        let protocolType = UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        if first >> 6 == 0 && protocolType == GeneveHeader.protocolEthernet {
            switch GeneveHeader.parse(datagram, at: 0) {
            case .failure(let event):
                return .failure(event == .geneveTooShort || event == .captureTruncated ? .truncatedTunnel : .badTunnelHeader)
            case .success(let geneve):
                if geneve.isControl { return .failure(.tunnelControl) }
                guard datagram.count &- geneve.payloadOffset >= minimumInnerFrame else { return .failure(.truncatedTunnel) }
                return .success(TunnelDatagram(kind: .geneve, vni: geneve.vni, innerOffset: geneve.payloadOffset))
            }
        }
        switch VXLANHeader.parse(datagram, at: 0) {
        case .failure(let event):
            return .failure(event == .vxlanTooShort || event == .captureTruncated ? .truncatedTunnel : .badTunnelHeader)
        case .success(let vxlan):
            guard datagram.count &- vxlan.payloadOffset >= minimumInnerFrame else { return .failure(.truncatedTunnel) }
            return .success(TunnelDatagram(kind: .vxlan, vni: vxlan.vni, innerOffset: vxlan.payloadOffset))
        }
    }

    /// Writes a canonical VXLAN header (I flag, `vni`, reserved bits zero) at `offset`.
    /// Returns false, writing nothing, when 8 bytes do not fit.
    @inlinable
    @discardableResult
    public static func writeVXLAN(vni: UInt32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        guard offset >= 0, offset <= buffer.count &- 8 else { return false }
        buffer.storeBytes(of: UInt32(0x0800_0000).bigEndian, toByteOffset: offset, as: UInt32.self)
        buffer.storeBytes(of: ((vni & 0xFF_FFFF) << 8).bigEndian, toByteOffset: offset &+ 4, as: UInt32.self)
        return true
    }

    /// Writes a Geneve header without options (version 0, Ethernet payload, `vni`) at `offset`.
    @inlinable
    @discardableResult
    public static func writeGeneve(vni: UInt32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        guard offset >= 0, offset <= buffer.count &- 8 else { return false }
        buffer.storeBytes(of: UInt16(0).bigEndian, toByteOffset: offset, as: UInt16.self)
        buffer.storeBytes(of: GeneveHeader.protocolEthernet.bigEndian, toByteOffset: offset &+ 2, as: UInt16.self)
        buffer.storeBytes(of: ((vni & 0xFF_FFFF) << 8).bigEndian, toByteOffset: offset &+ 4, as: UInt32.self)
        return true
    }

    /// Writes the header of `kind` (Geneve without options); 8 bytes either way.
    @inlinable
    @discardableResult
    public static func write(_ kind: TunnelKind, vni: UInt32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        kind == .geneve ? writeGeneve(vni: vni, into: buffer, at: offset) : writeVXLAN(vni: vni, into: buffer, at: offset)
    }
}
