// End-to-end tests of rampart-cni in network namespaces: root only. The reference ptp,
// bridge and host-local plugins run before rampart-cni exactly as a runtime chains them;
// a stub node agent answers over a unix socket; the real rampart-firewall sits behind
// the VXLAN tunnel. Nothing outside the namespaces these tests create is touched.
import Foundation
import RampartCNI
import RampartCNITestSupport
import RampartTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .enabled(if: getuid() == 0, "needs root (network namespaces)"))
struct CNIEndToEndTests {
    /// The stub agent's policy: pods named secure-* are steered.
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

    func withTestbed(agentShared: Bool = true, _ body: (CNITestbed) throws -> Void) throws {
        let bed = try CNITestbed()
        defer { bed.tearDown() }
        try bed.setUp(agentShared: agentShared)
        try body(bed)
    }

    @Test func protectedTrafficCrossesTheFirewallAndDelRestoresTheNode() throws {
        guard let firewall = TestShell.executable(named: "rampart-firewall", packageRoot: CNITestbed.packageRoot) else {
            Issue.record("rampart-firewall is not built"); return
        }
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            let list = try bed.conflist(agentSocket: agent.path)
            let baseline = try bed.snapshot()

            try """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: cni-e2e}
            spec: {listen: 0.0.0.0:6080, admin: 127.0.0.1:9680, vnis: [7], tunnelSourceNetworks: [10.200.0.0/30], events: \(bed.work.path)/eve.json, workers: 1}
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: cni-e2e}
            spec:
              zones:
                - {name: pods, networks: [10.244.0.0/16]}
              rules:
                - {name: allow-pods, from: [pods], to: [pods], action: allow}
            """.write(to: bed.work.appendingPathComponent("firewall.yaml"), atomically: true, encoding: .utf8)
            try bed.background("ip netns exec \(bed.firewallNamespace) \(firewall.path) --config \(bed.work.path)/firewall.yaml", log: "firewall.log")

            var secure = try bed.newPod("secure-a")
            var plain = try bed.newPod("plain-b")
            var other = try bed.newPod("plain-c")
            for pod in [secure, plain, other].indices {
                var p = [secure, plain, other][pod]
                let r = try bed.add(&p, list: list)
                #expect(r.exitCode == 0, "ADD \(p.name): \(r.standardOutput) \(r.standardError)")
                if pod == 0 { secure = p } else if pod == 1 { plain = p } else { other = p }
            }
            let a = try #require(secure.address), b = try #require(plain.address), c = try #require(other.address)
            // The result passes through unchanged: rampart-cni printed ptp's result.
            #expect(secure.result?["interfaces"]?.arrayValue?.count == 2)

            let rules = try bed.inNode("ip rule")
            #expect(rules.contains("to \(a) lookup 6080"))
            #expect(rules.contains("from all to \(a) iif lo lookup main"))
            #expect(!rules.contains("to \(b) lookup 6080"))
            #expect(try bed.check(secure, list: list).exitCode == 0)
            #expect(try bed.check(plain, list: list).exitCode == 0)

            try bed.background(CNITestbed.httpServer(in: plain.namespace, address: b, directory: bed.work.path), log: "http.log")
            var ready = false
            for _ in 0..<100 {
                let probe = try TestShell.run("ip netns exec \(bed.firewallNamespace) curl -s -o /dev/null http://127.0.0.1:9680/readyz && ip netns exec \(plain.namespace) bash -c 'exec 3<>/dev/tcp/\(b)/8000'", in: bed.work)
                if probe.status == 0 { ready = true; break }
                usleep(100_000)
            }
            #expect(ready, "firewall or HTTP server did not start")
            let curl = "curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 5 http://\(b):8000/"
            #expect(try bed.sh("ip netns exec \(secure.namespace) \(curl)") == "200", "protected → unprotected through the firewall")
            #expect(try bed.sh("ip netns exec \(other.namespace) \(curl)") == "200", "unprotected → unprotected directly")
            // Node-originated traffic (a kubelet probe) to a protected pod skips the firewall.
            #expect(try TestShell.run("ip netns exec \(bed.node) ping -c1 -W2 \(a)", in: bed.work).status == 0)

            bed.stopBackground()  // the firewall writes its flow records on SIGTERM
            let events = (try? String(contentsOf: bed.work.appendingPathComponent("eve.json"), encoding: .utf8)) ?? ""
            let flows = events.split(separator: "\n").filter { $0.contains(#""event_type":"flow""#) }
            #expect(flows.contains { $0.contains(#""src_ip":"\#(a)""#) && $0.contains(#""dest_ip":"\#(b)""#) && $0.contains("allow-pods") },
                    "no flow a→b in: \(events.prefix(3000)) firewall: \((try? String(contentsOf: bed.work.appendingPathComponent("firewall.log"), encoding: .utf8)) ?? "")")
            #expect(!flows.contains { $0.contains(#""\#(c)""#) }, "the bypassed pod's traffic reached the firewall")
            #expect(!events.contains(#""src_ip":"10.200.0.1""#))

            for pod in [secure, plain, other] {
                let r = try bed.delete(pod, list: list)
                #expect(r.exitCode == 0, "DEL \(pod.name): \(r.standardOutput)")
            }
            let after = try bed.snapshot()
            #expect(after == baseline, "\(CNITestbed.difference(baseline, after))")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: bed.stateDirectory)) ?? [] == [])
            #expect(agent.requests.filter { $0.op == .attach }.count == 3)
            #expect(agent.requests.filter { $0.op == .detach }.count == 3)
            #expect(agent.requests.contains { $0.op == .attach && $0.pod == "secure-a" && $0.steered == true && $0.ips == [a] })
            // DEL again (runtimes repeat it) and DEL after the netns is gone both succeed.
            #expect(try bed.delete(secure, list: list).exitCode == 0)
            try bed.deletePodNamespace(plain)
            #expect(try bed.delete(plain, list: list).exitCode == 0)
        }
    }

