import Foundation
import RampartCNI
import RampartTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A node built from network namespaces for the end-to-end tests (root only): the node
/// namespace where the plugin chain runs (entered with `ip netns exec`, as a runtime's
/// plugins run in the host namespace), a firewall namespace behind a veth, the VXLAN
/// device `rampart0` toward it (the node agent's job in production), and pod namespaces.
/// Everything has a unique name and is removed by `tearDown()`, even after a failure;
/// the root namespace is never touched.
public final class CNITestbed: @unchecked Sendable {
    public struct Pod: Sendable {
        public var name: String
        /// The pod's network namespace (not its Kubernetes namespace).
        public var namespace: String
        /// The Kubernetes namespace the runtime passes in CNI_ARGS (K8S_POD_NAMESPACE).
        public var kubernetesNamespace = "e2e"
        public var netns: String { "/run/netns/\(namespace)" }
        public var containerID: String
        public var ifname = "eth0"
        public var result: JSONValue?
        public var address: String? {
            result?["ips"]?.arrayValue?.first?["address"]?.stringValue.map { String($0.split(separator: "/")[0]) }
        }
        /// The pod's IPv6 address, when it has one.
        public var address6: String? {
            result?["ips"]?.arrayValue?.compactMap { $0["address"]?.stringValue }.first { $0.contains(":") }
                .map { String($0.split(separator: "/")[0]) }
        }
        /// The host side of the pod's veth: the result's interface without a sandbox.
        public var hostInterface: String? {
            result?["interfaces"]?.arrayValue?.first { $0["sandbox"] == nil }?["name"]?.stringValue
        }
    }

    public static let packageRoot: URL = {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if FileManager.default.fileExists(atPath: cwd.appendingPathComponent("Package.swift").path) { return cwd }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public let id: String
    public let node: String
    public let firewallNamespace: String
    public let work: URL
    public let binDirectory: URL
    public private(set) var pods: [String] = []
    private var backgroundPIDs: [Int32] = []
    private var podCounter = 0

    public init() throws {
        id = "\(getpid() % 100000)\(String(UInt32.random(in: 0..<0xFFFF), radix: 16))"
        node = "rc-node-\(id)"
        firewallNamespace = "rc-fw-\(id)"
        work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rampart-cni-e2e-\(id)")
        binDirectory = work.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: binDirectory, withIntermediateDirectories: true)
        for plugin in ["bridge", "host-local", "ptp", "loopback"] {
            try FileManager.default.createSymbolicLink(atPath: binDirectory.appendingPathComponent(plugin).path,
                                                       withDestinationPath: "/usr/lib/cni/\(plugin)")
        }
        // RAMPART_CNI_BINARY runs the tests against another build of the plugin (an older
        // commit's, to see a new test fail before its change).
        let override = ProcessInfo.processInfo.environment["RAMPART_CNI_BINARY"].map { URL(fileURLWithPath: $0) }
        guard let cni = override ?? TestShell.executable(named: "rampart-cni", packageRoot: Self.packageRoot) else {
            throw failure("rampart-cni is not built")
        }
        try FileManager.default.createSymbolicLink(atPath: binDirectory.appendingPathComponent("rampart-cni").path,
                                                   withDestinationPath: cni.path)
    }

