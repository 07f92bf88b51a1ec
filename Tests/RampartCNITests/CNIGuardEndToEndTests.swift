// End-to-end tests of the node-side guards rampart-cni installs for a protected pod (root
// only): anti-spoofing on the pod's host veth and the firewall endpoints out of the pod's
// reach. Everything is sent from real pod namespaces behind the reference ptp/host-local
// chain, through the real rampart-firewall behind the VXLAN tunnel. Nothing outside the
// namespaces the tests create is touched.
import Foundation
import RampartCNI
import RampartCNITestSupport
import RampartTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root (network namespaces)"))
struct CNIGuardEndToEndTests {
    /// Receives UDP on port 7000 (both families) and appends "PAYLOAD SOURCE" per datagram.
    static let listener = """
    import socket, sys
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', 7000))
    out = open(sys.argv[1], 'a', buffering=1)
    while True:
        data, addr = s.recvfrom(2048)
        host = addr[0][7:] if addr[0].startswith('::ffff:') else addr[0]
        out.write(data.decode(errors='replace') + ' ' + host + '\\n')
    """

    /// `send.py SOURCE DESTINATION PORT PAYLOAD`: three datagrams from SOURCE ("-": the
    /// kernel's choice), errors ignored (a prohibited route answers EACCES or ICMP).
    static let sender = """
    import socket, sys, time
    src, dst, port, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET6 if ':' in dst else socket.AF_INET, socket.SOCK_DGRAM)
    if src != '-':
        s.bind((src, 0))
    for _ in range(3):
        try:
            s.sendto(payload.encode(), (dst, port))
        except OSError:
            pass
        time.sleep(0.05)
    """

    /// `vxlan.py FIREWALL COUNT INNER_SRC INNER_DST`: COUNT crafted VXLAN datagrams (VNI 7)
    /// to FIREWALL:6080, each carrying an Ethernet frame with a UDP datagram to INNER_DST:7000.
    static let vxlan = """
    import socket, struct, sys
    def checksum(b):
        s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
        s = (s >> 16) + (s & 0xffff)
        return (~(s + (s >> 16))) & 0xffff
    fw, count, src, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    payload = b'injected'
    udp = struct.pack('!HHHH', 40000, 7000, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    frame = bytes.fromhex('020000007701' + '02aabbccddee' + '0800') + ip + udp
    header = bytes([0x08, 0, 0, 0]) + (7).to_bytes(3, 'big') + b'\\0'
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(count):
        try:
            s.sendto(header + frame, (fw, 6080))
        except OSError:
            pass
    """

    static func agent() throws -> AgentStub {
        try AgentStub { request in
            switch request.op {
            case .decide:
                let steer = request.pod?.hasPrefix("secure") ?? false
                return AgentResponse(steer: steer, reason: steer ? "pod annotation rampart.io/inspect=secure" : "namespace not enabled")
            case .attach, .detach: return AgentResponse(ok: true)
            case .status: return AgentResponse(ready: true, reasons: [])
            }
        }
    }

