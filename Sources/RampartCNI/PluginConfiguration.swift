import RampartNetlink

/// What to do when the node agent cannot be asked (or the tunnel device is missing).
///
/// ```swift
/// if config.failMode == .closed { /* ADD answers code 11 */ }
/// ```
public enum FailMode: String, Sendable, Hashable {
    /// The pod starts unprotected; a warning and an event go to the log.
    case open
    /// ADD fails with code 11 (try again later); the runtime retries.
    case closed
}

/// The `rampart-cni` entry of a conflist, with the runtime's additions (`name`,
/// `cniVersion`, `prevResult`, GC's `cni.dev/valid-attachments`), validated once.
///
/// ```swift
/// let config = try PluginConfiguration(json: try JSONValue.parse(stdin))
/// config.table        // 6080
/// config.failMode     // .open
/// ```
public struct PluginConfiguration: Sendable, Hashable {
    public var cniVersion: String
    public var name: String
    public var firewallEndpoints: [NetlinkAddress]
    public var port: UInt16
    public var vni: UInt32
    public var trustCIDRs: [NetlinkPrefix]
    public var failMode: FailMode
    public var agentSocket: String
    /// Milliseconds the whole agent exchange may take.
    public var agentTimeoutMilliseconds: Int
    public var logFile: String?
    public var tunnelDevice: String
    /// The gateway the table's IPv4 default route points at, on the tunnel device (the
    /// agent keeps a permanent neighbour entry for it with the firewall's fixed MAC).
    public var tunnelGateway: NetlinkAddress
    /// The same for IPv6.
    public var tunnelGateway6: NetlinkAddress
    public var table: UInt32
    /// The first of the 40 rule priorities Rampart uses (see `RulePriority`).
    public var rulePriority: UInt32
    /// Node-originated traffic (kubelet probes) to steered pods skips the firewall.
    public var exemptNodeTraffic: Bool
    /// Where attachment records live (one file per container id and interface).
    public var stateDirectory: String
    /// The previous plugin's result, exactly as received.
    public var prevResult: JSONValue?
    /// GC: the attachments still in use; nil when the member was absent.
    public var validAttachments: [AttachmentKey]?

    /// Reads and validates a configuration. Only `cniVersion`, `vni` and
    /// `firewallEndpoints` are required; the rest have the documented defaults.
    ///
    /// - Throws: code 1 for an unsupported `cniVersion`, code 7 naming the member and what
    ///   was expected for anything else.
    public init(json: JSONValue) throws(CNIError) {
        guard json.objectValue != nil else {
            throw CNIError(.invalidConfiguration, "network configuration: expected a JSON object, found \(json.kindName)")
        }
        let reader = ConfigReader(json: json)
        guard let version = try reader.string("cniVersion") else {
            throw CNIError(.invalidConfiguration, "cniVersion: missing", details: "expected one of \(CNIVersion.supported.joined(separator: ", "))")
        }
        guard CNIVersion.isSupported(version) else {
            throw CNIError(.incompatibleVersion, "cniVersion \"\(version)\" is not supported by rampart-cni",
                           details: "supported versions: \(CNIVersion.supported.joined(separator: ", "))")
        }
        cniVersion = version
        name = try reader.string("name") ?? ""
        if let type = try reader.string("type"), type != "rampart-cni" {
            throw CNIError(.invalidConfiguration, "type: expected \"rampart-cni\", found \"\(type)\"")
        }

        let endpoints = try reader.strings("firewallEndpoints") ?? []
        guard !endpoints.isEmpty else {
            throw CNIError(.invalidConfiguration, "firewallEndpoints: missing or empty", details: "expected a list of firewall IP addresses, e.g. [\"10.0.0.50\"]")
        }
        firewallEndpoints = try endpoints.enumerated().map { (i, text) throws(CNIError) in
            guard let address = NetlinkAddress(text) else {
                throw CNIError(.invalidConfiguration, "firewallEndpoints[\(i)]: \"\(text)\" is not an IP address")
            }
            return address
        }
        port = UInt16(try reader.integer("port", in: 1...65535) ?? 6080)
        guard let vni = try reader.integer("vni", in: 1...2048) else {
            throw CNIError(.invalidConfiguration, "vni: missing", details: "expected the cluster id, an integer 1..2048")
        }
        self.vni = UInt32(vni)
        trustCIDRs = try (reader.strings("trustCIDRs") ?? []).enumerated().map { (i, text) throws(CNIError) in
            guard text.contains("/"), let prefix = NetlinkPrefix(text) else {
                throw CNIError(.invalidConfiguration, "trustCIDRs[\(i)]: \"\(text)\" is not a CIDR", details: "expected ADDRESS/LENGTH, e.g. 10.0.0.0/8")
            }
            return prefix
        }
        let mode = try reader.string("failMode") ?? "open"
        guard let failMode = FailMode(rawValue: mode) else {
            throw CNIError(.invalidConfiguration, "failMode: \"\(mode)\" is not a fail mode", details: "expected \"open\" or \"closed\"")
        }
        self.failMode = failMode
        agentSocket = try reader.string("agentSocket") ?? "/run/rampart/node.sock"
        guard agentSocket.hasPrefix("/") else { throw CNIError(.invalidConfiguration, "agentSocket: \"\(agentSocket)\" is not an absolute path") }
        agentTimeoutMilliseconds = try reader.integer("agentTimeoutMs", in: 10...10_000) ?? 300
        logFile = try reader.string("logFile")
        if let logFile, !logFile.hasPrefix("/") { throw CNIError(.invalidConfiguration, "logFile: \"\(logFile)\" is not an absolute path") }
        tunnelDevice = try reader.string("tunnelDevice") ?? "rampart0"
        guard !tunnelDevice.isEmpty, tunnelDevice.utf8.count < 16, !tunnelDevice.contains("/"), !tunnelDevice.contains(" ") else {
            throw CNIError(.invalidConfiguration, "tunnelDevice: \"\(tunnelDevice)\" is not an interface name", details: "expected 1 to 15 bytes without '/' or spaces")
        }
        tunnelGateway = try reader.address("tunnelGateway", family: .ipv4) ?? NetlinkAddress("169.254.77.1")!
        tunnelGateway6 = try reader.address("tunnelGateway6", family: .ipv6) ?? NetlinkAddress("fe80::77:1")!
        let table = try reader.integer("table", in: 1...0x7FFF_FFFF) ?? 6080
        guard ![253, 254, 255].contains(table) else {
            throw CNIError(.invalidConfiguration, "table: \(table) is a reserved table (default, main, local)", details: "expected another table number, e.g. 6080")
        }
        self.table = UInt32(table)
        rulePriority = UInt32(try reader.integer("rulePriority", in: 1...(32765 - RulePriority.span)) ?? 6000)
        exemptNodeTraffic = try reader.bool("exemptNodeTraffic") ?? true
        stateDirectory = try reader.string("stateDir") ?? "/var/lib/cni/rampart"
        guard stateDirectory.hasPrefix("/") else { throw CNIError(.invalidConfiguration, "stateDir: \"\(stateDirectory)\" is not an absolute path") }

        if let previous = json["prevResult"], !previous.isNull {
            guard previous.objectValue != nil else {
                throw CNIError(.invalidConfiguration, "prevResult: expected an object, found \(previous.kindName)")
            }
            prevResult = previous
        } else {
            prevResult = nil
        }
        if let list = json["cni.dev/valid-attachments"] {
            guard let items = list.arrayValue else {
                throw CNIError(.invalidConfiguration, "cni.dev/valid-attachments: expected an array, found \(list.kindName)")
            }
            validAttachments = try items.enumerated().map { (i, item) throws(CNIError) in
                guard let id = item["containerID"]?.stringValue, let ifname = item["ifname"]?.stringValue else {
                    throw CNIError(.invalidConfiguration, "cni.dev/valid-attachments[\(i)]: expected {\"containerID\": string, \"ifname\": string}")
                }
                return AttachmentKey(containerID: id, interfaceName: ifname)
            }
        } else {
            validAttachments = nil
        }
    }

