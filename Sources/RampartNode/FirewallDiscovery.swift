import RampartKube
import RampartNetlink
import Synchronization

/// The firewalls of the cluster as their Service's EndpointSlices list them
/// (`spec.firewallService`): every endpoint address is a firewall the node tunnels to and
/// health-checks at `http://ADDRESS:probePort{healthPath}`. Endpoints Kubernetes calls not
/// ready are listed too: the node's own health check decides, so a firewall is used only
/// once it answers (with `healthPath: /readyz`, once it holds the tag map).
///
/// ```swift
/// let discovery = FirewallDiscovery(service: service, healthPath: "/readyz")
/// if discovery.apply(.replaced(slices)) { health.replaceFirewalls(configured + discovery.firewalls) }
/// ```
public final class FirewallDiscovery: Sendable {
    public let service: NodeConfiguration.FirewallService
    public let healthPath: String
    private let slices = Mutex<[String: [NetlinkAddress]]?>(nil)

    public init(service: NodeConfiguration.FirewallService, healthPath: String) {
        self.service = service
        self.healthPath = healthPath
    }

    /// The label selector of the Service's slices.
    public var labelSelector: String { "kubernetes.io/service-name=\(service.name)" }

    /// Applies a watch change; returns whether the firewall list changed.
    @discardableResult
    public func apply(_ change: ReflectorChange<EndpointSlice>) -> Bool {
        slices.withLock { slices in
            let before = slices.map(FirewallDiscovery.addresses)
            var current = slices ?? [:]
            switch change {
            case .replaced(let all):
                current = [:]
                for slice in all where slice.serviceName == service.name { current[slice.metadata.name] = FirewallDiscovery.addresses(of: slice) }
            case .upserted(let slice):
                guard slice.serviceName == service.name else { return false }
                current[slice.metadata.name] = FirewallDiscovery.addresses(of: slice)
            case .deleted(let slice):
                current[slice.metadata.name] = nil
            }
            slices = current
            return before != FirewallDiscovery.addresses(current)
        }
    }

    /// Nil until the first list arrived.
    public var addresses: [NetlinkAddress]? { slices.withLock { $0.map(FirewallDiscovery.addresses) } }

    /// The endpoints as firewalls, sorted by address (every node lists them alike).
    public var firewalls: [FirewallEndpoint] {
        (addresses ?? []).map { address in
            let host = address.family == .ipv6 ? "[\(address)]" : "\(address)"
            var firewall = FirewallEndpoint(address: address, admin: "http://\(host):\(service.probePort)")
            firewall.healthPath = healthPath
            return firewall
        }
    }

    private static func addresses(of slice: EndpointSlice) -> [NetlinkAddress] {
        (slice.endpoints ?? []).flatMap(\.addresses).compactMap { NetlinkAddress($0) }
    }

    private static func addresses(_ slices: [String: [NetlinkAddress]]) -> [NetlinkAddress] {
        Array(Set(slices.values.joined())).sorted { "\($0)" < "\($1)" }
    }
}
