import RampartWire

/// Which node each address belongs to, as the cluster's tags say: a node's own addresses
/// carry `kind:node` and `node:NAME`, a pod's `kind:pod` and the `node:NAME` it runs on
/// (docs/manager.md). The firewall admits tunnel datagrams from enrolled nodes and checks
/// that what a node sends is its pods' traffic (docs/security.md, "Tunnel origin").
///
/// ```swift
/// matcher.setTags([kindNode, nodeW1], for: nodeAddress)
/// matcher.setTags([kindPod, nodeW1], for: podAddress)
/// matcher.enrolledNode(nodeAddress) == matcher.nodeOfPod(podAddress)   // true
/// ```
extension PolicyMatcher {
    /// The node id of an enrolled node's address (`kind:node`), or nil.
    @inline(__always)
    public func enrolledNode(_ address: IPAddress) -> UInt32? {
        nodes.byAddress.isEmpty ? nil : nodes.byAddress[address]
    }

    /// The node id of the node a pod's address runs on (`kind:pod` with `node:NAME`), or nil.
    @inline(__always)
    public func nodeOfPod(_ address: IPAddress) -> UInt32? {
        nodes.ofPod.isEmpty ? nil : nodes.ofPod[address]
    }

    /// Changes whenever an address joins or leaves the node maps (caches compare it).
    public var nodeGeneration: UInt64 { nodes.generation }

    /// How many node addresses are enrolled.
    public var enrolledNodeAddresses: Int { nodes.byAddress.count }

    /// Records what `tags` say about `address` (nil: the address lost its tags).
    func noteNodeTags(_ tags: [Tag]?, for address: IPAddress) {
        var isNode = false, isPod = false
        var name: Substring?
        for tag in tags ?? [] {
            let raw = tag.rawValue
            if raw == "kind:node" { isNode = true } else if raw == "kind:pod" { isPod = true } else if raw.hasPrefix("node:") {
                name = raw.dropFirst(5)
            }
        }
        let id = name.map { nodes.id(String($0)) }
        let node = isNode ? id : nil, pod = isPod ? id : nil
        if nodes.byAddress[address] != node {
            nodes.byAddress[address] = node
            nodes.generation &+= 1
        }
        if nodes.ofPod[address] != pod {
            nodes.ofPod[address] = pod
            nodes.generation &+= 1
        }
    }
}

/// The node maps of a matcher (cold-path writes on tag changes; two hash probes per new
/// tunnelled session when the origin check is on).
struct NodeMap {
    var byAddress: [IPAddress: UInt32] = [:]
    var ofPod: [IPAddress: UInt32] = [:]
    var ids: [String: UInt32] = [:]
    var generation: UInt64 = 0

    mutating func id(_ name: String) -> UInt32 {
        if let id = ids[name] { return id }
        let id = UInt32(ids.count)
        ids[name] = id
        return id
    }
}