    public static func == (a: PluginConfiguration, b: PluginConfiguration) -> Bool {
        a.cniVersion == b.cniVersion && a.name == b.name && a.firewallEndpoints == b.firewallEndpoints && a.port == b.port
            && a.vni == b.vni && a.trustCIDRs == b.trustCIDRs && a.failMode == b.failMode && a.agentSocket == b.agentSocket
            && a.tunnelDevice == b.tunnelDevice && a.table == b.table && a.rulePriority == b.rulePriority
            && a.stateDirectory == b.stateDirectory && a.prevResult == b.prevResult && a.validAttachments == b.validAttachments
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(cniVersion); hasher.combine(vni); hasher.combine(table) }
}

/// One attachment's identity: the runtime's container id and the interface in it.
///
/// ```swift
/// let key = AttachmentKey(containerID: env.containerID, interfaceName: env.interfaceName)
/// ```
public struct AttachmentKey: Sendable, Hashable, CustomStringConvertible {
    public var containerID: String
    public var interfaceName: String
    public init(containerID: String, interfaceName: String) {
        self.containerID = containerID
        self.interfaceName = interfaceName
    }
    public var description: String { "\(containerID)/\(interfaceName)" }
}

/// Typed member access with errors that name the member and what was expected.
struct ConfigReader {
    let json: JSONValue

    func member(_ key: String) -> JSONValue? {
        guard let value = json[key], !value.isNull else { return nil }
        return value
    }

    func string(_ key: String) throws(CNIError) -> String? {
        guard let value = member(key) else { return nil }
        guard let text = value.stringValue else { throw CNIError(.invalidConfiguration, "\(key): expected a string, found \(value.kindName)") }
        return text
    }

    func bool(_ key: String) throws(CNIError) -> Bool? {
        guard let value = member(key) else { return nil }
        guard let flag = value.boolValue else { throw CNIError(.invalidConfiguration, "\(key): expected true or false, found \(value.kindName)") }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int>) throws(CNIError) -> Int? {
        guard let value = member(key) else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            let found = value.kindName == "a number" ? value.serialized() : value.kindName
            throw CNIError(.invalidConfiguration, "\(key): expected an integer \(range.lowerBound)..\(range.upperBound), found \(found)")
        }
        return number
    }

    func strings(_ key: String) throws(CNIError) -> [String]? {
        guard let value = member(key) else { return nil }
        guard let items = value.arrayValue else { throw CNIError(.invalidConfiguration, "\(key): expected an array of strings, found \(value.kindName)") }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = item.stringValue else { throw CNIError(.invalidConfiguration, "\(key)[\(i)]: expected a string, found \(item.kindName)") }
            result.append(text)
        }
        return result
    }

    func address(_ key: String, family: NetlinkAddressFamily) throws(CNIError) -> NetlinkAddress? {
        guard let text = try string(key) else { return nil }
        guard let address = NetlinkAddress(text), address.family == family else {
            throw CNIError(.invalidConfiguration, "\(key): \"\(text)\" is not an \(family == .ipv4 ? "IPv4" : "IPv6") address")
        }
        return address
    }
}
