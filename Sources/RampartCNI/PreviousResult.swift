import RampartNetlink

/// What `rampart-cni` reads from the primary plugin's result (0.4.0 and 1.x alike): the
/// interfaces and the pod's addresses. The result itself is passed on untouched.
///
/// ```swift
/// let previous = try PreviousResult(json: config.prevResult!)
/// let ips = previous.podAddresses(interfaceName: "eth0", netns: "/var/run/netns/x")
/// ```
public struct PreviousResult: Sendable, Hashable {
    public struct Interface: Sendable, Hashable {
        public var name: String
        public var mac: String?
        /// The netns path for a container interface; nil for a host-side one.
        public var sandbox: String?
    }

    public struct IPConfig: Sendable, Hashable {
        /// The address with its prefix length, as the result wrote it (`10.244.1.5/24`).
        public var address: NetlinkPrefix
        /// Index into `interfaces`, when given.
        public var interface: Int?
        public var gateway: NetlinkAddress?
    }

    public var interfaces: [Interface]
    public var ips: [IPConfig]

    /// Reads `interfaces` and `ips`; code 6 (decode) names the element that is wrong.
    ///
    /// ```swift
    /// let previous = try PreviousResult(json: try JSONValue.parse(#"{"ips":[{"address":"10.1.0.9/16"}]}"#))
    /// ```
    public init(json: JSONValue) throws(CNIError) {
        func fail(_ what: String) -> CNIError { CNIError(.decodeFailure, "prevResult.\(what)") }
        interfaces = []
        if let list = json["interfaces"], !list.isNull {
            guard let items = list.arrayValue else { throw fail("interfaces: expected an array, found \(list.kindName)") }
            for (i, item) in items.enumerated() {
                guard let name = item["name"]?.stringValue else { throw fail("interfaces[\(i)].name: expected a string") }
                let sandbox = item["sandbox"]?.stringValue
                interfaces.append(Interface(name: name, mac: item["mac"]?.stringValue, sandbox: (sandbox?.isEmpty ?? true) ? nil : sandbox))
            }
        }
        ips = []
        if let list = json["ips"], !list.isNull {
            guard let items = list.arrayValue else { throw fail("ips: expected an array, found \(list.kindName)") }
            for (i, item) in items.enumerated() {
                guard let text = item["address"]?.stringValue, text.contains("/"), let prefix = NetlinkPrefix(text) else {
                    throw fail("ips[\(i)].address: expected ADDRESS/LENGTH")
                }
                var interface: Int?
                if let index = item["interface"], !index.isNull {
                    guard let value = index.intValue, value >= 0, value < interfaces.count else {
                        throw fail("ips[\(i)].interface: expected an index into interfaces (0..<\(interfaces.count))")
                    }
                    interface = value
                }
                var gateway: NetlinkAddress?
                if let text = item["gateway"]?.stringValue {
                    guard let address = NetlinkAddress(text) else { throw fail("ips[\(i)].gateway: \"\(text)\" is not an IP address") }
                    gateway = address
                }
                ips.append(IPConfig(address: prefix, interface: interface, gateway: gateway))
            }
        }
    }

    public init(interfaces: [Interface], ips: [IPConfig]) {
        self.interfaces = interfaces
        self.ips = ips
    }

    /// The pod's own addresses on `interfaceName` (host-length prefixes, `/32` or `/128`):
    /// IPs pointing at that container interface, or every IP when none names an interface.
    public func podAddresses(interfaceName: String) -> [NetlinkAddress] {
        var result: [NetlinkAddress] = []
        for ip in ips {
            if let index = ip.interface {
                let interface = interfaces[index]
                guard interface.sandbox != nil, interface.name == interfaceName else { continue }
            }
            if !result.contains(ip.address.address) { result.append(ip.address.address) }
        }
        return result
    }

    /// Host-side interfaces (no sandbox), in result order: for `bridge` the bridge then the
    /// veth, for `ptp` the veth.
    public var hostInterfaceNames: [String] { interfaces.filter { $0.sandbox == nil }.map(\.name) }
}
