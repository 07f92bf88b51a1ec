import RampartNetlink

/// The rule priorities Rampart uses, all offsets from the configured `rulePriority` base,
/// so `ip rule` reads top-down in the order packets meet them.
///
/// Everything a pod sends (input interface its host veth) is decided at `firewallGuard`
/// ... `sourceGuard`, before any rule that selects by address alone: a packet with a
/// source the pod does not own never reaches the exemptions that trust that source.
///
/// ```swift
/// RulePriority.exemption(base: 6000)   // 6010
/// ```
public enum RulePriority {
    /// How many priorities above the base Rampart may use.
    public static let span = 40
    /// `iif <tunnel> lookup main`: what the firewall sends back goes the normal way.
    public static func tunnelReturn(base: UInt32) -> UInt32 { base + 1 }
    /// `iif <hostVeth> to <firewall> prohibit`: a pod never reaches a firewall endpoint
    /// (its tunnel port, admin API, probes) directly.
    public static func firewallGuard(base: UInt32) -> UInt32 { base + 2 }
    /// `from <podIP> iif <hostVeth> to <trustCIDR> lookup main`: the pod's own traffic that
    /// skips the firewall.
    public static func podExemption(base: UInt32) -> UInt32 { base + 3 }
    /// Egress: `from <podIP> iif <hostVeth> lookup <table>`.
    public static func egress(base: UInt32) -> UInt32 { base + 4 }
    /// Anti-spoofing: `iif <hostVeth> prohibit`, whatever came in with another source.
    public static func sourceGuard(base: UInt32) -> UInt32 { base + 5 }
    /// Exemptions toward the pod (`lookup main`): node traffic, firewall endpoints, trust CIDRs.
    public static func exemption(base: UInt32) -> UInt32 { base + 10 }
    /// Ingress: `to <podIP> lookup <table>`.
    public static func ingress(base: UInt32) -> UInt32 { base + 30 }
    /// Every priority that can hold a per-attachment rule (records written before the
    /// guards also hold the older egress priority, base + 20, which lies inside).
    public static func attachmentRange(base: UInt32) -> ClosedRange<UInt32> { (base + 2)...(base + 30) }
}

/// How one pod's interface is attached on the node.
///
/// ```swift
/// let a = AttachmentSite(addresses: [NetlinkAddress("10.244.1.5")!], hostInterface: "veth1a2b", bridge: nil)
/// ```
public struct AttachmentSite: Sendable, Hashable {
    /// The pod's addresses on this interface.
    public var addresses: [NetlinkAddress]
    /// The host side of the pod's veth.
    public var hostInterface: String
    /// The bridge the veth is enslaved to (`bridge` primary); nil for routed primaries
    /// (`ptp`, Calico), where the veth itself is the packets' input interface.
    public var bridge: String?

    public init(addresses: [NetlinkAddress], hostInterface: String, bridge: String? = nil) {
        self.addresses = addresses
        self.hostInterface = hostInterface
        self.bridge = bridge
    }
}

/// Everything the kernel must hold to steer one attachment through the tunnel: computed
/// from the configuration and the attachment alone (pure), then applied with
/// `SteeringPlan.apply(on:)`.
///
/// Shared items (`tunnelReturnRules`, `tableRoutes`) serve every pod of the node: ADD
/// creates them when missing and nothing removes them (the node agent owns them). The
/// per-attachment `rules` are exactly what DEL removes.
///
/// ```swift
/// let plan = SteeringPlan(configuration: config, site: site)
/// for rule in plan.rules { print(rule) }
/// ```
public struct SteeringPlan: Sendable, Hashable {
    /// A default route in the Rampart table: `default via GATEWAY dev TUNNEL onlink`.
    public struct TableRoute: Sendable, Hashable, CustomStringConvertible {
        public var family: NetlinkAddressFamily
        public var gateway: NetlinkAddress
        public var table: UInt32
        public var description: String { "default via \(gateway) dev <tunnel> onlink table \(table)" }
    }

