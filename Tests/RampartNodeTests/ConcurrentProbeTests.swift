import Foundation
import RampartNetlink
import RampartNode
import RampartPOSIX
import RampartTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Health probes run all at once (docs/node-agent.md, "Failing over"): a firewall whose
/// host vanished (its packets dropped, so a probe waits for its whole timeout) must not
/// delay noticing that another firewall died. Root only: everything lives in a network
/// namespace of its own (prefix `so2-`), with a real HTTP server (python3's http.server)
/// as the live firewall's probe listener and an address whose packets go nowhere.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root for network namespaces"))
struct ConcurrentProbeTests {
    /// `so2-probe-PID-RANDOM` with loopback up and a black hole: 10.77.0.9 sits behind a
    /// veth whose peer has no such address, with a permanent neighbour entry, so SYNs leave
    /// and nothing ever answers (no ARP failure, no ICMP: a host that vanished).
    struct Namespace {
        let name = "so2-probe-\(getpid())-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var path: String { "/run/netns/\(name)" }
        init() throws {
            try Self.shell("ip netns add \(name)")
            for command in [
                "ip link set lo up", "ip link add bh type veth peer name bhpeer", "ip addr add 10.77.0.1/24 dev bh",
                "ip link set bh up", "ip link set bhpeer up",
                "ip neigh replace 10.77.0.9 lladdr 02:00:00:00:00:09 dev bh nud permanent",
            ] {
                try Self.shell("ip netns exec \(name) \(command)")
            }
        }
        func delete() { _ = try? TestShell.run("ip netns del \(name)", in: URL(fileURLWithPath: "/")) }
        static func shell(_ command: String) throws {
            let (status, output) = try TestShell.run(command, in: URL(fileURLWithPath: "/"))
            guard status == 0 else { throw KubeTestServerError("\(command): \(output)") }
        }
    }

    /// python3's http.server on 127.0.0.1:`port` inside the namespace (answers 200 to `/`).
    static func startServer(in namespace: Namespace, port: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, "python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port)"]
        process.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func aBlackHoledFirewallDoesNotDelayDetectingAnothersFailure() throws {
        let namespace = try Namespace()
        defer { namespace.delete() }
        let port = 19_000 + Int(getpid() % 1000)
        let server = try Self.startServer(in: namespace, port: port)
        // SIGKILL: a test runner's thread may have started it with SIGTERM blocked.
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }

        let vanished = FirewallEndpoint(address: NetlinkAddress("10.77.0.9")!, admin: "http://10.77.0.9:9681")
        var live = FirewallEndpoint(address: NetlinkAddress("10.77.0.1")!, admin: "http://127.0.0.1:\(port)")
        live.healthPath = "/"
        // A long timeout makes the difference plain: probing one after another, every pass
        // would wait 3 s for the vanished firewall before asking the live one again.
        let health = FirewallHealth(firewalls: [vanished, live], failureThreshold: 1, timeout: 3)
        let changes = Mutex<[(String, Bool, ContinuousClock.Instant)]>([])
        let stop = StopSignal()
        let netns = try NetworkNamespace(path: namespace.path)
        let thread = NamedThread.start(name: "so2-probe") {
            // The probes' sockets are opened on this thread, so they live in the namespace.
            _ = try? netns.perform {
                health.watch(interval: 0.1, until: stop) { firewall, state in
                    changes.withLock { $0.append(("\(firewall.address)", state.healthy, .now)) }
                }
            }
        }
        defer {
            stop.stop()
            _ = eventually(5) { thread.isFinished }
        }

        #expect(eventually(10) { health.snapshot.first { $0.0 == live }?.1.healthy == true }, "the live firewall never answered")
        let killed = ContinuousClock.now
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        #expect(eventually(5) { health.snapshot.first { $0.0 == live }?.1.healthy == false })
        let detected = try #require(changes.withLock { $0 }.first { $0.0 == "10.77.0.1" && !$0.1 }?.2)
        let detection = Self.seconds(killed.duration(to: detected))
        // One probe interval (0.1 s) plus the probe itself; a sequential pass would take > 3 s.
        #expect(detection < 1.0, "the live firewall's failure took \(detection) s to notice")
        // The vanished one fails only once its own 3 s are over (it never was healthy, so
        // that is no change of health).
        #expect(eventually(5) { health.snapshot.first { $0.0 == vanished }?.1.lastError?.contains("10.77.0.9") == true })
        print("so2 probes: live firewall's failure noticed \(cFormat("%.3f", detection)) s after its server stopped; the vanished one's probe times out after 3 s")
    }

    @Test func onePassLastsAsLongAsTheSlowestProbeNotTheirSum() throws {
        let namespace = try Namespace()
        defer { namespace.delete() }
        try Namespace.shell("ip netns exec \(namespace.name) ip neigh replace 10.77.0.8 lladdr 02:00:00:00:00:08 dev bh nud permanent")
        let firewalls = ["10.77.0.8", "10.77.0.9"].map { FirewallEndpoint(address: NetlinkAddress($0)!, admin: "http://\($0):9681") }
        let health = FirewallHealth(firewalls: firewalls, failureThreshold: 1, timeout: 1)
        let netns = try NetworkNamespace(path: namespace.path)
        let started = ContinuousClock.now
        try netns.perform { health.checkAll() }
        let pass = Self.seconds(started.duration(to: .now))
        #expect(pass >= 0.9 && pass < 1.7, "two vanished firewalls with a 1 s timeout: the pass took \(pass) s")
        for (firewall, state) in health.snapshot {
            #expect(!state.healthy && state.lastError?.contains("\(firewall.address)") == true, "\(state)")
        }
    }
}