    @Test func hundredAddDelCyclesLeaveNothingBehind() throws {
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            let list = try bed.conflist(agentSocket: agent.path)
            let baseline = try bed.snapshot()
            var pod = try bed.newPod("secure-cycle")
            for cycle in 0..<100 {
                let added = try bed.add(&pod, list: list)
                guard added.exitCode == 0 else { Issue.record("cycle \(cycle) ADD: \(added.standardOutput)"); break }
                let deleted = try bed.delete(pod, list: list)
                guard deleted.exitCode == 0 else { Issue.record("cycle \(cycle) DEL: \(deleted.standardOutput)"); break }
                pod.containerID = "cyc\(bed.id)x\(cycle)"
            }
            let after = try bed.snapshot()
            #expect(after == baseline, "\(CNITestbed.difference(baseline, after))")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: bed.stateDirectory)) ?? [] == [])
            #expect(agent.requests.filter { $0.op == .decide }.count == 100)
        }
    }

    @Test func checkReportsDriftAndAddCreatesSharedItems() throws {
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed(agentShared: false) { bed in
            let list = try bed.conflist(agentSocket: agent.path)
            let baseline = try bed.snapshot()
            var pod = try bed.newPod("secure-drift")
            #expect(try bed.add(&pod, list: list).exitCode == 0)
            let a = try #require(pod.address)
            // No agent had set them up: ADD created the return rule and the table's route.
            #expect(try bed.inNode("ip rule").contains("6001:\tfrom all iif rampart0 lookup main"))
            #expect(try bed.inNode("ip route show table 6080").contains("default via 169.254.77.1 dev rampart0 proto static onlink"))
            try bed.inNode("ip rule del to \(a) lookup 6080 pref 6030")
            let drift = try bed.check(pod, list: list)
            #expect(drift.exitCode != 0)
            #expect(drift.code == 101)
            #expect(drift.json?["details"]?.stringValue?.contains("rule missing: 6030: from all to \(a)/32 lookup 6080") == true)
            #expect(try bed.delete(pod, list: list).exitCode == 0)
            // Shared items stay (agent-owned, harmless); everything per pod is gone.
            let after = try bed.snapshot()
            try bed.inNode("ip rule del pref 6001")
            try bed.inNode("ip route del default table 6080")
            #expect(try bed.snapshot() == baseline, "\(after)")
        }
    }

    @Test func garbageCollectionKeepsOnlyValidAttachments() throws {
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            let list = try bed.conflist(agentSocket: agent.path)
            var keep = try bed.newPod("secure-keep")
            var stale = try bed.newPod("secure-stale")
            #expect(try bed.add(&keep, list: list).exitCode == 0)
            #expect(try bed.add(&stale, list: list).exitCode == 0)
            let kept = try #require(keep.address), gone = try #require(stale.address)
            let rampart = try #require(list["plugins"]?.arrayValue?.last)
            let gc = rampart.setting("name", to: .string("rampart-e2e")).setting("cniVersion", to: .string("1.1.0"))
                .setting("cni.dev/valid-attachments", to: .array([.object([("containerID", .string(keep.containerID)), ("ifname", .string("eth0"))])]))
            let r = try bed.invoke("rampart-cni", command: "GC", config: gc, pod: nil)
            #expect(r.exitCode == 0, "\(r.standardOutput)")
            let rules = try bed.inNode("ip rule")
            #expect(rules.contains("to \(kept) lookup 6080"))
            #expect(!rules.contains("to \(gone) lookup 6080"))
            // The stale pod's guards (firewall out of reach, anti-spoofing) went with it.
            let keptVeth = try #require(keep.hostInterface), goneVeth = try #require(stale.hostInterface)
            #expect(rules.contains("iif \(keptVeth) prohibit"))
            #expect(!rules.contains("iif \(goneVeth) "), "\(rules)")
            #expect(agent.requests.contains { $0.op == .detach && $0.containerID == stale.containerID })
            #expect(try bed.delete(keep, list: list).exitCode == 0)
            #expect(try bed.delete(stale, list: list).exitCode == 0)
            #expect(!(try bed.inNode("ip rule")).contains("lookup 6080"))
            #expect(!(try bed.inNode("ip rule")).contains("prohibit"))
        }
    }

    @Test func bridgePrimarySteersBySourceBehindTheBridge() throws {
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            let list = try bed.conflist(primary: "bridge", subnet: "10.244.2.0/24", agentSocket: agent.path)
            // The bridge itself outlives DEL (the bridge plugin keeps it), and when its last
            // port goes the kernel takes its connected route down: keep a first pod attached
            // for the whole test so the bridge's own state stays put and only ours is compared.
            var warm = try bed.newPod("plain-warm")
            #expect(try bed.add(&warm, list: list).exitCode == 0)
            defer { _ = try? bed.delete(warm, list: list) }
            let baseline = try bed.snapshot()
            var pod = try bed.newPod("secure-bridged")
            let r = try bed.add(&pod, list: list)
            #expect(r.exitCode == 0, "\(r.standardOutput)")
            let a = try #require(pod.address)
            #expect(try bed.inNode("ip rule").contains("from \(a) iif cni\(bed.id.prefix(6)) lookup 6080"))
            #expect(try bed.inNode("ip rule").contains("from \(a) to 10.200.0.2 iif cni\(bed.id.prefix(6)) prohibit"))
            #expect(try bed.check(pod, list: list).exitCode == 0)
            #expect(try bed.delete(pod, list: list).exitCode == 0)
            let after = try bed.snapshot()
            #expect(after == baseline, "\(CNITestbed.difference(baseline, after))")
        }
    }

    @Test func dualStackPodGetsRulesInBothFamilies() throws {
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            try bed.inNode("ip -6 route add default via fe80::77:1 dev rampart0 onlink table 6080 proto static")
            try bed.inNode("ip -6 rule add iif rampart0 lookup main pref 6001")
            let list = try bed.conflist(subnet6: "fd00:244::/64", agentSocket: agent.path)
            let baseline = try bed.snapshot()
            var pod = try bed.newPod("secure-v6")
            let r = try bed.add(&pod, list: list)
            #expect(r.exitCode == 0, "\(r.standardOutput) \(r.standardError)")
            let v6 = pod.result?["ips"]?.arrayValue?.compactMap { $0["address"]?.stringValue }.first { $0.contains(":") }
            let address = try #require(v6.map { String($0.split(separator: "/")[0]) })
            let rules = try bed.inNode("ip -6 rule")
            #expect(rules.contains("from all to \(address) lookup 6080"), "\(rules)")
            #expect(rules.contains("from all to \(address) iif lo lookup main"))
            #expect(try bed.inNode("ip rule").contains("lookup 6080"))
            #expect(try bed.check(pod, list: list).exitCode == 0)
            #expect(try bed.delete(pod, list: list).exitCode == 0)
            let after = try bed.snapshot()
            #expect(after == baseline, "\(CNITestbed.difference(baseline, after))")
        }
    }

    @Test func ipv6TrafficCrossesTheFirewallToo() throws {
        guard let firewall = TestShell.executable(named: "rampart-firewall", packageRoot: CNITestbed.packageRoot) else {
            Issue.record("rampart-firewall is not built"); return
        }
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            // The IPv6 half of what the agent keeps: the table's default route, the gateway's
            // neighbour entry (the firewall's fixed MAC) and the way back to the main table.
            try bed.inNode("ip -6 neigh replace fe80::77:1 lladdr 02:00:00:00:77:01 dev rampart0 nud permanent")
            try bed.inNode("ip -6 route add default via fe80::77:1 dev rampart0 onlink table 6080 proto static")
            try bed.inNode("ip -6 rule add iif rampart0 lookup main pref 6001")
            let list = try bed.conflist(subnet6: "fd00:244::/64", agentSocket: agent.path)
            try """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: cni-e2e-v6}
            spec: {listen: 0.0.0.0:6080, admin: 127.0.0.1:9680, vnis: [7], tunnelSourceNetworks: [10.200.0.0/30], events: \(bed.work.path)/eve.json, workers: 1}
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: cni-e2e-v6}
            spec:
              zones:
                - {name: pods, networks: [10.244.0.0/16, "fd00:244::/64"]}
              rules:
                - {name: allow-pods, from: [pods], to: [pods], action: allow}
            """.write(to: bed.work.appendingPathComponent("firewall.yaml"), atomically: true, encoding: .utf8)
            try bed.background("ip netns exec \(bed.firewallNamespace) \(firewall.path) --config \(bed.work.path)/firewall.yaml", log: "firewall.log")

            func file(_ name: String) -> String {
                (try? String(contentsOf: bed.work.appendingPathComponent(name), encoding: .utf8)) ?? ""
            }
            var secure = try bed.newPod("secure-v6a")
            var plain = try bed.newPod("plain-v6b")
            #expect(try bed.add(&secure, list: list).exitCode == 0)
            #expect(try bed.add(&plain, list: list).exitCode == 0)
            func v6(_ pod: CNITestbed.Pod) -> String? {
                pod.result?["ips"]?.arrayValue?.compactMap { $0["address"]?.stringValue }.first { $0.contains(":") }
                    .map { String($0.split(separator: "/")[0]) }
            }
            let a = try #require(v6(secure)), b = try #require(v6(plain))
            try bed.background(CNITestbed.httpServer(in: plain.namespace, address: b, directory: bed.work.path), log: "http6.log")
            #expect(eventually(10) {
                (try? TestShell.run("ip netns exec \(bed.firewallNamespace) curl -s -o /dev/null http://127.0.0.1:9680/readyz && ip netns exec \(plain.namespace) bash -c 'exec 3<>/dev/tcp/\(b)/8000'", in: bed.work))?.status == 0
            }, "firewall or HTTP server did not start: \(file("http6.log"))")
            let curl = "curl -s -o /dev/null -w '%{http_code}' --connect-timeout 3 --max-time 5 'http://[\(b)]:8000/'"
            #expect(try bed.sh("ip netns exec \(secure.namespace) \(curl)") == "200", "protected → unprotected over IPv6, through the firewall")

            bed.stopBackground()  // the firewall writes its flow records on SIGTERM
            let events = file("eve.json")
            #expect(events.split(separator: "\n").contains {
                $0.contains(#""event_type":"flow""#) && $0.contains(#""src_ip":"\#(a)""#) && $0.contains(#""dest_ip":"\#(b)""#) && $0.contains("allow-pods")
            }, "no IPv6 flow \(a) → \(b) in: \(events.prefix(2000)) firewall: \(file("firewall.log"))")
            #expect(try bed.delete(secure, list: list).exitCode == 0)
            #expect(try bed.delete(plain, list: list).exitCode == 0)
        }
    }

    @Test func failModesWithoutAnAgent() throws {
        try withTestbed { bed in
            let baseline = try bed.snapshot()
            let open = try bed.conflist(rampart: #""failMode":"open""#)
            var pod = try bed.newPod("secure-open")
            let r = try bed.add(&pod, list: open)
            #expect(r.exitCode == 0, "fail open: \(r.standardOutput)")
            #expect(r.standardError.contains("failMode open"))
            #expect(bed.logText.contains(#""event":"agent_unreachable""#))
            #expect(!(try bed.inNode("ip rule")).contains("lookup 6080"))
            #expect(try bed.delete(pod, list: open).exitCode == 0)

            let closed = try bed.conflist(rampart: #""failMode":"closed""#)
            var refused = try bed.newPod("secure-closed")
            let denied = try bed.add(&refused, list: closed)
            #expect(denied.exitCode != 0)
            #expect(denied.code == 11, "\(denied.standardOutput)")
            #expect(denied.json?["details"]?.stringValue?.contains("did not answer") == true)
            // The runtime cleans up a failed ADD with DEL.
            #expect(try bed.delete(refused, list: closed).exitCode == 0)
            #expect(try bed.snapshot() == baseline)
        }
    }

    @Test func aProtectedPodIsNeverStartedUnsteered() throws {
        let agent = try Self.agent()
        defer { agent.stop() }
        try withTestbed { bed in
            let baseline = try bed.snapshot()
            // The agent says "steer", but the tunnel is not there: even with failMode open the
            // ADD is refused (11, try again later) rather than start the pod unprotected.
            let list = try bed.conflist(rampart: #""failMode":"open","tunnelDevice":"rnone0""#, agentSocket: agent.path)
            var pod = try bed.newPod("secure-notunnel")
            let r = try bed.add(&pod, list: list)
            #expect(r.exitCode != 0)
            #expect(r.code == 11, "\(r.standardOutput)")
            #expect(r.json?["details"]?.stringValue?.contains("tunnel device rnone0 is missing") == true)
            #expect(bed.logText.contains(#""event":"tunnel_missing""#))
            #expect(try bed.delete(pod, list: list).exitCode == 0)
            #expect(try bed.snapshot() == baseline)
            // A pod the agent does not protect starts as usual without the tunnel.
            var plain = try bed.newPod("plain-notunnel")
            #expect(try bed.add(&plain, list: list).exitCode == 0)
            #expect(try bed.delete(plain, list: list).exitCode == 0)
        }
    }

    @Test func specErrorsFromTheBinary() throws {
        try withTestbed { bed in
            var pod = try bed.newPod("secure-errors")
            let previous = try JSONValue.parse(#"{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],"ips":[{"address":"10.244.9.9/24","interface":0}]}"#)
            let base = try bed.conflist(agentSocket: "/nonexistent.sock")
            let rampart = bed.pluginConfig(try #require(base["plugins"]?.arrayValue?.last), list: base, previous: nil)
                .setting("cniVersion", to: .string("1.1.0"))
            // Run first in a chain: no prevResult.
            #expect(try bed.invoke("rampart-cni", command: "ADD", config: rampart, pod: pod).code == 7)
            #expect(try bed.invoke("rampart-cni", command: "ADD", config: rampart.setting("cniVersion", to: .string("9.9.9")), pod: pod).code == 1)
            #expect(try bed.invoke("rampart-cni", command: "ADD", config: rampart.setting("prevResult", to: previous), pod: pod,
                                   netns: "/run/netns/rc-missing-\(bed.id)").code == 3)
            #expect(try bed.invoke("rampart-cni", command: "ADD", config: rampart, pod: pod,
                                   extraEnvironment: ["CNI_IFNAME": ""]).code == 4)
            let version = try bed.invoke("rampart-cni", command: "VERSION", config: .object([("cniVersion", .string("1.1.0"))]), pod: nil)
            #expect(version.json?["supportedVersions"]?.arrayValue?.count == 3)
            #expect(try bed.invoke("rampart-cni", command: "STATUS", config: rampart, pod: nil).code == 50)
            // DEL of something never added, with the netns gone: success.
            pod.result = previous
            #expect(try bed.invoke("rampart-cni", command: "DEL", config: rampart.setting("prevResult", to: previous), pod: pod,
                                   netns: "/run/netns/rc-missing-\(bed.id)").exitCode == 0)
            #expect(try bed.invoke("rampart-cni", command: "DEL", config: rampart, pod: pod, netns: "").exitCode == 0)
            // Bad stdin.
            let garbage = try bed.sh("ip netns exec \(bed.node) env CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/x CNI_IFNAME=eth0 \(bed.binDirectory.path)/rampart-cni <<< '{nope' ; echo \" exit=$?\"")
            #expect(garbage.contains(#""code":6"#) && garbage.contains("exit=1"), "\(garbage)")
        }
    }
}
