import FoundationEssentials
import RampartPOSIX
import RampartKube
import RampartNetlink
import RampartPolicy

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
    public var clusterID: UInt32
    public var firewalls: [FirewallEndpoint]
    /// In-cluster firewalls: their pods, whose own addresses protected pods may never reach
    /// (`FirewallGuard`); nil: the firewalls are reached by their real addresses only.
    public var firewallPods: FirewallGuard.Selection?
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
    /// With no healthy firewall (or no tunnel), pods run uninspected rather than cut off.
    public var failOpen = true
    /// How often running pods are compared with their annotations even without a change.
    public var resyncInterval: Double = 30

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

    public init(nodeName: String, clusterID: UInt32, firewalls: [FirewallEndpoint]) {
        self.nodeName = nodeName
        self.clusterID = clusterID
        self.firewalls = firewalls
        self.tunnel = TunnelSettings(vni: clusterID)
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
            ("vni", .integer(Int(clusterID))),
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
    /// taken from the file's folder.
    public static func parse(_ text: String, source: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(NodeError) -> NodeConfiguration {
        let loaded: Any?
        do throws(PolicyErrors) { loaded = try PlainYAML.load(text, file: source) } catch {
            throw .configuration("not valid YAML: \(error)")
        }
        guard let root = loaded as? [String: Any] else {
            throw NodeError.configuration("\(source): expected a NodeConfiguration document (apiVersion, kind, spec)")
        }
        if let kind = root["kind"] as? String, kind != "NodeConfiguration" {
            throw .configuration("\(source): kind is \(kind), expected NodeConfiguration")
        }
        let spec = Fields(root["spec"] as? [String: Any] ?? root, path: "spec", source: source)
        let folder = PathName.folder(of: source)
        func resolve(_ file: String) -> String { file.hasPrefix("/") || folder.isEmpty ? file : "\(folder)/\(file)" }

        guard let clusterID = try spec.integer("clusterID", in: 1...2048) else {
            throw .configuration("\(source): spec.clusterID is missing: the cluster id, 1..2048 (the tunnel's VNI)")
        }
        let firewallList = spec.raw("firewalls") as? [Any] ?? []
        guard !firewallList.isEmpty else {
            throw .configuration("\(source): spec.firewalls is missing: list the firewall addresses, e.g. [10.0.0.50]")
        }
        var firewalls: [FirewallEndpoint] = []
        for (i, item) in firewallList.enumerated() {
            let path = "spec.firewalls[\(i)]"
            if let text = item as? String {
                guard let address = NetlinkAddress(text) else { throw .configuration("\(source): \(path): \(text) is not an IP address") }
                firewalls.append(FirewallEndpoint(address: address))
            } else if let object = item as? [String: Any] {
                let fields = Fields(object, path: path, source: source)
                guard let text = try fields.string("address"), let address = NetlinkAddress(text) else {
                    throw .configuration("\(source): \(path).address: expected the firewall's tunnel IP address")
                }
                var admin = try fields.string("admin")
                if admin == nil { admin = try fields.string("firewallAdmin") }
                if let admin, !(admin.hasPrefix("http://") || admin.hasPrefix("https://")) {
                    throw .configuration("\(source): \(path).admin: \(admin) is not a URL, e.g. http://10.0.0.50:9680")
                }
                firewalls.append(FirewallEndpoint(address: address, admin: admin))
            } else {
                throw .configuration("\(source): \(path): expected an address or {address, admin}")
            }
        }
        let nodeName = try spec.string("nodeName") ?? environment["NODE_NAME"] ?? ProcessInfo.processInfo.hostName
        var configuration = NodeConfiguration(nodeName: nodeName, clusterID: UInt32(clusterID), firewalls: firewalls)

        if let path = try spec.string("kubeconfig") {
            configuration.credentials = .kubeconfig(path: resolve(path), context: try spec.string("context"))
        } else if let path = try spec.string("credentialFile") {
            configuration.credentials = .credentialFile(path: resolve(path), server: try spec.string("server"))
        }

        if let object = spec.raw("firewallPods") {
            guard let dictionary = object as? [String: Any] else {
                throw .configuration("\(source): spec.firewallPods: expected a mapping {namespace, selector}")
            }
            let f = Fields(dictionary, path: "spec.firewallPods", source: source)
            for key in dictionary.keys where key != "namespace" && key != "selector" {
                throw .configuration("\(source): spec.firewallPods.\(key): unknown key; expected namespace and selector")
            }
            guard let namespace = try f.string("namespace"), !namespace.isEmpty else {
                throw .configuration("\(source): spec.firewallPods.namespace: expected the firewall pods' namespace, e.g. rampart")
            }
            guard let selector = try f.string("selector"), !selector.trimmingWhitespace().isEmpty else {
                throw .configuration("\(source): spec.firewallPods.selector: expected a label selector naming the firewall pods, e.g. app.kubernetes.io/component=firewall")
            }
            configuration.firewallPods = FirewallGuard.Selection(namespace: namespace, labelSelector: selector)
        }
        if let object = spec.raw("tunnel") {
            guard let dictionary = object as? [String: Any] else { throw .configuration("\(source): spec.tunnel: expected a mapping") }
            let t = Fields(dictionary, path: "spec.tunnel", source: source)
            if let name = try t.string("name") {
                guard !name.isEmpty, name.utf8.count < 16, !name.contains("/"), !name.contains(" ") else {
                    throw .configuration("\(source): spec.tunnel.name: \(name) is not an interface name (1-15 bytes)")
                }
                configuration.tunnel.name = name
            }
            if let port = try t.integer("port", in: 1...65535) { configuration.tunnel.port = UInt16(port) }
            configuration.tunnel.local = try t.address("local")
            configuration.tunnel.device = try t.string("device")
            if let mtu = try t.integer("mtu", in: 576...65535) { configuration.tunnel.mtu = UInt32(mtu) }
            if let table = try t.integer("table", in: 1...0x7FFF_FFFF) {
                guard ![253, 254, 255].contains(table) else { throw .configuration("\(source): spec.tunnel.table: \(table) is reserved; e.g. 6080") }
                configuration.tunnel.table = UInt32(table)
            }
            if let gateway = try t.address("gateway") { configuration.tunnel.gateway = gateway }
            if let gateway = try t.address("gateway6") { configuration.tunnel.gateway6 = gateway }
            if let ipv6 = try t.bool("ipv6") { configuration.tunnel.ipv6 = ipv6 }
            if let manage = try t.bool("manage") { configuration.manageTunnel = manage }
            configuration.tunnelNamespace = try t.string("netns")
        }
        if let object = spec.raw("plugin") {
            guard let dictionary = object as? [String: Any] else { throw .configuration("\(source): spec.plugin: expected a mapping") }
            let p = Fields(dictionary, path: "spec.plugin", source: source)
            if let mode = try p.string("failMode") {
                guard mode == "open" || mode == "closed" else { throw .configuration("\(source): spec.plugin.failMode: expected open or closed") }
                configuration.plugin.failMode = mode
            }
            configuration.plugin.trustCIDRs = try p.strings("trustCIDRs") ?? []
            for cidr in configuration.plugin.trustCIDRs where !cidr.contains("/") || NetlinkPrefix(cidr) == nil {
                throw .configuration("\(source): spec.plugin.trustCIDRs: \(cidr) is not ADDRESS/LENGTH")
            }
            if let base = try p.integer("rulePriority", in: 1...32725) { configuration.plugin.rulePriority = base }
            configuration.plugin.agentTimeoutMs = try p.integer("agentTimeoutMs", in: 10...10_000)
            configuration.plugin.logFile = try p.string("logFile")
            configuration.plugin.stateDir = try p.string("stateDir")
            configuration.plugin.exemptNodeTraffic = try p.bool("exemptNodeTraffic")
        }
        configuration.tunnel.returnRulePriority = UInt32(configuration.plugin.rulePriority + 1)
        if let object = spec.raw("cni") {
            guard let dictionary = object as? [String: Any] else { throw .configuration("\(source): spec.cni: expected a mapping") }
            let c = Fields(dictionary, path: "spec.cni", source: source)
            if let value = try c.string("binDir") { configuration.cni.binDirectory = value }
            if let value = try c.string("confDir") { configuration.cni.confDirectory = value }
            configuration.cni.pluginBinary = try c.string("pluginBinary").map(resolve)
            if let value = try c.bool("install") { configuration.cni.install = value }
        }
        if let value = try spec.string("socket") {
            guard value.hasPrefix("/") else { throw .configuration("\(source): spec.socket: \(value) is not an absolute path") }
            configuration.socketPath = value
        }
        if let value = try spec.string("state") { configuration.statePath = resolve(value) }
        if let value = try spec.string("metrics") { configuration.metricsListen = value == "off" ? nil : value }
        if let value = try spec.string("events") { configuration.events = value == "-" ? value : resolve(value) }
        if let value = try spec.number("healthInterval", in: 0.1...3600) { configuration.healthInterval = value }
        if let value = try spec.integer("healthFailures", in: 1...100) { configuration.healthFailures = value }
        if let value = try spec.bool("failOpen") { configuration.failOpen = value }
        if let value = try spec.number("resyncInterval", in: 1...86400) { configuration.resyncInterval = value }
        return configuration
    }
}

/// Typed access to one mapping of the configuration, with errors naming the key path.
private struct Fields {
    let values: [String: Any]
    let path: String
    let source: String

    init(_ values: [String: Any], path: String, source: String) {
        self.values = values
        self.path = path
        self.source = source
    }

    func raw(_ key: String) -> Any? { values[key] }

    private func fail(_ key: String, _ expected: String) -> NodeError {
        .configuration("\(source): \(path).\(key): expected \(expected), found \(values[key].map { "\($0)" } ?? "nothing")")
    }

    func string(_ key: String) throws(NodeError) -> String? {
        guard let value = values[key] else { return nil }
        if let text = value as? String { return text }
        if let number = value as? Int { return String(number) }
        throw fail(key, "a string")
    }

    func strings(_ key: String) throws(NodeError) -> [String]? {
        guard let value = values[key] else { return nil }
        guard let list = value as? [Any] else { throw fail(key, "a list of strings") }
        var result: [String] = []
        for item in list {
            guard let text = item as? String else { throw fail(key, "a list of strings") }
            result.append(text)
        }
        return result
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(NodeError) -> Int? {
        guard let value = values[key] else { return nil }
        guard let number = value as? Int, range.contains(number) else { throw fail(key, "an integer \(range.lowerBound)..\(range.upperBound)") }
        return number
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(NodeError) -> Double? {
        guard let value = values[key] else { return nil }
        let number = (value as? Double) ?? (value as? Int).map(Double.init)
        guard let number, range.contains(number) else { throw fail(key, "a number \(range.lowerBound)..\(range.upperBound)") }
        return number
    }

    func bool(_ key: String) throws(NodeError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard let flag = value as? Bool else { throw fail(key, "true or false") }
        return flag
    }

    func address(_ key: String) throws(NodeError) -> NetlinkAddress? {
        guard let text = try string(key) else { return nil }
        guard let address = NetlinkAddress(text) else { throw fail(key, "an IP address") }
        return address
    }
}
