/// A node: its addresses get `node:` tags, and pods name the node they run on.
///
/// ```swift
/// node.internalAddresses  // ["192.168.10.11"]
/// ```
public struct Node: KubeObject {
    public static let resource = KubeResource.nodes
    public var metadata: ObjectMeta
    public var status: Status?

    public struct Status: Codable, Sendable, Equatable {
        public var addresses: [NodeAddress]?
        public init(addresses: [NodeAddress]? = nil) { self.addresses = addresses }
    }

    public struct NodeAddress: Codable, Sendable, Equatable {
        public var type: String
        public var address: String
        public init(type: String, address: String) {
            self.type = type
            self.address = address
        }
    }

    public init(metadata: ObjectMeta, status: Status? = nil) {
        self.metadata = metadata
        self.status = status
    }

    /// InternalIP addresses (both families).
    public var internalAddresses: [String] { (status?.addresses ?? []).filter { $0.type == "InternalIP" }.map(\.address) }
    /// ExternalIP addresses.
    public var externalAddresses: [String] { (status?.addresses ?? []).filter { $0.type == "ExternalIP" }.map(\.address) }
}
