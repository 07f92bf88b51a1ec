import RampartNetlink

/// Finds the host side of a pod's interface: the one host-side veth the primary plugin
/// listed in its result, or else the peer of the container's veth (its `IFLA_LINK` index,
/// read inside the pod's namespace) checked against the node's links.
///
/// ```swift
/// let site = try HostInterfaceLocator(node: socket).locate(netns: env.netns, interfaceName: "eth0",
///                                                         previous: previous, addresses: ips)
/// ```
public struct HostInterfaceLocator: Sendable {
    public var node: NetlinkSocket

    public init(node: NetlinkSocket) { self.node = node }

    /// The attachment's site. The primary's result is tried first (one netlink request, no
    /// namespace switch: the cheap path for `ptp`, `bridge` and most primaries); the veth
    /// peer in the pod's namespace settles it when the result names no host veth.
    /// Throws `NetlinkError.notFound` when no candidate exists.
    public func locate(netns: String, interfaceName: String, previous: PreviousResult?,
                       addresses: [NetlinkAddress]) throws(NetlinkError) -> AttachmentSite {
        let candidates = previous?.hostInterfaceNames ?? []
        var veths: [Link] = []
        for name in candidates {
            if let link = try? node.link(.name(name)), link.kind == "veth" { veths.append(link) }
        }
        if veths.count == 1, let link = veths.first {
            return AttachmentSite(addresses: addresses, hostInterface: link.name, bridge: try bridgeName(of: link))
        }
        if !netns.isEmpty, let host = try peerInNode(netns: netns, interfaceName: interfaceName) {
            return AttachmentSite(addresses: addresses, hostInterface: host.name, bridge: try bridgeName(of: host))
        }
        if let link = veths.last {
            return AttachmentSite(addresses: addresses, hostInterface: link.name, bridge: try bridgeName(of: link))
        }
        throw .notFound(operation: "finding the host side of \(interfaceName) in \(netns.isEmpty ? "a missing netns" : netns)")
    }

    private func peerInNode(netns: String, interfaceName: String) throws(NetlinkError) -> Link? {
        let pod: NetworkNamespace
        do { pod = try NetworkNamespace(path: netns) } catch where error.isNamespaceGone { return nil }
        let podSocket = try pod.openSocket(timeout: .seconds(2))
        let inside: Link
        do { inside = try podSocket.link(.name(interfaceName)) } catch where error.isNotFound { return nil }
        guard inside.kind == "veth", let peer = inside.parentIndex, peer > 0 else { return nil }
        guard let host = try? node.link(.index(peer)), host.kind == "veth", host.parentIndex == inside.index else { return nil }
        return host
    }

    private func bridgeName(of link: Link) throws(NetlinkError) -> String? {
        guard let master = link.masterIndex, master > 0 else { return nil }
        let bridge = try node.link(.index(master))
        return bridge.kind == "bridge" ? bridge.name : nil
    }
}
