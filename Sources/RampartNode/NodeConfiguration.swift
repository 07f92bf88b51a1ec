import FoundationEssentials
import RampartPOSIX
import RampartKube
import RampartNetlink
import RampartConfig
import RampartWire

/// The node agent's configuration: one `NodeConfiguration` document, read once and
/// validated before anything starts. Every key but `clusterID` and `firewalls` has a default.
///
/// ```yaml
/// apiVersion: rampart.io/v1
/// kind: NodeConfiguration
/// metadata: {name: node}
/// spec:
///   nodeName: worker-1                 # default: $NODE_NAME, else the host name
///   kubeconfig: /etc/rampart/kubeconfig  # absent: the pod's service account (in-cluster)
///   clusterID: 7                       # 1..2048: the VNI
///   firewalls:
///     - 10.0.0.50                      # tunnel address only: health assumed
///     - {address: 10.0.0.51, admin: "http://10.0.0.51:9680"}   # health: GET /healthz
///   firewallPods: {namespace: rampart, selector: app.kubernetes.io/component=firewall}  # in-cluster firewalls
///   tunnel: {name: rampart0, port: 6080, local: 10.0.0.2, device: eth0, table: 6080, ipv6: true}
///   plugin: {failMode: open, trustCIDRs: [10.0.0.0/24], rulePriority: 6000}
///   cni: {binDir: /opt/cni/bin, confDir: /etc/cni/net.d, pluginBinary: /usr/local/bin/rampart-cni}
///   socket: /run/rampart/node.sock
///   state: /var/lib/rampart/attachments.json
///   metrics: 127.0.0.1:9691            # or "off"
///   events: "-"                        # or a file, appended
///   healthInterval: 5
///   failOpen: true
/// ```
///
/// ```swift
/// let configuration = try NodeConfiguration.load(path: "/etc/rampart/node.yaml")
/// ```
public struct NodeConfiguration: Sendable, Equatable {
    public enum Credentials: Sendable, Equatable {
        case kubeconfig(path: String, context: String?)
        case credentialFile(path: String, server: String?)
        case inCluster
    }

    public var nodeName: String
    public var credentials: Credentials = .inCluster
    /// The cluster's number: the VNI of the tunnel (`TunnelSettings.vni`) and of the plugin's entry.
    public var clusterID: ClusterID
    public var firewalls: [FirewallEndpoint]
    /// In-cluster firewalls: their pods, whose own addresses protected pods may never reach
    /// (`FirewallGuard`); nil: the firewalls are reached by their real addresses only.
    public var firewallPods: FirewallGuard.Selection?
    /// In-cluster firewalls found through their Service: every address of its
    /// EndpointSlices is a firewall (tunnel to it, health at `http://ADDRESS:probePort`),
    /// besides `firewalls`.
    public var firewallService: FirewallService?

