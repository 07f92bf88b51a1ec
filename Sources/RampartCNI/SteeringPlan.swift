import RampartNetlink

/// The rule priorities Rampart uses, all offsets from the configured `rulePriority` base,
/// so `ip rule` reads top-down in the order packets meet them.
///
/// ```swift
/// RulePriority.exemption(base: 6000)   // 6010
/// ```
public enum RulePriority {
    /// How many priorities above the base Rampart may use.
    public static let span = 40
    /// `iif <tunnel> lookup main`: what the firewall sends back goes the normal way.
    public static func tunnelReturn(base: UInt32) -> UInt32 { base + 1 }
    /// Trust-CIDR, firewall-endpoint and node-traffic exemptions (`lookup main`).
    public static func exemption(base: UInt32) -> UInt32 { base + 10 }
    /// Egress: `iif <hostVeth> lookup <table>`.
    public static func egress(base: UInt32) -> UInt32 { base + 20 }
    /// Ingress: `to <podIP> lookup <table>`.
    public static func ingress(base: UInt32) -> UInt32 { base + 30 }
    /// Every priority that can hold a per-attachment rule.
    public static func attachmentRange(base: UInt32) -> ClosedRange<UInt32> { (base + 10)...(base + 30) }
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
    /// In the order they are added (exemptions before steering, so a half-applied plan
    /// never steers exempt traffic); removed in reverse.
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

        let exempt: [NetlinkPrefix] = c.firewallEndpoints.map { NetlinkPrefix(address: $0, length: $0.family == .ipv4 ? 32 : 128)! } + c.trustCIDRs
        var rules: [Rule] = []
        let exemption = RulePriority.exemption(base: base)
        for address in site.addresses {
            let pod = NetlinkPrefix(address: address, length: address.family == .ipv4 ? 32 : 128)!
            if c.exemptNodeTraffic {
                rules.append(Rule(family: address.family, priority: exemption, destination: pod, inputInterface: "lo", table: main))
            }
            for cidr in exempt where cidr.family == address.family {
                rules.append(Rule(family: address.family, priority: exemption, source: pod, destination: cidr, table: main))
                rules.append(Rule(family: address.family, priority: exemption, source: cidr, destination: pod, table: main))
            }
        }
        for family in families {
            if let bridge = site.bridge {
                // Behind a bridge every pod shares the bridge as input interface: select by source.
                for address in site.addresses where address.family == family {
                    let pod = NetlinkPrefix(address: address, length: family == .ipv4 ? 32 : 128)!
                    rules.append(Rule(family: family, priority: RulePriority.egress(base: base), source: pod, inputInterface: bridge, table: c.table))
                }
            } else {
                rules.append(Rule(family: family, priority: RulePriority.egress(base: base), inputInterface: site.hostInterface, table: c.table))
            }
        }
        for address in site.addresses {
            let pod = NetlinkPrefix(address: address, length: address.family == .ipv4 ? 32 : 128)!
            rules.append(Rule(family: address.family, priority: RulePriority.ingress(base: base), destination: pod, table: c.table))
        }
        self.rules = rules
    }
}
