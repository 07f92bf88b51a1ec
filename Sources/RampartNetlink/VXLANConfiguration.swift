/// What `addVXLAN` creates. Learning defaults to off: Rampart programs the FDB itself.
///
/// ```swift
/// var vx = VXLANConfiguration(name: "rmp-vx0", vni: 4242)
/// vx.remote = NetlinkAddress("192.0.2.10")
/// vx.local = NetlinkAddress("192.0.2.1")
/// ```
public struct VXLANConfiguration: Sendable, Hashable {
    public var name: String
    /// The 24-bit VXLAN network identifier.
    public var vni: UInt32
    /// UDP destination port; 4789 by default (the kernel's own default is 8472).
    public var port: UInt16
    /// Default remote (unicast) or multicast group: `IFLA_VXLAN_GROUP`/`GROUP6`.
    public var remote: NetlinkAddress?
    public var local: NetlinkAddress?
    /// The underlying device index (`IFLA_VXLAN_LINK`).
    public var underlyingIndex: Int32?
    public var learning: Bool
    public var ttl: UInt8?
    public var mtu: UInt32?

    /// A VXLAN device description; only the name and VNI are required.
    ///
    /// ```swift
    /// VXLANConfiguration(name: "rmp-vx0", vni: 42, remote: NetlinkAddress("fd00::10"))
    /// ```
    public init(name: String, vni: UInt32, port: UInt16 = 4789, remote: NetlinkAddress? = nil,
                local: NetlinkAddress? = nil, underlyingIndex: Int32? = nil, learning: Bool = false,
                ttl: UInt8? = nil, mtu: UInt32? = nil) {
        self.name = name
        self.vni = vni
        self.port = port
        self.remote = remote
        self.local = local
        self.underlyingIndex = underlyingIndex
        self.learning = learning
        self.ttl = ttl
        self.mtu = mtu
    }
}
