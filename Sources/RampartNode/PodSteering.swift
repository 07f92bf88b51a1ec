import RampartCNI
import RampartNetlink

/// Turns one running pod's steering on or off; the agent calls it when an annotation (or
/// the firewalls' health, failing open) changes what a pod should get.
///
/// ```swift
/// let steering: SteeringAction = { attachment, steer in print(attachment.pod, steer) }
/// ```
public typealias SteeringAction = @Sendable (_ attachment: PodAttachment, _ steer: Bool) throws -> Void

/// The real `SteeringAction`: the plugin's own `SteeringPlan` for the attachment, applied
/// or removed in the node's namespace, and the plugin's attachment record rewritten so
/// its DEL later removes exactly the rules that exist.
///
/// ```swift
/// let steering = try KernelSteering(entry: configuration.pluginEntry)
/// try steering.apply(attachment, steer: true)
/// ```
public struct KernelSteering: Sendable {
    public let configuration: PluginConfiguration
    /// The node's network namespace (nil: the agent's own).
    public let namespacePath: String?

    /// Reads the plugin's configuration from the entry the agent installs, so both sides
    /// compute the same rules.
    public init(entry: PluginEntry, namespacePath: String? = nil) throws(NodeError) {
        let text = "{\"cniVersion\": \"1.0.0\", " + entry.json.dropFirst()
        do {
            configuration = try PluginConfiguration(json: try JSONValue.parse(text))
        } catch {
            throw .configuration("the rampart-cni entry \(entry.json) is not a valid plugin configuration: \(error)")
        }
        self.namespacePath = namespacePath
    }

    public var action: SteeringAction { { attachment, steer in try self.apply(attachment, steer: steer) } }

    public func apply(_ attachment: PodAttachment, steer: Bool) throws {
        let socket: NetlinkSocket
        if let namespacePath {
            socket = try NetworkNamespace(path: namespacePath).openSocket()
        } else {
            socket = try NetlinkSocket()
        }
        // The plugin reports bare addresses; a prefix length is tolerated all the same.
        let addresses = attachment.ips.compactMap { NetlinkAddress(String($0.split(separator: "/").first ?? "")) }
        guard !attachment.hostInterface.isEmpty, !addresses.isEmpty else {
            throw NodeError.configuration(
                "\(attachment.podKey) (\(attachment.key)): the plugin reported no host interface or no address; it cannot be steered without a restart")
        }
        var bridge: String?
        if let host = try? socket.link(.name(attachment.hostInterface)), let master = host.masterIndex,
           let parent = try? socket.link(.index(master)), parent.kind == "bridge" {
            bridge = parent.name
        }
        let site = AttachmentSite(addresses: addresses, hostInterface: attachment.hostInterface, bridge: bridge)
        let plan = SteeringPlan(configuration: configuration, site: site)
        let records = RampartCNI.AttachmentStore(directory: configuration.stateDirectory)
        let key = AttachmentKey(containerID: attachment.containerID, interfaceName: attachment.ifname)
        var record = records.load(key)
        if steer {
            try plan.apply(on: socket)
        } else if let recorded = record?.rules, !recorded.isEmpty {
            // What ADD installed may differ from today's plan (configuration changed since).
            try SteeringPlan.remove(recorded, from: socket)
            try plan.remove(from: socket)
        } else {
            try plan.remove(from: socket)
        }
        if record != nil {
            record?.steered = steer
            record?.rules = steer ? plan.rules : []
            if let record { try records.save(record) }
        }
    }
}