    @Test func aProtectedPodCannotSpoofNorReachTheFirewall() throws {
        guard let firewall = TestShell.executable(named: "rampart-firewall", packageRoot: CNITestbed.packageRoot) else {
            Issue.record("rampart-firewall is not built"); return
        }
        let agent = try Self.agent()
        defer { agent.stop() }
        let bed = try CNITestbed()
        defer { bed.tearDown() }
        try bed.setUp()
        // The IPv6 half of what the agent keeps (as in CNIEndToEndTests' IPv6 test).
        try bed.inNode("ip -6 neigh replace fe80::77:1 lladdr 02:00:00:00:77:01 dev rampart0 nud permanent")
        try bed.inNode("ip -6 route add default via fe80::77:1 dev rampart0 onlink table 6080 proto static")
        try bed.inNode("ip -6 rule add iif rampart0 lookup main pref 6001")
        let list = try bed.conflist(subnet6: "fd00:244::/64", agentSocket: agent.path)
        let baseline = try bed.snapshot()

        // The firewall with its admin API (token required) and probes on its tunnel address,
        // where a pod could otherwise reach them.
        let work = bed.work.path
        try "read-only e2e guard-e2e-token-0123456789\n".write(toFile: "\(work)/tokens", atomically: true, encoding: .utf8)
        chmod("\(work)/tokens", 0o600)
        try """
        apiVersion: rampart.io/v1
        kind: FirewallConfiguration
        metadata: {name: cni-guard}
        spec:
          listen: 0.0.0.0:6080
          admin: 0.0.0.0:9680
          probes: 0.0.0.0:9681
          auth: {tokensFile: \(work)/tokens}
          vnis: [7]
          tunnelSourceNetworks: [10.200.0.0/30]
          events: \(work)/eve.json
          workers: 1
        ---
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: cni-guard}
        spec:
          zones:
            - {name: pods, networks: [10.244.0.0/16, "fd00:244::/64"]}
          rules:
            - {name: allow-pods, from: [pods], to: [pods], action: allow}
        """.write(toFile: "\(work)/firewall.yaml", atomically: true, encoding: .utf8)
        for (name, text) in [("listen.py", Self.listener), ("send.py", Self.sender), ("vxlan.py", Self.vxlan)] {
            try text.write(toFile: "\(work)/\(name)", atomically: true, encoding: .utf8)
        }
        // The firewall's network reaches the pods (as a cluster's node network does), so
        // nothing but the node's rules stands between a pod and the firewall's ports.
        try bed.sh("ip netns exec \(bed.firewallNamespace) ip route add 10.244.0.0/16 via 10.200.0.1")
        try bed.background("ip netns exec \(bed.firewallNamespace) \(firewall.path) --config \(work)/firewall.yaml", log: "firewall.log")

        var secure = try bed.newPod("secure-a")   // the attacker: protected, steered
        var plain = try bed.newPod("plain-b")     // an unprotected destination
        var victim = try bed.newPod("secure-c")   // another protected pod
        for index in 0..<3 {
            var pod = [secure, plain, victim][index]
            let r = try bed.add(&pod, list: list)
            #expect(r.exitCode == 0, "ADD \(pod.name): \(r.standardOutput) \(r.standardError)")
            if index == 0 { secure = pod } else if index == 1 { plain = pod } else { victim = pod }
        }
        let a = try #require(secure.address), a6 = try #require(secure.address6), veth = try #require(secure.hostInterface)
        let b = try #require(plain.address), b6 = try #require(plain.address6)
        let c = try #require(victim.address)
        let fw = "10.200.0.2"

        func file(_ name: String) -> String { (try? String(contentsOfFile: "\(work)/\(name)", encoding: .utf8)) ?? "" }
        func run(_ pod: CNITestbed.Pod, _ command: String) throws -> (status: Int32, output: String) {
            try TestShell.run("ip netns exec \(pod.namespace) \(command)", in: bed.work)
        }
        func send(from pod: CNITestbed.Pod, source: String, to destination: String, _ payload: String) throws {
            _ = try run(pod, "python3 \(work)/send.py \(source) \(destination) 7000 \(payload)")
        }
        func datagramsAtFirewall() throws -> Int {
            let text = try bed.sh("ip netns exec \(bed.firewallNamespace) curl -s http://127.0.0.1:9681/metrics")
            let line = text.split(separator: "\n").first { $0.hasPrefix("rampart_datagrams_received_total ") }
            return Int(line?.split(separator: " ").last ?? "") ?? -1
        }

        try bed.background("ip netns exec \(plain.namespace) python3 \(work)/listen.py \(work)/b.txt", log: "listen-b.log")
        try bed.background("ip netns exec \(victim.namespace) python3 \(work)/listen.py \(work)/c.txt", log: "listen-c.log")
        #expect(eventually(10) {
            (try? TestShell.run("ip netns exec \(bed.firewallNamespace) curl -sf -o /dev/null http://127.0.0.1:9681/readyz", in: bed.work))?.status == 0
                && (try? TestShell.run("ip netns exec \(plain.namespace) ss -lun | grep -q ':7000' && ip netns exec \(victim.namespace) ss -lun | grep -q ':7000'", in: bed.work))?.status == 0
        }, "firewall or listeners did not start: \(file("firewall.log"))")

        // The pod's own addresses still work, through the firewall (both families).
        try send(from: secure, source: "-", to: b, "own-v4")
        try send(from: secure, source: "-", to: b6, "own-v6")
        #expect(eventually(10) { file("b.txt").contains("own-v4 \(a)") && file("b.txt").contains("own-v6 \(a6)") },
                "the protected pod's own traffic did not arrive: \(file("b.txt"))")

        // 1. Anti-spoofing. Addresses the pod does not own, added inside its namespace: any
        //    address, another pod's, the firewall's (which the node trusts toward pods), IPv6.
        try bed.sh("ip netns exec \(secure.namespace) ip addr add 10.244.1.250/32 dev eth0")
        try bed.sh("ip netns exec \(secure.namespace) ip addr add \(c)/32 dev eth0")
        try bed.sh("ip netns exec \(secure.namespace) ip -6 addr add fd00:244::250/128 dev eth0 nodad")
        try send(from: secure, source: "10.244.1.250", to: b, "spoof-any")
        try send(from: secure, source: c, to: b, "spoof-pod")
        try send(from: secure, source: "fd00:244::250", to: b6, "spoof-v6")
        try bed.sh("ip netns exec \(secure.namespace) ip addr del \(c)/32 dev eth0")   // c is a destination again below

        // 2. The firewall out of reach: crafted VXLAN to its tunnel port, its admin API, its probes.
        let before = try datagramsAtFirewall()
        _ = try run(secure, "python3 \(work)/vxlan.py \(fw) 20 \(a) \(b)")
        let admin = try run(secure, "curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 http://\(fw):9680/tags")
        let probes = try run(secure, "curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 3 http://\(fw):9681/healthz")
        #expect(admin.status != 0, "a protected pod reached the firewall's admin API: HTTP \(admin.output)")
        #expect(probes.status != 0, "a protected pod reached the firewall's probes: HTTP \(probes.output)")
        // The firewall's own address as source, toward another protected pod (the node's
        // exemption `from <firewall> to <pod> lookup main` would deliver it uninspected).
        try bed.sh("ip netns exec \(secure.namespace) ip addr add \(fw)/32 dev eth0")
        try send(from: secure, source: fw, to: c, "spoof-firewall")

        // A last datagram from the pod's own address after all the others; then a moment more.
        try send(from: secure, source: "-", to: b, "marker")
        #expect(eventually(10) { file("b.txt").contains("marker \(a)") })
        usleep(500_000)
        let atB = file("b.txt"), atC = file("c.txt")
        for payload in ["spoof-any", "spoof-pod", "spoof-v6", "injected"] {
            #expect(!atB.contains(payload), "\(payload) reached \(b): \(atB)")
        }
        #expect(!atC.contains("spoof-firewall"), "a datagram with the firewall's source reached \(c) uninspected: \(atC)")
        let after = try datagramsAtFirewall()
        // Only the marker's three datagrams crossed the tunnel since `before`.
        #expect(before >= 0 && after - before < 20, "the pod's VXLAN datagrams reached the firewall: \(before) → \(after)")
        // The node itself (the tunnel, the agent's health checks) still reaches the firewall.
        #expect(try bed.inNode("curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://\(fw):9681/healthz") == "200")

        // The guards are in the node's rules, and CHECK reports a missing one as drift.
        let rules = try bed.inNode("ip rule")
        #expect(rules.contains("6002:\tfrom all to \(fw) iif \(veth) prohibit"), "\(rules)")
        #expect(rules.contains("6004:\tfrom \(a) iif \(veth) lookup 6080"), "\(rules)")
        #expect(rules.contains("6005:\tfrom all iif \(veth) prohibit"), "\(rules)")
        #expect(try bed.inNode("ip -6 rule").contains("6005:\tfrom all iif \(veth) prohibit"))
        #expect(try bed.check(secure, list: list).exitCode == 0)
        try bed.inNode("ip rule del pref 6005 iif \(veth) prohibit")
        let drift = try bed.check(secure, list: list)
        #expect(drift.code == 101, "\(drift.standardOutput)")
        #expect(drift.json?["details"]?.stringValue?.contains("rule missing: 6005: from all iif \(veth) prohibit") == true, "\(drift.standardOutput)")

        // DEL removes exactly what ADD added (the drifted rule already gone is fine).
        for pod in [secure, plain, victim] {
            let r = try bed.delete(pod, list: list)
            #expect(r.exitCode == 0, "DEL \(pod.name): \(r.standardOutput)")
        }
        bed.stopBackground()
        let final = try bed.snapshot()
        #expect(final == baseline, "\(CNITestbed.difference(baseline, final))")
    }
}
