import RampartNetlink

#if canImport(Glibc)
import Glibc
#endif

/// The node's end of the tunnel to the firewall and the routing around it, owned by the
/// agent (the plugin only adds per-pod rules that point into `table`):
///
/// ```
/// rampart0: vxlan id CLUSTER dstport 6080 [local L] [dev D], learning off, up, rp_filter 0
/// neigh 169.254.77.1 lladdr 02:00:00:00:77:01 dev rampart0 nud permanent
/// fdb   02:00:00:00:77:01 dev rampart0 dst ACTIVE-FIREWALL
/// route default via 169.254.77.1 dev rampart0 onlink table 6080   (and fe80::77:1 for IPv6)
/// rule  6001: iif rampart0 lookup main                            (both families)
/// ```
///
/// Frames leave addressed to the fixed gateway MAC, so one FDB entry picks the firewall:
/// the first healthy one. (Default all-zero FDB entries to every firewall would send each
/// frame to all of them, and each would send it back.)
///
/// ```swift
/// let tunnel = TunnelDevice(settings: TunnelSettings(vni: 7), firewalls: [NetlinkAddress("10.0.0.5")!])
/// try tunnel.ensure(using: try NetlinkSocket())
/// try tunnel.selectFirewall(NetlinkAddress("10.0.0.5")!, using: socket)
/// ```
public struct TunnelDevice: Sendable {
    public var settings: TunnelSettings
    public var firewalls: [NetlinkAddress]

    public init(settings: TunnelSettings, firewalls: [NetlinkAddress]) {
        self.settings = settings
        self.firewalls = firewalls
    }

    /// Creates or completes everything listed above; safe to call again at any time.
    /// `namespace` is where the sysctls are written (nil: the agent's own).
    public func ensure(using socket: NetlinkSocket, namespace: NetworkNamespace? = nil) throws(NodeError) {
        let s = settings
        if let existing = try? socket.link(.name(s.name)), existing.kind != "vxlan" {
            throw NodeError.tunnel("\(s.name) exists but is a \(existing.kind ?? "physical") device, not vxlan; choose another tunnel name or remove it")
        }
        do throws(NetlinkError) {
            if (try? socket.link(.name(s.name))) == nil {
                var underlying: Int32?
                if let device = s.device { underlying = try socket.resolveIndex(.name(device)) }
                try socket.addVXLAN(VXLANConfiguration(
                    name: s.name, vni: s.vni, port: s.port, local: s.local, underlyingIndex: underlying,
                    learning: false, mtu: s.mtu))
            }
            try socket.setLinkUp(.name(s.name))
            let index = try socket.resolveIndex(.name(s.name))
            try socket.replaceNeighbour(Neighbour(linkIndex: index, address: s.gateway, macAddress: s.gatewayMAC, state: 0x80))
            guard let defaultRoute = NetlinkPrefix(address: .unspecified(.ipv4), length: 0) else { return }
            try socket.replaceRoute(Route(
                destination: defaultRoute, gateway: s.gateway, outputInterface: index, table: s.table,
                protocol: .static, onLink: true))
            try ensureRule(returnRule, using: socket)
            if try activeFirewall(using: socket) == nil, let first = firewalls.first {
                try socket.appendFDBEntry(link: .name(s.name), macAddress: s.gatewayMAC, destination: first)
            }
        } catch {
            throw .tunnel("setting up \(s.name): \(error)")
        }
        if s.ipv6 {
            do throws(NetlinkError) {
                let index = try socket.resolveIndex(.name(s.name))
                try socket.replaceNeighbour(Neighbour(linkIndex: index, address: s.gateway6, macAddress: s.gatewayMAC, state: 0x80))
                if let defaultRoute6 = NetlinkPrefix(address: .unspecified(.ipv6), length: 0) {
                    try socket.replaceRoute(Route(
                        destination: defaultRoute6, gateway: s.gateway6, outputInterface: index, table: s.table,
                        protocol: .static, onLink: true))
                }
                try ensureRule(returnRule6, using: socket)
            } catch {
                throw .tunnel("setting up IPv6 on \(s.name) (set tunnel.ipv6: false on IPv4-only nodes): \(error)")
            }
        }
        let key = Sysctl.ipv4Interface(s.name, .rpFilter)
        let write: () throws -> Void = { try Sysctl.write(key, "0") }
        do {
            if let namespace { try namespace.perform(write) } else { try write() }
        } catch {
            throw .tunnel("setting \(key) to 0 (returning frames would be dropped): \(error)")
        }
    }

