/// One address's new tag set (empty: the address no longer belongs to anything the
/// watcher knows), and why it changed — the raw material of the audit log and of pushes.
///
/// ```swift
/// AddressUpdate(cluster: "prod", address: "10.244.1.7", tags: ["ns:shop"], reason: "pod shop/web-1 added")
/// ```
public struct AddressUpdate: Sendable, Equatable, Codable {
    public var cluster: String
    public var address: String
    public var tags: [String]
    public var reason: String

    public init(cluster: String, address: String, tags: [String], reason: String) {
        self.cluster = cluster
        self.address = address
        self.tags = tags
        self.reason = reason
    }
}
