/// A cluster's number: the VXLAN/Geneve VNI its nodes' tunnels carry, so the firewall
/// knows a packet's cluster before it reads a byte of the packet. The manager, the node
/// agent and the policy's tunnel zones all name it `clusterID` and hold this type.
///
/// ```swift
/// let id = ClusterID(7)!       // 1...2048
/// id.vni                        // 7
/// ClusterID(0)                  // nil: 0 means "no cluster"
/// ```
@frozen
public struct ClusterID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The ids a configuration accepts (the chart's `clusterid` has the same range).
    public static let range: ClosedRange<Int> = 1...2048

    public let vni: UInt32

    @inlinable public init?(_ value: Int) {
        guard ClusterID.range.contains(value) else { return nil }
        vni = UInt32(value)
    }

    public static func < (a: ClusterID, b: ClusterID) -> Bool { a.vni < b.vni }
    public var description: String { String(vni) }
}