    /// `iif rampart0 lookup main`: what comes back from the firewall is routed normally.
    public var returnRule: Rule {
        Rule(family: .ipv4, priority: settings.returnRulePriority, inputInterface: settings.name, table: 254)
    }

    /// The same rule for IPv6.
    public var returnRule6: Rule {
        Rule(family: .ipv6, priority: settings.returnRulePriority, inputInterface: settings.name, table: 254)
    }

    private func ensureRule(_ rule: Rule, using socket: NetlinkSocket) throws(NetlinkError) {
        let present = try socket.rules(family: rule.family).contains {
            $0.inputInterface == rule.inputInterface && $0.table == rule.table && $0.priority == rule.priority && $0.source == nil
                && $0.destination == nil
        }
        if !present { try socket.addRule(rule) }
    }

    /// The firewall the gateway MAC points at now, if any.
    public func activeFirewall(using socket: NetlinkSocket) throws(NetlinkError) -> NetlinkAddress? {
        try socket.fdbEntries(link: .name(settings.name)).first { $0.macAddress == settings.gatewayMAC }?.address
    }

    /// Points the gateway MAC at `firewall` (failover to a healthy one); nothing when it
    /// already does.
    public func selectFirewall(_ firewall: NetlinkAddress, using socket: NetlinkSocket) throws(NodeError) {
        do throws(NetlinkError) {
            let entries = try socket.fdbEntries(link: .name(settings.name)).filter { $0.macAddress == settings.gatewayMAC }
            if entries.count == 1, entries.first?.address == firewall { return }
            // A unicast MAC holds one remote (the kernel ignores NLM_F_APPEND for it), so the
            // old one goes first; frames sent in between are dropped, as on any failover.
            for entry in entries {
                guard let address = entry.address else { continue }
                do {
                    try socket.deleteFDBEntry(link: .name(settings.name), macAddress: settings.gatewayMAC, destination: address)
                } catch where error.isNotFound {}
            }
            try socket.appendFDBEntry(link: .name(settings.name), macAddress: settings.gatewayMAC, destination: firewall)
        } catch {
            throw .tunnel("pointing \(settings.name) at firewall \(firewall): \(error)")
        }
    }

    /// Whether the device exists and is up.
    public func exists(using socket: NetlinkSocket) -> Bool {
        guard let link = try? socket.link(.name(settings.name)) else { return false }
        return link.kind == "vxlan" && link.isUp
    }

    /// Removes the rule and the device (its routes, neighbour and FDB entries go with it).
    /// Tolerates anything already gone.
    public func remove(using socket: NetlinkSocket) throws(NodeError) {
        do throws(NetlinkError) {
            do { try socket.deleteRule(returnRule) } catch where error.isNotFound {}
            if settings.ipv6 {
                do { try socket.deleteRule(returnRule6) } catch where error.isNotFound || error.errno == EAFNOSUPPORT {}
            }
            do { try socket.deleteLink(.name(settings.name)) } catch where error.isNotFound {}
        } catch {
            throw .tunnel("removing \(settings.name): \(error)")
        }
    }
}

/// How the tunnel device is built; defaults are the ones the firewall expects.
///
/// ```swift
/// var settings = TunnelSettings(vni: 7)
/// settings.local = NetlinkAddress("10.0.0.2")
/// ```
public struct TunnelSettings: Sendable, Equatable {
    public var name = "rampart0"
    /// The cluster id, 1...2048.
    public var vni: UInt32
    public var port: UInt16 = 6080
    /// The node address to send from; nil lets the kernel pick by route.
    public var local: NetlinkAddress?
    /// The uplink to send through; nil lets the kernel pick by route.
    public var device: String?
    public var mtu: UInt32?
    /// The routing table the plugin's per-pod rules point into.
    public var table: UInt32 = 6080
    /// `iif rampart0 lookup main`; the plugin's `rulePriority` + 1 (RulePriority.tunnelReturn),
    /// so agent and plugin name the same rule.
    public var returnRulePriority: UInt32 = 6001
    /// The firewall as a next hop: a link-local address with a fixed MAC, so returned
    /// frames (MACs swapped) are addressed to the tunnel device itself.
    public var gateway = NetlinkAddress("169.254.77.1")!
    public var gatewayMAC = MACAddress("02:00:00:00:77:01")!
    /// The IPv6 next hop (same MAC), routed when `ipv6`.
    public var gateway6 = NetlinkAddress("fe80::77:1")!
    /// Also route IPv6 into the tunnel; off on nodes without IPv6.
    public var ipv6 = true

    public init(vni: UInt32) { self.vni = vni }
}