    public func failure(_ text: String) -> Error { CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: text]) }

    /// Runs a bash command; throws with its output when it fails.
    @discardableResult
    public func sh(_ command: String) throws -> String {
        let (status, output) = try TestShell.run(command, in: work)
        guard status == 0 else { throw failure("`\(command)` exited \(status): \(output)") }
        return output
    }

    /// Runs a command in the node namespace.
    @discardableResult
    public func inNode(_ command: String) throws -> String { try sh("ip netns exec \(node) \(command)") }

    /// The node and firewall namespaces, the uplink veth (node 10.200.0.1, firewall
    /// 10.200.0.2) and, with `tunnel`, the tunnel device. With `agentShared`, also the
    /// shared rule and table routes the agent owns in production.
    public func setUp(agentShared: Bool = true, tunnel: Bool = true, table: Int = 6080, base: Int = 6000) throws {
        try sh("""
        set -e
        ip netns add \(node); ip netns add \(firewallNamespace)
        n() { ip netns exec "$@"; }
        n \(node) ip link set lo up; n \(firewallNamespace) ip link set lo up
        n \(node) sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        # Link-local addresses valid at once, so snapshots taken right after set-up are stable.
        n \(node) sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.forwarding=1
        n \(node) ip link add nfw mtu 1600 type veth peer name fw0 mtu 1600
        n \(node) ip link set fw0 netns \(firewallNamespace)
        n \(node) ip addr add 10.200.0.1/30 dev nfw; n \(node) ip link set nfw up
        n \(firewallNamespace) ip addr add 10.200.0.2/30 dev fw0; n \(firewallNamespace) ip link set fw0 up
        """)
        // Without `tunnel`, the node agent under test creates rampart0 and what goes with it.
        guard tunnel else { return }
        try sh("""
        set -e
        n() { ip netns exec "$@"; }
        n \(node) ip link add rampart0 mtu 1500 type vxlan id 7 dstport 6080 remote 10.200.0.2 local 10.200.0.1 dev nfw
        n \(node) ip link set rampart0 up
        n \(node) sysctl -qw net.ipv4.conf.rampart0.rp_filter=0
        n \(node) ip neigh replace 169.254.77.1 lladdr 02:00:00:00:77:01 dev rampart0 nud permanent
        """)
        if agentShared {
            try inNode("ip rule add iif rampart0 lookup main pref \(base + 1)")
            try inNode("ip route add default via 169.254.77.1 dev rampart0 onlink table \(table) proto static")
        }
    }

    /// `ip rule` and every table's routes in the node, both families.
    public func snapshot() throws -> String {
        try inNode("sh -c 'ip rule; ip -6 rule; ip route show table all; ip -6 route show table all'")
    }

    /// Lines only in `before` (-) or only in `after` (+).
    public static func difference(_ before: String, _ after: String) -> String {
        let a = before.split(separator: "\n"), b = after.split(separator: "\n")
        return (a.filter { !b.contains($0) }.map { "- \($0)" } + b.filter { !a.contains($0) }.map { "+ \($0)" }).joined(separator: "\n")
    }

    public func newPod(_ name: String, kubernetesNamespace: String = "e2e") throws -> Pod {
        podCounter += 1
        let namespace = "rc-p\(podCounter)-\(id)"
        try sh("ip netns add \(namespace) && ip netns exec \(namespace) ip link set lo up")
        pods.append(namespace)
        return Pod(name: name, namespace: namespace, kubernetesNamespace: kubernetesNamespace, containerID: "ctr\(id)x\(podCounter)")
    }

    public func deletePodNamespace(_ pod: Pod) throws {
        try sh("ip netns del \(pod.namespace)")
        pods.removeAll { $0 == pod.namespace }
    }

    // MARK: - A runtime in miniature (what libcni does with a conflist)

    public struct Invocation: Sendable {
        public var exitCode: Int32
        public var standardOutput: String
        public var standardError: String
        public var json: JSONValue? { try? JSONValue.parse(standardOutput) }
        public var code: Int? { json?["code"]?.intValue }
    }

    /// Runs one plugin in the node namespace with the runtime's environment and `config`
    /// on standard input.
    public func invoke(_ type: String, command: String, config: JSONValue, pod: Pod?, netns: String? = nil,
                extraEnvironment: [String: String] = [:]) throws -> Invocation {
        let tag = UUID().uuidString.prefix(8)
        let input = work.appendingPathComponent("in-\(tag).json")
        let out = work.appendingPathComponent("out-\(tag).json")
        let err = work.appendingPathComponent("err-\(tag).txt")
        try config.serialized().write(to: input, atomically: true, encoding: .utf8)
        defer { for file in [input, out, err] { try? FileManager.default.removeItem(at: file) } }
        var env: [String: String] = ["CNI_COMMAND": command, "CNI_PATH": binDirectory.path, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        if let pod {
            env["CNI_CONTAINERID"] = pod.containerID
            env["CNI_NETNS"] = netns ?? pod.netns
            env["CNI_IFNAME"] = pod.ifname
            env["CNI_ARGS"] = "IgnoreUnknown=1;K8S_POD_NAMESPACE=\(pod.kubernetesNamespace);K8S_POD_NAME=\(pod.name);K8S_POD_INFRA_CONTAINER_ID=\(pod.containerID)"
        }
        for (k, v) in extraEnvironment { env[k] = v }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let command = "ip netns exec \(node) env -i \(assignments) \(binDirectory.path)/\(type) < \(input.path) > \(out.path) 2> \(err.path)"
        let (status, _) = try TestShell.run(command, in: work)
        return Invocation(exitCode: status,
                          standardOutput: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                          standardError: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// The config libcni hands plugin `plugin` of a conflist: name, cniVersion, prevResult.
    public func pluginConfig(_ plugin: JSONValue, list: JSONValue, previous: JSONValue?) -> JSONValue {
        var config = plugin.setting("name", to: list["name"] ?? .string("e2e"))
            .setting("cniVersion", to: list["cniVersion"] ?? .string("1.0.0"))
        if let previous { config = config.setting("prevResult", to: previous) }
        return config
    }

    /// ADD through the whole list; stops at the first failure (returned). On success the
    /// pod keeps the final result, as a runtime caches it for CHECK and DEL.
    @discardableResult
    public func add(_ pod: inout Pod, list: JSONValue) throws -> Invocation {
        var previous: JSONValue?
        var last = Invocation(exitCode: 0, standardOutput: "", standardError: "")
        for plugin in list["plugins"]?.arrayValue ?? [] {
            let type = plugin["type"]?.stringValue ?? ""
            last = try invoke(type, command: "ADD", config: pluginConfig(plugin, list: list, previous: previous), pod: pod)
            guard last.exitCode == 0, let result = last.json else { return last }
            previous = result
        }
        pod.result = previous
        return last
    }

    /// DEL in reverse order, each plugin given the cached result; every plugin runs even
    /// after one fails (the first failure is returned).
    @discardableResult
    public func delete(_ pod: Pod, list: JSONValue, netns: String? = nil) throws -> Invocation {
        var first: Invocation?
        for plugin in (list["plugins"]?.arrayValue ?? []).reversed() {
            let type = plugin["type"]?.stringValue ?? ""
            let r = try invoke(type, command: "DEL", config: pluginConfig(plugin, list: list, previous: pod.result), pod: pod, netns: netns)
            if r.exitCode != 0 && first == nil { first = r }
        }
        return first ?? Invocation(exitCode: 0, standardOutput: "", standardError: "")
    }

    /// CHECK in order with the cached result.
    public func check(_ pod: Pod, list: JSONValue) throws -> Invocation {
        for plugin in list["plugins"]?.arrayValue ?? [] {
            let type = plugin["type"]?.stringValue ?? ""
            let r = try invoke(type, command: "CHECK", config: pluginConfig(plugin, list: list, previous: pod.result), pod: pod)
            if r.exitCode != 0 { return r }
        }
        return Invocation(exitCode: 0, standardOutput: "", standardError: "")
    }

    /// A conflist: `primary` ("ptp" or "bridge") with host-local, then rampart-cni.
    public func conflist(primary: String = "ptp", subnet: String = "10.244.1.0/24", subnet6: String? = nil, rampart: String = "",
                  withRampart: Bool = true, agentSocket: String = "/nonexistent/agent.sock") throws -> JSONValue {
        let ranges = [#"[{"subnet":"\#(subnet)"}]"#] + (subnet6.map { [#"[{"subnet":"\#($0)"}]"#] } ?? [])
        let routes = #"{"dst":"0.0.0.0/0"}"# + (subnet6 == nil ? "" : #",{"dst":"::/0"}"#)
        let ipam = #"{"type":"host-local","ranges":[\#(ranges.joined(separator: ","))],"routes":[\#(routes)],"dataDir":"\#(work.path)/ipam"}"#
        let first = primary == "bridge"
            ? #"{"type":"bridge","bridge":"cni\#(id.prefix(6))","isGateway":true,"ipMasq":false,"ipam":\#(ipam)}"#
            : #"{"type":"ptp","ipMasq":false,"ipam":\#(ipam)}"#
        var plugins = first
        if withRampart {
            var entry = #"{"type":"rampart-cni","vni":7,"firewallEndpoints":["10.200.0.2"],"agentSocket":"\#(agentSocket)","stateDir":"\#(work.path)/state","logFile":"\#(work.path)/cni.log","agentTimeoutMs":2000"#
            if !rampart.isEmpty { entry += "," + rampart }
            plugins += "," + entry + "}"
        }
        return try JSONValue.parse(#"{"cniVersion":"1.0.0","name":"rampart-e2e","plugins":[\#(plugins)]}"#)
    }

    public var stateDirectory: String { work.path + "/state" }
    public var logText: String { (try? String(contentsOf: work.appendingPathComponent("cni.log"), encoding: .utf8)) ?? "" }

    // MARK: - Background processes

    /// A static HTTP server in `namespace` on `address:port`, as a command for `background`.
    /// A plain TCPServer: `python3 -m http.server` resolves its own name at start, which
    /// waits for DNS timeouts inside a namespace without a resolver.
    public static func httpServer(in namespace: String, address: String, port: Int = 8000, directory: String) -> String {
        let family = address.contains(":") ? "AF_INET6" : "AF_INET"
        let serve = "import functools, http.server, socket, socketserver; "
            + "S = type('S', (socketserver.TCPServer,), {'address_family': socket.\(family), 'allow_reuse_address': True}); "
            + "S(('\(address)', \(port)), functools.partial(http.server.SimpleHTTPRequestHandler, directory='\(directory)')).serve_forever()"
        return "ip netns exec \(namespace) python3 -c \"\(serve)\""
    }

    /// Starts `command` in the background (its output to `log`) and remembers its pid.
    public func background(_ command: String, log: String) throws {
        let pidFile = work.appendingPathComponent("pid-\(UUID().uuidString.prefix(8))").path
        // Braces: `&` must apply to the process alone, not to TestShell's leading `cd … &&`.
        try sh("{ (exec \(command)) > \(work.path)/\(log) 2>&1 & echo $! > \(pidFile); }")
        let text = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if let pid = Int32(text) { backgroundPIDs.append(pid) }
    }

    /// Stops background processes (TERM, then KILL) newest first.
    public func stopBackground() {
        for pid in backgroundPIDs.reversed() {
            kill(pid, SIGTERM)
            for _ in 0..<40 { if kill(pid, 0) != 0 { break }; usleep(50_000) }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, WNOHANG)
        }
        backgroundPIDs.removeAll()
    }

    public func tearDown() {
        stopBackground()
        // RAMPART_E2E_KEEP=1 leaves the namespaces for a post-mortem (delete them by hand).
        if ProcessInfo.processInfo.environment["RAMPART_E2E_KEEP"] != nil { return }
        for namespace in pods + [node, firewallNamespace] { _ = try? TestShell.run("ip netns del \(namespace) 2>/dev/null", in: URL(fileURLWithPath: "/")) }
        try? FileManager.default.removeItem(at: work)
    }
}