    public var tunnelDevice: String
    public var tunnelReturnRules: [Rule]
    public var tableRoutes: [TableRoute]
    /// In the order they are added (the firewall guard first, exemptions before steering,
    /// so a half-applied plan never steers exempt traffic nor lets a pod reach the
    /// firewall); removed in reverse.
    public var rules: [Rule]

    public init(tunnelDevice: String, tunnelReturnRules: [Rule], tableRoutes: [TableRoute], rules: [Rule]) {
        self.tunnelDevice = tunnelDevice
        self.tunnelReturnRules = tunnelReturnRules
        self.tableRoutes = tableRoutes
        self.rules = rules
    }

    /// The plan for `site` under `configuration`.
    public init(configuration c: PluginConfiguration, site: AttachmentSite) {
        let base = c.rulePriority
        let main: UInt32 = 254
        var families: [NetlinkAddressFamily] = []
        for address in site.addresses where !families.contains(address.family) { families.append(address.family) }

        tunnelDevice = c.tunnelDevice
        tunnelReturnRules = families.map {
            Rule(family: $0, priority: RulePriority.tunnelReturn(base: base), inputInterface: c.tunnelDevice, table: main)
        }
        tableRoutes = families.map {
            TableRoute(family: $0, gateway: $0 == .ipv4 ? c.tunnelGateway : c.tunnelGateway6, table: c.table)
        }

        func host(_ address: NetlinkAddress) -> NetlinkPrefix {
            NetlinkPrefix(address: address, length: address.family == .ipv4 ? 32 : 128)!
        }
        let firewalls = c.firewallEndpoints.map(host)
        // The interface the pod's packets come in by: its veth, or the bridge it is a port of.
        let entry = site.bridge ?? site.hostInterface
        var rules: [Rule] = []
        // 1. A pod never reaches a firewall endpoint directly: not its tunnel port (a crafted
        //    VXLAN datagram would carry any inner frame), not its admin API or probes.
        //    Behind a bridge the input interface is shared, so only the pod's own source.
        for family in families {
            for firewall in firewalls where firewall.family == family {
                if site.bridge == nil {
                    rules.append(.verdict(.prohibit, family: family, priority: RulePriority.firewallGuard(base: base),
                                          destination: firewall, inputInterface: entry))
                } else {
                    for address in site.addresses where address.family == family {
                        rules.append(.verdict(.prohibit, family: family, priority: RulePriority.firewallGuard(base: base),
                                              source: host(address), destination: firewall, inputInterface: entry))
                    }
                }
            }
        }
        // 2. What the pod sends from its own addresses: trust CIDRs the normal way, the rest
        //    into the tunnel.
        for address in site.addresses {
            for cidr in c.trustCIDRs where cidr.family == address.family {
                rules.append(Rule(family: address.family, priority: RulePriority.podExemption(base: base),
                                  source: host(address), destination: cidr, inputInterface: entry, table: main))
            }
        }
        for address in site.addresses {
            rules.append(Rule(family: address.family, priority: RulePriority.egress(base: base),
                              source: host(address), inputInterface: entry, table: c.table))
        }
        // 3. Anything else from the veth carries a source the pod does not own: refused,
        //    before the exemptions below could trust it. A bridge is shared: nothing here.
        if site.bridge == nil {
            for family in families {
                rules.append(.verdict(.prohibit, family: family, priority: RulePriority.sourceGuard(base: base), inputInterface: entry))
            }
        }
        // 4. Toward the pod: node traffic, firewall endpoints and trust CIDRs the normal way,
        //    the rest from the tunnel.
        let exemption = RulePriority.exemption(base: base)
        for address in site.addresses {
            let pod = host(address)
            if c.exemptNodeTraffic {
                rules.append(Rule(family: address.family, priority: exemption, destination: pod, inputInterface: "lo", table: main))
            }
            for cidr in firewalls + c.trustCIDRs where cidr.family == address.family {
                rules.append(Rule(family: address.family, priority: exemption, source: cidr, destination: pod, table: main))
            }
        }
        for address in site.addresses {
            rules.append(Rule(family: address.family, priority: RulePriority.ingress(base: base), destination: host(address), table: c.table))
        }
        self.rules = rules
    }
}
