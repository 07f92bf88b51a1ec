import RampartCNI

/// Configurations and results the unit tests share.
enum Fixtures {
    static let environment: [String: String] = [
        "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "c0ffee", "CNI_NETNS": "/var/run/netns/test-pod",
        "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin",
        "CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1",
    ]

    static func environment(_ command: String, _ changes: [String: String?] = [:]) -> [String: String] {
        var env = environment
        env["CNI_COMMAND"] = command
        for (key, value) in changes { env[key] = value }
        return env
    }

    static let previousResult = #"""
    {"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"aa:bb:cc:00:00:01"},{"name":"veth1234","mac":"aa:bb:cc:00:00:02"},{"name":"eth0","mac":"aa:bb:cc:00:00:03","sandbox":"/var/run/netns/test-pod"}],"ips":[{"address":"10.244.1.5/24","gateway":"10.244.1.1","interface":2},{"address":"fd00:244::5/64","gateway":"fd00:244::1","interface":2}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}
    """#

    static func config(version: String = "1.1.0", extra: String = "", previous: String? = previousResult) -> String {
        var text = #"{"cniVersion":"\#(version)","name":"k8s-pod-network","type":"rampart-cni","vni":7,"firewallEndpoints":["10.200.0.2"],"trustCIDRs":["10.96.0.0/12","fd00:96::/108"]"#
        if !extra.isEmpty { text += "," + extra }
        if let previous { text += #","prevResult":"# + previous }
        return text + "}"
    }

    static func parsedConfig(extra: String = "") throws -> PluginConfiguration {
        try PluginConfiguration(json: JSONValue.parse(config(extra: extra)))
    }
}
