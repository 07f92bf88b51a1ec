/// One pod interface the plugin reported at ADD: enough to steer or un-steer it later
/// without the runtime's help.
///
/// ```swift
/// let attachment = PodAttachment(containerID: "abc", ifname: "eth0", netns: "/proc/42/ns/net",
///     namespace: "shop", pod: "web-0", ips: ["10.244.1.7"], hostInterface: "cali1234", steered: true)
/// ```
public struct PodAttachment: Codable, Sendable, Equatable, Hashable {
    public var containerID: String
    public var ifname: String
    public var netns: String
    public var namespace: String
    public var pod: String
    /// The pod's addresses on this interface, without prefix length.
    public var ips: [String]
    /// The host end of the pod's veth.
    public var hostInterface: String
    /// Whether its traffic goes through the firewall now.
    public var steered: Bool

    public init(containerID: String, ifname: String, netns: String, namespace: String, pod: String,
                ips: [String], hostInterface: String, steered: Bool) {
        self.containerID = containerID
        self.ifname = ifname
        self.netns = netns
        self.namespace = namespace
        self.pod = pod
        self.ips = ips
        self.hostInterface = hostInterface
        self.steered = steered
    }

    /// `containerID/ifname`: what the runtime identifies an attachment by.
    public var key: String { "\(containerID)/\(ifname)" }
    /// `namespace/name`, the inventory's key.
    public var podKey: String { "\(namespace)/\(pod)" }
}