    public struct FirewallService: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var probePort = 9681
        public init(namespace: String, name: String) {
            self.namespace = namespace
            self.name = name
        }
    }
    public var tunnel: TunnelSettings
    /// Manage the tunnel device at all (off when another component owns it).
    public var manageTunnel = true
    /// The network namespace to manage the tunnel in (tests, or an agent outside the
    /// node's namespace); nil: the agent's own.
    public var tunnelNamespace: String?
    public var plugin = PluginSettings()
    public var cni = CNISettings()
    public var socketPath = "/run/rampart/node.sock"
    public var statePath = "/var/lib/rampart/attachments.json"
    /// `host:port` of /metrics, /healthz and /readyz; nil disables it.
    public var metricsListen: String? = "127.0.0.1:9691"
    public var events = "-"
    public var healthInterval: Double = 5
    /// Health-check failures in a row before a firewall counts as down.
    public var healthFailures = 3
    /// Seconds a health check may take before it counts as a failure.
    public var healthTimeout: Double = 2
    /// `/healthz` or `/readyz`, for every firewall (`FirewallEndpoint.healthPath`).
    public var healthPath = "/healthz"
    /// How the tunnel picks a firewall: `.active` (the first healthy one, an active/passive
    /// pair) or `.hash` (every session to one of the healthy ones by a symmetric hash:
    /// `SessionSpreader`, docs/node-agent.md "Several firewalls").
    public var balancing: Balancing = .active
    /// Hash buckets with `.hash` (`SessionSpreader.bucketRange`).
    public var buckets = 4096
    /// Which hash chooses the bucket with `.hash`: `.node` (the kernel's symmetric hash,
    /// keyed per boot) or `.cluster` (a fixed-seed hash of the connection's tuple, the same
    /// on every node: `SessionSpreader`, docs/node-agent.md "The same bucket on every node").
    public var hashScope: HashScope = .node
    /// The seed of the `.cluster` hash; every node of a cluster must use the same.
    public var hashSeed: UInt32 = SessionSpreader.defaultSeed

    public enum HashScope: String, Sendable, Equatable {
        case node, cluster
    }
    /// With no healthy firewall (or no tunnel), pods run uninspected rather than cut off.
    public var failOpen = true
    /// How often running pods are compared with their annotations even without a change.
    public var resyncInterval: Double = 30

    public enum Balancing: String, Sendable, Equatable {
        case active, hash
    }

    /// The `rampart-cni` entry's own settings (see docs/cni.md).
    public struct PluginSettings: Sendable, Equatable {
        public var failMode = "open"
        public var trustCIDRs: [String] = []
        public var rulePriority = 6000
        public var agentTimeoutMs: Int?
        public var logFile: String?
        public var stateDir: String?
        public var exemptNodeTraffic: Bool?
        public init() {}
    }

    /// Where the runtime looks for plugins and their configuration.
    public struct CNISettings: Sendable, Equatable {
        public var binDirectory = "/opt/cni/bin"
        public var confDirectory = "/etc/cni/net.d"
        /// The binary to copy; nil: `rampart-cni` beside the agent's own executable.
        public var pluginBinary: String?
        /// Install (and keep installed) the plugin while running.
        public var install = true
        public init() {}
    }

    public init(nodeName: String, clusterID: ClusterID, firewalls: [FirewallEndpoint]) {
        self.nodeName = nodeName
        self.clusterID = clusterID
        self.firewalls = firewalls
        self.tunnel = TunnelSettings(vni: clusterID.vni)
    }

    /// The Kubernetes credentials the configuration names.
    public func clusterCredentials() throws(KubeError) -> ClusterCredentials {
        switch credentials {
        case .kubeconfig(let path, let context): return try .kubeconfig(at: path, context: context)
        case .credentialFile(let path, let server): return try .credentialFile(at: path, server: server)
        case .inCluster: return try .inCluster()
        }
    }

    /// The conflist entry for `rampart-cni`, consistent with this agent's tunnel and socket.
    public var pluginEntry: PluginEntry {
        var fields: [(key: String, value: PluginEntry.Value)] = [
            ("firewallEndpoints", .strings(firewalls.map { "\($0.address)" })),
            ("vni", .integer(Int(clusterID.vni))),
            ("port", .integer(Int(tunnel.port))),
            ("agentSocket", .string(socketPath)),
            ("failMode", .string(plugin.failMode)),
            ("tunnelDevice", .string(tunnel.name)),
            ("table", .integer(Int(tunnel.table))),
            ("rulePriority", .integer(plugin.rulePriority)),
        ]
        if tunnel.gateway != TunnelSettings(vni: 1).gateway { fields.append(("tunnelGateway", .string("\(tunnel.gateway)"))) }
        if tunnel.gateway6 != TunnelSettings(vni: 1).gateway6 { fields.append(("tunnelGateway6", .string("\(tunnel.gateway6)"))) }
        if !plugin.trustCIDRs.isEmpty { fields.append(("trustCIDRs", .strings(plugin.trustCIDRs))) }
        if let value = plugin.agentTimeoutMs { fields.append(("agentTimeoutMs", .integer(value))) }
        if let value = plugin.logFile { fields.append(("logFile", .string(value))) }
        if let value = plugin.stateDir { fields.append(("stateDir", .string(value))) }
        if let value = plugin.exemptNodeTraffic { fields.append(("exemptNodeTraffic", .bool(value))) }
        return PluginEntry(type: "rampart-cni", fields: fields)
    }

    // MARK: loading

    /// Reads and validates a configuration file.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(NodeError) -> NodeConfiguration {
        guard let bytes = try AtomicFile.read(path) else {
            throw .configuration("\(path): no such file; see docs/node-agent.md for an example")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), source: path, environment: environment)
    }

    /// Parses a configuration document; `source` names it in errors. Relative paths are
    /// taken from the file's folder. Every problem is reported at once, each with its
    /// `file:line:column` and what was expected; unknown keys are refused.
    public static func parse(_ text: String, source: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(NodeError) -> NodeConfiguration {
        let reader = ConfigReader(file: source)
        let configuration = read(text, reader: reader, source: source, environment: environment)
        do throws(ConfigErrors) { try reader.check() } catch {
            throw .configuration(error.description)
        }
        guard let configuration else { throw .configuration("\(source): not a NodeConfiguration") }
        return configuration
    }

    static let specKeys = [
        "nodeName", "kubeconfig", "context", "credentialFile", "server", "clusterID", "firewalls", "firewallPods", "tunnel",
        "plugin", "cni", "socket", "state", "metrics", "events", "healthInterval", "healthFailures", "failOpen", "resyncInterval",
        "healthTimeout", "healthPath", "balancing", "buckets", "hashScope", "hashSeed", "firewallService",
    ]

    private static func read(_ text: String, reader r: ConfigReader, source: String, environment: [String: String]) -> NodeConfiguration? {
        guard let document = r.document(text),
              let root = r.fields(document, "the document", allowed: ["apiVersion", "kind", "metadata", "spec"], required: ["kind", "spec"])
        else { return nil }
        if let node = root["kind"], let kind = r.string(node, "kind"), kind != "NodeConfiguration" {
            r.error(node.location, "kind is \(kind), expected NodeConfiguration")
        }
        if let node = root["apiVersion"], let version = r.string(node, "apiVersion"), version != "rampart.io/v1" {
            r.error(node.location, "apiVersion must be rampart.io/v1, found '\(version)'")
        }
        guard let specNode = root["spec"], let spec = r.fields(specNode, "spec", allowed: specKeys, required: ["clusterID"])
        else { return nil }
        let folder = PathName.folder(of: source)
        func resolve(_ file: String) -> String { file.hasPrefix("/") || folder.isEmpty ? file : "\(folder)/\(file)" }
        func string(_ fields: [String: YAMLNode], _ key: String, _ path: String) -> String? {
            fields[key].flatMap { r.string($0, "\(path).\(key)") }
        }
        func address(_ fields: [String: YAMLNode], _ key: String, _ path: String) -> NetlinkAddress? {
            guard let node = fields[key], let text = r.string(node, "\(path).\(key)") else { return nil }
            guard let address = NetlinkAddress(text) else {
                r.error(node.location, "\(path).\(key) must be an IP address, found '\(text.prefix(80))'")
                return nil
            }
            return address
        }

        let clusterID = spec["clusterID"].flatMap { r.integer($0, "spec.clusterID (the cluster id, the tunnel's VNI)", in: ClusterID.range) }
            .flatMap(ClusterID.init)
        var firewalls: [FirewallEndpoint] = []
        if let node = spec["firewalls"], let items = r.list(node, "spec.firewalls", scalarAllowed: true, limit: 64) {
            if items.isEmpty { r.error(node.location, "spec.firewalls is empty: list the firewall addresses, e.g. [10.0.0.50]") }
            for (i, item) in items.enumerated() {
                let path = "spec.firewalls[\(i)]"
                if case .mapping = item {
                    guard let fields = r.fields(item, path, allowed: ["address", "admin", "firewallAdmin"], required: ["address"]),
                          let address = address(fields, "address", path)
                    else { continue }
                    var admin = string(fields, "admin", path)
                    if admin == nil { admin = string(fields, "firewallAdmin", path) }
                    if let admin, !(admin.hasPrefix("http://") || admin.hasPrefix("https://")) {
                        r.error((fields["admin"] ?? fields["firewallAdmin"] ?? item).location,
                                "\(path).admin must be a URL, e.g. http://10.0.0.50:9680, found '\(admin.prefix(80))'")
                        continue
                    }
                    firewalls.append(FirewallEndpoint(address: address, admin: admin))
                } else if let text = r.string(item, path) {
                    guard let address = NetlinkAddress(text) else {
                        r.error(item.location, "\(path) must be the firewall's IP address or {address, admin}, found '\(text.prefix(80))'")
                        continue
                    }
                    firewalls.append(FirewallEndpoint(address: address))
                }
            }
        }
        let nodeName = string(spec, "nodeName", "spec") ?? environment["NODE_NAME"] ?? ProcessInfo.processInfo.hostName
        var configuration = NodeConfiguration(nodeName: nodeName, clusterID: clusterID ?? ClusterID(1)!, firewalls: firewalls)

        if let path = string(spec, "kubeconfig", "spec") {
            configuration.credentials = .kubeconfig(path: resolve(path), context: string(spec, "context", "spec"))
        } else if let path = string(spec, "credentialFile", "spec") {
            configuration.credentials = .credentialFile(path: resolve(path), server: string(spec, "server", "spec"))
        }

        if let node = spec["firewallService"],
           let f = r.fields(node, "spec.firewallService", allowed: ["namespace", "name", "probePort"], required: ["namespace", "name"]),
           let namespace = string(f, "namespace", "spec.firewallService"), let name = string(f, "name", "spec.firewallService") {
            var service = FirewallService(namespace: namespace, name: name)
            if let port = f["probePort"].flatMap({ r.integer($0, "spec.firewallService.probePort", in: 1...65535) }) { service.probePort = port }
            configuration.firewallService = service
        }
        if spec["firewalls"] == nil && spec["firewallService"] == nil {
            r.error(specNode.location, "spec is missing the required field 'firewalls' (the firewalls' addresses), or give firewallService (their Service, in-cluster)")
        }
        if let node = spec["firewallPods"],
           let f = r.fields(node, "spec.firewallPods", allowed: ["namespace", "selector"], required: ["namespace", "selector"]),
           let namespace = string(f, "namespace", "spec.firewallPods"), let selector = string(f, "selector", "spec.firewallPods") {
            if namespace.isEmpty { r.error(f["namespace"]!.location, "spec.firewallPods.namespace must name the firewall pods' namespace, e.g. rampart") }
            if selector.trimmingWhitespace().isEmpty {
                r.error(f["selector"]!.location, "spec.firewallPods.selector must be a label selector naming the firewall pods, e.g. app.kubernetes.io/component=firewall")
            }
            configuration.firewallPods = FirewallGuard.Selection(namespace: namespace, labelSelector: selector)
        }

        if let node = spec["tunnel"], let t = r.fields(node, "spec.tunnel", allowed: [
            "name", "port", "local", "device", "mtu", "table", "gateway", "gateway6", "ipv6", "manage", "netns",
        ]) {
            if let node = t["name"], let name = r.string(node, "spec.tunnel.name") {
                if name.isEmpty || name.utf8.count >= 16 || name.contains("/") || name.contains(" ") {
                    r.error(node.location, "spec.tunnel.name '\(name.prefix(80))' is not an interface name (1-15 bytes, no '/' or space)")
                } else {
                    configuration.tunnel.name = name
                }
            }
            if let port = t["port"].flatMap({ r.integer($0, "spec.tunnel.port", in: 1...65535) }) { configuration.tunnel.port = UInt16(port) }
            configuration.tunnel.local = address(t, "local", "spec.tunnel")
            configuration.tunnel.device = string(t, "device", "spec.tunnel")
            if let mtu = t["mtu"].flatMap({ r.integer($0, "spec.tunnel.mtu", in: 576...65535) }) { configuration.tunnel.mtu = UInt32(mtu) }
            if let node = t["table"], let table = r.integer(node, "spec.tunnel.table", in: 1...0x7FFF_FFFF) {
                if [253, 254, 255].contains(table) {
                    r.error(node.location, "spec.tunnel.table \(table) is reserved (default, main, local); e.g. 6080")
                } else {
                    configuration.tunnel.table = UInt32(table)
                }
            }
            if let gateway = address(t, "gateway", "spec.tunnel") { configuration.tunnel.gateway = gateway }
            if let gateway = address(t, "gateway6", "spec.tunnel") { configuration.tunnel.gateway6 = gateway }
            if let ipv6 = t["ipv6"].flatMap({ r.bool($0, "spec.tunnel.ipv6") }) { configuration.tunnel.ipv6 = ipv6 }
            if let manage = t["manage"].flatMap({ r.bool($0, "spec.tunnel.manage") }) { configuration.manageTunnel = manage }
            configuration.tunnelNamespace = string(t, "netns", "spec.tunnel")
        }
        if let node = spec["plugin"], let p = r.fields(node, "spec.plugin", allowed: [
            "failMode", "trustCIDRs", "rulePriority", "agentTimeoutMs", "logFile", "stateDir", "exemptNodeTraffic",
        ]) {
            if let node = p["failMode"], let mode = r.string(node, "spec.plugin.failMode") {
                if mode == "open" || mode == "closed" { configuration.plugin.failMode = mode } else {
                    r.error(node.location, "spec.plugin.failMode must be open or closed, found '\(mode.prefix(80))'")
                }
            }
            if let node = p["trustCIDRs"], let cidrs = r.strings(node, "spec.plugin.trustCIDRs", scalarAllowed: false, limit: 1024) {
                for (cidr, at) in cidrs where !cidr.contains("/") || NetlinkPrefix(cidr) == nil {
                    r.error(at.location, "spec.plugin.trustCIDRs: '\(cidr.prefix(80))' is not ADDRESS/LENGTH, e.g. 10.0.0.0/24")
                }
                configuration.plugin.trustCIDRs = cidrs.map(\.0)
            }
            if let base = p["rulePriority"].flatMap({ r.integer($0, "spec.plugin.rulePriority", in: 1...32725) }) { configuration.plugin.rulePriority = base }
            configuration.plugin.agentTimeoutMs = p["agentTimeoutMs"].flatMap { r.integer($0, "spec.plugin.agentTimeoutMs", in: 10...10_000) }
            configuration.plugin.logFile = string(p, "logFile", "spec.plugin")
            configuration.plugin.stateDir = string(p, "stateDir", "spec.plugin")
            configuration.plugin.exemptNodeTraffic = p["exemptNodeTraffic"].flatMap { r.bool($0, "spec.plugin.exemptNodeTraffic") }
        }
        configuration.tunnel.returnRulePriority = UInt32(configuration.plugin.rulePriority + 1)
        if let node = spec["cni"], let c = r.fields(node, "spec.cni", allowed: ["binDir", "confDir", "pluginBinary", "install"]) {
            if let value = string(c, "binDir", "spec.cni") { configuration.cni.binDirectory = value }
            if let value = string(c, "confDir", "spec.cni") { configuration.cni.confDirectory = value }
            configuration.cni.pluginBinary = string(c, "pluginBinary", "spec.cni").map(resolve)
            if let value = c["install"].flatMap({ r.bool($0, "spec.cni.install") }) { configuration.cni.install = value }
        }
        if let node = spec["socket"], let value = r.string(node, "spec.socket") {
            if value.hasPrefix("/") { configuration.socketPath = value } else {
                r.error(node.location, "spec.socket must be an absolute path, found '\(value.prefix(80))'")
            }
        }
        if let value = string(spec, "state", "spec") { configuration.statePath = resolve(value) }
        if let value = string(spec, "metrics", "spec") { configuration.metricsListen = value == "off" ? nil : value }
        if let value = string(spec, "events", "spec") { configuration.events = value == "-" ? value : resolve(value) }
        if let value = spec["healthInterval"].flatMap({ r.number($0, "spec.healthInterval (seconds)", in: 0.1...3600) }) { configuration.healthInterval = value }
        if let value = spec["healthFailures"].flatMap({ r.integer($0, "spec.healthFailures", in: 1...100) }) { configuration.healthFailures = value }
        if let value = spec["healthTimeout"].flatMap({ r.number($0, "spec.healthTimeout (seconds)", in: 0.05...30) }) { configuration.healthTimeout = value }
        if let node = spec["healthPath"], let value = r.string(node, "spec.healthPath") {
            if value == "/healthz" || value == "/readyz" {
                configuration.healthPath = value
                for i in configuration.firewalls.indices { configuration.firewalls[i].healthPath = value }
            } else {
                r.error(node.location, "spec.healthPath must be /healthz or /readyz, found '\(value.prefix(80))'")
            }
        }
        if let node = spec["balancing"], let value = r.string(node, "spec.balancing") {
            if let balancing = Balancing(rawValue: value) { configuration.balancing = balancing } else {
                r.error(node.location, "spec.balancing must be active (the first healthy firewall) or hash (sessions spread over all healthy ones), found '\(value.prefix(80))'")
            }
        }
        if let value = spec["buckets"].flatMap({ r.integer($0, "spec.buckets", in: SessionSpreader.bucketRange) }) { configuration.buckets = value }
        if let node = spec["hashScope"], let value = r.string(node, "spec.hashScope") {
            if let scope = HashScope(rawValue: value) { configuration.hashScope = scope } else {
                r.error(node.location, "spec.hashScope must be node (the kernel's symmetric hash, keyed per boot) or cluster (a fixed-seed hash of the connection, the same on every node), found '\(value.prefix(80))'")
            }
        }
        if let value = spec["hashSeed"].flatMap({ r.integer($0, "spec.hashSeed", in: 0...Int(UInt32.max)) }) { configuration.hashSeed = UInt32(value) }
        if let value = spec["failOpen"].flatMap({ r.bool($0, "spec.failOpen") }) { configuration.failOpen = value }
        if let value = spec["resyncInterval"].flatMap({ r.number($0, "spec.resyncInterval (seconds)", in: 1...86400) }) { configuration.resyncInterval = value }
        return configuration
    }
}
