import RampartKube
import RampartNetlink
import Synchronization

/// Keeps protected pods from reaching a firewall pod by its own address.
///
/// The plugin's per-pod rules refuse the firewall endpoints it is given, but an in-cluster
/// firewall is given by its Service's ClusterIP, which kube-proxy translates to the pod's
/// address before policy routing looks: a pod could then send crafted tunnel datagrams, or
/// reach the admin and probe ports, through the pod address. Everything a protected pod
/// sends from its own address is looked up in the steering table (`from POD iif VETH
/// lookup 6080`), so one `prohibit` route per firewall pod address in that table closes the
/// path for every protected pod of the node at once, ClusterIP or not, with nothing per pod
/// to keep in step. The node's own traffic (its tunnel, health checks) and other nodes'
/// tunnels never consult that table, so they still reach the firewalls.
///
/// The addresses come from a watch on the firewall pods (`spec.firewallPods`). Routes are
/// marked with their own protocol number so only this guard's are ever removed, and none is
/// removed before the first full list: an agent restart keeps the guard in place.
///
/// ```swift
/// let guard = FirewallGuard(table: 6080)
/// guard.apply(.replaced(firewallPods))
/// let (added, removed) = try guard.reconcile(using: try NetlinkSocket())
/// ```
public final class FirewallGuard: Sendable {
    /// The firewall pods to watch: a namespace and a label selector.
    public struct Selection: Sendable, Equatable {
        public var namespace: String
        public var labelSelector: String
        public init(namespace: String, labelSelector: String) {
            self.namespace = namespace
            self.labelSelector = labelSelector
        }
    }

    /// `rtm_protocol` of the guard's routes ("rampart" in `ip route` would need an rt_protos
    /// entry; the number is what `ip -d route` shows).
    public static let routeProtocol = RouteProtocol(rawValue: 180)

    private struct State {
        var pods: [String: [NetlinkAddress]] = [:]
        var synced = false
    }

    public let table: UInt32
    private let state = Mutex(State())
    /// Reconciliations run one at a time (the watch and the upkeep loop both call).
    private let applying = Mutex(())

    public init(table: UInt32) { self.table = table }

    /// Applies a change of the firewall pods; returns whether the set of addresses changed.
    @discardableResult
    public func apply(_ change: ReflectorChange<Pod>) -> Bool {
        state.withLock { state in
            let before = Set(state.pods.values.joined())
            switch change {
            case .replaced(let pods):
                state.pods = [:]
                for pod in pods { state.pods[pod.metadata.key] = pod.addresses.compactMap { NetlinkAddress($0) } }
                state.synced = true
            case .upserted(let pod):
                state.pods[pod.metadata.key] = pod.addresses.compactMap { NetlinkAddress($0) }
            case .deleted(let pod):
                state.pods[pod.metadata.key] = nil
            }
            return Set(state.pods.values.joined()) != before
        }
    }

    /// The addresses to guard, sorted; nil until the first full list.
    public var addresses: [NetlinkAddress]? {
        state.withLock { state in
            state.synced ? Set(state.pods.values.joined()).sorted { "\($0)" < "\($1)" } : nil
        }
    }

    /// Makes the table hold exactly one `prohibit` route per guarded address (both
    /// families), leaving every route it did not make alone. Before the first full list it
    /// only adds, never removes.
    public func reconcile(using socket: NetlinkSocket) throws(NetlinkError) -> (added: [NetlinkAddress], removed: [NetlinkAddress]) {
        let wanted = addresses
        return try applying.withLock { _ throws(NetlinkError) in
            var present: [Route] = []
            for family in [NetlinkAddressFamily.ipv4, .ipv6] {
                present += try socket.routes(family: family, table: table)
                    .filter { $0.type == .prohibit && $0.protocol == Self.routeProtocol }
            }
            let have = Set(present.map(\.destination.address))
            var added: [NetlinkAddress] = []
            var removed: [NetlinkAddress] = []
            for address in wanted ?? [] where !have.contains(address) {
                try socket.replaceRoute(route(to: address))
                added.append(address)
            }
            if let wanted {
                let keep = Set(wanted)
                for route in present where !keep.contains(route.destination.address) {
                    try socket.deleteRoute(route)
                    removed.append(route.destination.address)
                }
            }
            return (added, removed)
        }
    }

    private func route(to address: NetlinkAddress) -> Route {
        let host = NetlinkPrefix(address: address, length: address.family == .ipv4 ? 32 : 128)!
        return Route(destination: host, scope: .universe, table: table, protocol: Self.routeProtocol, type: .prohibit)
    }
}
