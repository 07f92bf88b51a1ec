import FoundationEssentials
import RampartPOSIX
import RampartHTTP
import RampartCNI
import RampartKube
import RampartNetlink
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The node agent: keeps the tunnel and the plugin installed, mirrors this node's pods and
/// all namespaces, answers the plugin's questions on a unix socket, health-checks the
/// firewalls, and re-steers running pods when their annotations (or the firewalls'
/// health, failing open) change. A set of small loops, each on its own thread:
///
/// | loop | does |
/// |---|---|
/// | pods, namespaces | Reflectors → `NodeInventory`; a change wakes the reconciler |
/// | firewall pods | Reflector → `FirewallGuard`: their own addresses refused to protected pods |
/// | socket | `decide`, `attach`, `detach`, `status` from the plugin |
/// | health | firewall probes, tunnel and plugin upkeep, gauges |
/// | reconciler | compares each attachment with its decision; steers or un-steers |
/// | http | `/metrics`, `/healthz`, `/readyz` |
///
/// ```swift
/// let agent = try NodeAgent(configuration: try NodeConfiguration.load(path: "/etc/rampart/node.yaml"))
/// try agent.start()
/// // … until SIGTERM
/// agent.shutdown()
/// ```
public final class NodeAgent: Sendable {
    /// What tests (and unusual deployments) replace.
    public struct Dependencies: Sendable {
        /// Applies a running pod's steering; nil: `KernelSteering` from the configuration.
        public var steering: SteeringAction?
        /// Probes a firewall; nil: `GET {admin}/healthz`.
        public var probe: (@Sendable (FirewallEndpoint, Double) -> String?)?
        /// Overrides the configuration's credentials.
        public var credentials: ClusterCredentials?
        public init(steering: SteeringAction? = nil, probe: (@Sendable (FirewallEndpoint, Double) -> String?)? = nil,
                    credentials: ClusterCredentials? = nil) {
            self.steering = steering
            self.probe = probe
            self.credentials = credentials
        }
    }

    public let configuration: NodeConfiguration
    public let inventory = NodeInventory()
    public let attachments: AttachmentRegistry
    public let health: FirewallHealth
    public let metrics = NodeMetrics()
    public let events: NodeEventLog
    public let tunnel: TunnelDevice
    public let installation: PluginInstallation
    /// Nil unless `spec.firewallPods` names in-cluster firewalls.
    public let firewallGuard: FirewallGuard?
    /// Nil unless `spec.balancing: hash`: sessions spread over every healthy firewall.
    public let spreader: SessionSpreader?
    /// Nil unless `spec.firewallService`: firewalls from the Service's EndpointSlices.
    public let discovery: FirewallDiscovery?
    private let steering: SteeringAction
    private let credentials: ClusterCredentials
    private let stopSignal = StopSignal()
    private let wake = Atomic<Bool>(false)
    private let tunnelUp = Atomic<Bool>(false)
    private let runningThreads = Atomic<Int>(0)
    private let problems = Mutex<[String: String]>([:])
    private let listeners = Mutex<[ListeningSocket]>([])
    private let http = Mutex<HTTPServer?>(nil)
    /// Held while the tunnel and its buckets are brought in line (`keepTunnel`).
    private let tunnelKeeping = Mutex(())
    /// The bucket owners the per-firewall counters were last pointed at (`programCounters`).
    private let countedOwners = Mutex<[NetlinkAddress?]>([])
    /// Addresses actually bound (`socket`, `http`), for tests that ask for port 0.
    private let bound = Mutex<[String: String]>([:])

    public init(configuration: NodeConfiguration, dependencies: Dependencies = Dependencies()) throws(NodeError) {
        self.configuration = configuration
        attachments = try AttachmentRegistry(path: configuration.statePath)
        health = FirewallHealth(firewalls: configuration.firewalls, failureThreshold: configuration.healthFailures,
                                timeout: configuration.healthTimeout, probe: dependencies.probe)
        events = try NodeEventLog(path: configuration.events)
        tunnel = TunnelDevice(settings: configuration.tunnel, firewalls: configuration.firewalls.map(\.address))
        installation = PluginInstallation(
            binDirectory: configuration.cni.binDirectory, confDirectory: configuration.cni.confDirectory,
            pluginBinary: configuration.cni.pluginBinary, entry: configuration.pluginEntry)
        discovery = configuration.firewallService.map { FirewallDiscovery(service: $0, healthPath: configuration.healthPath) }
        spreader = configuration.balancing == .hash
            ? SessionSpreader(settings: configuration.tunnel, buckets: configuration.buckets, scope: configuration.hashScope, seed: configuration.hashSeed)
            : nil
        firewallGuard = configuration.firewallPods.map { _ in FirewallGuard(table: configuration.tunnel.table) }
        if let steering = dependencies.steering {
            self.steering = steering
        } else {
            self.steering = try KernelSteering(entry: configuration.pluginEntry, namespacePath: configuration.tunnelNamespace).action
        }
        if let credentials = dependencies.credentials {
            self.credentials = credentials
        } else {
            do { credentials = try configuration.clusterCredentials() } catch { throw .configuration("\(error)") }
        }
    }

    // MARK: lifecycle

    /// Binds the socket and the HTTP port (failing fast when either is taken), then starts
    /// every loop. Returns at once.
    public func start() throws(NodeError) {
        let socket = try ListeningSocket.unix(path: configuration.socketPath, mode: 0o600)
        var server: HTTPServer?
        if let listen = configuration.metricsListen {
            // The shared server's probe mode: GET and HEAD only, no credentials, its own threads.
            do {
                server = try HTTPServer(name: "agent", listen: listen, access: .probes, limits: .probes) { [self] request in
                    route(request.path) ?? .text(404, "not found; try /metrics, /healthz or /readyz")
                }
            } catch { throw .configuration("spec.metrics: \(error)") }
        }
        listeners.withLock { $0 = [socket] }
        http.withLock { $0 = server }
        bound.withLock { bound in
            bound["socket"] = socket.address
            if let server { bound["http"] = server.local.description }
        }
        upkeep(checkHealth: false)

        var podSettings = Reflector<Pod>.Settings()
        podSettings.selector = KubeClient.Selector(fieldSelector: "spec.nodeName=\(configuration.nodeName)")
        let pods = Reflector<Pod>(credentials: credentials, settings: podSettings, onStatus: { [self] in noteStatus($0) }, onChange: { [self] change in
            if !inventory.apply(change).isEmpty { wake.store(true, ordering: .releasing) }
        })
        let namespaces = Reflector<Namespace>(credentials: credentials, onStatus: { [self] in noteStatus($0) }, onChange: { [self] change in
            if !inventory.apply(change).isEmpty { wake.store(true, ordering: .releasing) }
        })
        let stop = stopSignal
        launch("watch pods") { pods.run(until: stop) }
        launch("watch ns") { namespaces.run(until: stop) }
        if let selection = configuration.firewallPods, let firewallGuard {
            var settings = Reflector<Pod>.Settings()
            settings.selector = KubeClient.Selector(namespace: selection.namespace, labelSelector: selection.labelSelector)
            let firewallPods = Reflector<Pod>(credentials: credentials, settings: settings, onStatus: { [self] in noteStatus($0) }, onChange: { [self] change in
                if firewallGuard.apply(change) { guardFirewalls() }
            })
            launch("watch fw pods") { firewallPods.run(until: stop) }
        }
        if let discovery, let service = configuration.firewallService {
            var settings = Reflector<EndpointSlice>.Settings()
            settings.selector = KubeClient.Selector(namespace: service.namespace, labelSelector: discovery.labelSelector)
            let slices = Reflector<EndpointSlice>(credentials: credentials, settings: settings, onStatus: { [self] in noteStatus($0) }, onChange: { [self] change in
                if discovery.apply(change) { firewallsListed() }
            })
            launch("watch fw slices") { slices.run(until: stop) }
        }
        launch("agent-socket") { [self] in socket.serve(until: stop) { fd in self.serveAgentConnection(fd) } }
        server?.start()
        launch("health") { [self] in
            while stop.sleep(configuration.healthInterval) { upkeep(checkHealth: !health.probesOnItsOwnThread) }
        }
        if health.probesOnItsOwnThread {
            launch("probe") { [self] in
                // Every firewall on its own schedule, all in flight at once: a change acts at
                // once, whatever the other probes are waiting for.
                health.watch(interval: configuration.healthInterval, until: stop) { firewall, state in
                    noteTransition(of: firewall, to: state)
                    wake.store(true, ordering: .releasing)
                    keepTunnel()
                }
            }
        }
        launch("reconcile") { [self] in
            var sinceResync = 0.0
            while stop.sleep(0.1) {
                sinceResync += 0.1
                if wake.exchange(false, ordering: .acquiringAndReleasing) || sinceResync >= configuration.resyncInterval {
                    sinceResync = 0
                    reconcile()
                }
            }
        }
        launch("upkeep") { [self] in
            // The first health check runs at once, not one interval after start (the probe
            // thread, when there is one, starts probing at once by itself).
            upkeep(checkHealth: !health.probesOnItsOwnThread)
        }
        if let logFile = configuration.plugin.logFile {
            let folder = PathName.folder(of: configuration.statePath)
            let follower = PluginLogFollower(path: logFile, offsetFile: (folder.isEmpty ? "." : folder) + "/cni-log.offset")
            let metrics = self.metrics
            launch("cni-log") {
                repeat { follower.poll(into: metrics) } while stop.sleep(1)
            }
        }
    }

    /// Stops every loop and waits (up to `timeout` seconds) for them to end. The tunnel,
    /// the plugin and the pods' steering stay as they are: pods keep working across an
    /// agent restart.
    public func shutdown(timeout: Double = 10) {
        stopSignal.stop()
        var waited = 0.0
        while runningThreads.load(ordering: .acquiring) > 0 && waited < timeout {
            usleep(20_000)
            waited += 0.02
        }
        listeners.withLock { $0 = [] }
        http.withLock { $0?.stop(); $0 = nil }
    }

    /// The unix socket path and HTTP `host:port` actually bound.
    public var boundAddresses: [String: String] { bound.withLock { $0 } }

    private func launch(_ name: String, _ body: @escaping @Sendable () -> Void) {
        runningThreads.add(1, ordering: .relaxed)
        NamedThread.start(name: name) { [self] in
            body()
            runningThreads.subtract(1, ordering: .releasing)
        }
    }

    private func noteStatus(_ status: ReflectorStatus) {
        switch status {
        case .synced(let resource, _):
            problems.withLock { $0[resource] = nil }
        case .failed(let resource, let error, let retryIn):
            problems.withLock { $0[resource] = "\(error) (retrying in \(cFormat("%.1f", retryIn)) s)" }
        default:
            // Relisting, and any state RampartKube adds later: not a failure by itself.
            break
        }
    }

    // MARK: decisions

    /// The answer to the plugin's `decide` for a pod being created: its annotations, and
    /// nothing else. A protected pod is never started unsteered (fail-closed enrollment):
    /// `failOpen` applies to running pods only, and a missing tunnel makes the plugin's ADD
    /// fail (try again later). Nil while the cache is not synced: the agent does not know,
    /// and the plugin's `failMode` decides.
    public func enrollmentDecision(namespace: String, pod: String) -> SteeringDecision? {
        guard inventory.isSynced else { return nil }
        return inventory.decide(namespace: namespace, pod: pod)
    }

    /// The decision for a running pod: annotations first, then fail-open (with
    /// `failOpen: true`) while no firewall is healthy or the tunnel is down.
    public func decide(namespace: String, pod: String) -> SteeringDecision {
        let decision = inventory.decide(namespace: namespace, pod: pod)
        guard decision.steer, configuration.failOpen else { return decision }
        var missing: [String] = []
        if !health.anyHealthy { missing.append("no healthy firewall") }
        if configuration.manageTunnel && !tunnelUp.load(ordering: .acquiring) { missing.append("tunnel \(configuration.tunnel.name) is down") }
        guard !missing.isEmpty else { return decision }
        return SteeringDecision(
            steer: false, basis: .failOpen, reason: "fail-open (\(missing.joined(separator: ", "))); would steer: \(decision.reason)",
            podCached: decision.podCached)
    }

    /// Readiness: the cache is synced, the tunnel exists, a firewall is healthy.
    public func status() -> (ready: Bool, reasons: [String]) {
        var reasons: [String] = []
        let unsynced = inventory.unsyncedResources
        if !unsynced.isEmpty {
            let errors = problems.withLock { $0 }.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            reasons.append("cache not synced (\(unsynced.joined(separator: ", ")))" + (errors.isEmpty ? "" : ": " + errors.joined(separator: "; ")))
        }
        if let firewallGuard, firewallGuard.addresses == nil {
            let detail = problems.withLock { $0["firewall guard"] }
            reasons.append("firewall pods not listed yet: their addresses are not guarded" + (detail.map { " (\($0))" } ?? ""))
        }
        if let discovery, discovery.addresses == nil {
            reasons.append("the firewall Service's endpoints are not listed yet (\(discovery.service.namespace)/\(discovery.service.name))")
        }
        if configuration.manageTunnel && !tunnelUp.load(ordering: .acquiring) {
            let detail = problems.withLock { $0["tunnel"] }
            reasons.append("tunnel \(configuration.tunnel.name) missing or down" + (detail.map { ": \($0)" } ?? ""))
        }
        if !health.anyHealthy {
            let detail = health.snapshot.map { "\($0.0.address): \($0.1.lastError ?? "not checked yet")" }
            reasons.append("no healthy firewall (\(detail.joined(separator: "; ")))")
        }
        return (reasons.isEmpty, reasons)
    }

    /// Answers one plugin request.
    public func respond(to request: AgentRequest) -> AgentResponse {
        switch request.op {
        case .decide:
            guard let namespace = request.namespace, let pod = request.pod, !namespace.isEmpty, !pod.isEmpty else {
                metrics.count("rampart_node_requests_total", ["op": "decide", "outcome": "error"])
                return AgentResponse(error: "decide needs namespace and pod (K8S_POD_NAMESPACE, K8S_POD_NAME in CNI_ARGS)")
            }
            guard let decision = enrollmentDecision(namespace: namespace, pod: pod) else {
                let missing = inventory.unsyncedResources.joined(separator: ", ")
                metrics.count("rampart_node_requests_total", ["op": "decide", "outcome": "undecided"])
                metrics.count("rampart_node_decisions_total", ["result": "undecided"])
                events.record("steering", [
                    "decision": "undecided", "namespace": namespace, "pod": pod, "container_id": request.containerID ?? "",
                    "reason": "the pod and namespace cache is not synced yet (\(missing)); the plugin's failMode decides",
                ])
                return AgentResponse(error: "the agent's pod and namespace cache is not synced yet (\(missing)); the plugin's failMode decides")
            }
            metrics.count("rampart_node_requests_total", ["op": "decide", "outcome": "ok"])
            record(decision, namespace: namespace, pod: pod, containerID: request.containerID ?? "")
            return AgentResponse(steer: decision.steer, reason: decision.reason)
        case .attach:
            guard let containerID = request.containerID, let ifname = request.ifname, let namespace = request.namespace,
                  let pod = request.pod, let hostInterface = request.hostInterface
            else {
                metrics.count("rampart_node_requests_total", ["op": "attach", "outcome": "error"])
                return AgentResponse(error: "attach needs containerID, ifname, namespace, pod and hostInterface")
            }
            let attachment = PodAttachment(
                containerID: containerID, ifname: ifname, netns: request.netns ?? "", namespace: namespace, pod: pod,
                ips: request.ips ?? [], hostInterface: hostInterface, steered: request.steered ?? false)
            do {
                try attachments.put(attachment)
            } catch {
                metrics.count("rampart_node_requests_total", ["op": "attach", "outcome": "error"])
                return AgentResponse(error: "\(error)")
            }
            metrics.count("rampart_node_requests_total", ["op": "attach", "outcome": "ok"])
            // The annotation may have changed between decide and attach.
            wake.store(true, ordering: .releasing)
            updateAttachmentGauges()
            return AgentResponse(ok: true)
        case .detach:
            guard let containerID = request.containerID, let ifname = request.ifname else {
                metrics.count("rampart_node_requests_total", ["op": "detach", "outcome": "error"])
                return AgentResponse(error: "detach needs containerID and ifname")
            }
            do {
                try attachments.remove(containerID: containerID, ifname: ifname)
            } catch {
                metrics.count("rampart_node_requests_total", ["op": "detach", "outcome": "error"])
                return AgentResponse(error: "\(error)")
            }
            metrics.count("rampart_node_requests_total", ["op": "detach", "outcome": "ok"])
            updateAttachmentGauges()
            return AgentResponse(ok: true)
        case .status:
            metrics.count("rampart_node_requests_total", ["op": "status", "outcome": "ok"])
            let (ready, reasons) = status()
            return AgentResponse(ready: ready, reasons: reasons)
        }
    }

    /// Counts every decision; bypass and fail-open ones are also events.
    private func record(_ decision: SteeringDecision, namespace: String, pod: String, containerID: String) {
        let result = decision.steer ? "steer" : decision.isFailOpen ? "fail_open" : decision.isBypass ? "bypass" : "not_steered"
        metrics.count("rampart_node_decisions_total", ["result": result])
        guard decision.isBypass || decision.isFailOpen else { return }
        if decision.isBypass { metrics.count("rampart_node_bypass_total") }
        if decision.isFailOpen { metrics.count("rampart_node_fail_open_total", ["reason": failOpenReason(decision)]) }
        events.record("steering", [
            "decision": decision.isBypass ? "bypass" : "fail-open", "namespace": namespace, "pod": pod,
            "container_id": containerID, "reason": decision.reason, "pod_cached": decision.podCached ? "true" : "false",
        ])
    }

    private func failOpenReason(_ decision: SteeringDecision) -> String {
        if decision.reason.contains("no healthy firewall") { return "no_firewall" }
        if decision.reason.contains("tunnel") { return "tunnel_down" }
        return "not_cached"
    }

    private func serveAgentConnection(_ fd: Int32) {
        guard let line = ListeningSocket.read(from: fd, until: [0x0A]) else { return }
        let response: AgentResponse
        do {
            response = respond(to: try AgentRequest.parse(line: String(decoding: line, as: UTF8.self)))
        } catch {
            metrics.count("rampart_node_requests_total", ["op": "invalid", "outcome": "error"])
            response = AgentResponse(error: "\(error)")
        }
        ListeningSocket.write(Array(response.line().utf8), to: fd)
    }

    // MARK: running pods

    /// Brings every known attachment's steering in line with its current decision. Does
    /// nothing until the cache is synced: an empty cache must not un-steer every pod.
    public func reconcile() {
        guard inventory.isSynced else { return }
        for attachment in attachments.all {
            let decision = decide(namespace: attachment.namespace, pod: attachment.pod)
            guard decision.steer != attachment.steered else { continue }
            let direction = decision.steer ? "steer" : "unsteer"
            var fields = [
                "namespace": attachment.namespace, "pod": attachment.pod, "container_id": attachment.containerID,
                "ifname": attachment.ifname, "action": direction, "reason": decision.reason,
            ]
            do {
                try steering(attachment, decision.steer)
                try attachments.setSteered(decision.steer, key: attachment.key)
                metrics.count("rampart_node_resteer_total", ["direction": direction, "outcome": "ok"])
                if decision.isFailOpen {
                    metrics.count("rampart_node_fail_open_total", ["reason": failOpenReason(decision)])
                    fields["decision"] = "fail-open"
                } else if decision.isBypass {
                    metrics.count("rampart_node_bypass_total")
                    fields["decision"] = "bypass"
                }
                events.record("resteer", fields)
            } catch {
                metrics.count("rampart_node_resteer_total", ["direction": direction, "outcome": "error"])
                fields["error"] = "\(error)"
                if !attachment.netns.isEmpty, !FileManager.default.fileExists(atPath: attachment.netns) {
                    // The pod is gone and its DEL was missed (agent down): forget it.
                    _ = try? attachments.remove(containerID: attachment.containerID, ifname: attachment.ifname)
                    fields["forgotten"] = "network namespace \(attachment.netns) is gone"
                }
                events.record("resteer", fields)
            }
        }
        updateAttachmentGauges()
    }

    // MARK: upkeep

    /// Health checks, the tunnel, the plugin's installation and the gauges.
    private func upkeep(checkHealth: Bool) {
        if checkHealth { probeFirewalls() }
        keepTunnel()
        guardFirewalls()
        if configuration.cni.install {
            do {
                let outcome = try installation.install()
                if outcome.conflistChanged || outcome.binaryChanged {
                    events.record("plugin", [
                        "action": "installed", "conflist": outcome.conflist ?? "",
                        "conflist_changed": "\(outcome.conflistChanged)", "binary_changed": "\(outcome.binaryChanged)",
                    ])
                }
                problems.withLock { $0["plugin"] = nil }
            } catch {
                let text = "\(error)"
                let previous = problems.withLock { problems in
                    defer { problems["plugin"] = text }
                    return problems["plugin"]
                }
                if previous != text { events.record("plugin", ["action": "install-failed", "error": text]) }
            }
            metrics.set("rampart_node_plugin_installed", [:], installation.isInstalled() ? 1 : 0)
        }
        metrics.resetGauge("rampart_node_firewall_healthy")
        for (firewall, state) in health.snapshot {
            metrics.set("rampart_node_firewall_healthy", ["address": "\(firewall.address)"], state.healthy ? 1 : 0)
        }
        metrics.set("rampart_node_cache_synced", [:], inventory.isSynced ? 1 : 0)
        metrics.set("rampart_node_tunnel_up", [:], configuration.manageTunnel ? (tunnelUp.load(ordering: .acquiring) ? 1 : 0) : 1)
        metrics.set("rampart_node_ready", [:], status().ready ? 1 : 0)
        updateAttachmentGauges()
    }

    /// The tunnel device, its firewall (the first healthy one) and, with `balancing: hash`,
    /// the buckets: from every upkeep pass and at once when a firewall's health changes, one
    /// at a time.
    private func keepTunnel() {
        guard configuration.manageTunnel else { return }
        tunnelKeeping.withLock { _ in
            do {
                let socket = try netlinkSocket()
                let namespace = try configuration.tunnelNamespace.map { path throws(NetlinkError) in try NetworkNamespace(path: path) }
                // Every pass: a device, rule or route someone deleted comes back within one interval.
                try tunnel.ensure(using: socket, namespace: namespace)
                let active = health.firstHealthy ?? health.firewalls.first
                if let active { try tunnel.selectFirewall(active.address, using: socket) }
                if let spreader {
                    try spread(with: spreader, using: socket, namespace: namespace)
                } else {
                    // Active/passive: the active firewall carries every session.
                    metrics.resetGauge("rampart_node_firewall_share")
                    for firewall in health.firewalls {
                        metrics.set("rampart_node_firewall_share", ["address": "\(firewall.address)"], firewall == active ? 1 : 0)
                    }
                }
                let up = tunnel.exists(using: socket)
                if tunnelUp.exchange(up, ordering: .acquiringAndReleasing) != up { wake.store(true, ordering: .releasing) }
                problems.withLock { $0["tunnel"] = nil }
            } catch {
                if tunnelUp.exchange(false, ordering: .acquiringAndReleasing) { wake.store(true, ordering: .releasing) }
                let text = "\(error)"
                let previous = problems.withLock { problems in
                    defer { problems["tunnel"] = text }
                    return problems["tunnel"]
                }
                if previous != text { events.record("tunnel", ["error": text, "device": configuration.tunnel.name]) }
            }
        }
    }

    /// The firewall Service's endpoints changed: the configured firewalls and the listed
    /// ones become the list; new ones are probed at once and get buckets when healthy.
    private func firewallsListed() {
        guard let discovery else { return }
        var list = configuration.firewalls
        for firewall in discovery.firewalls where !list.contains(where: { $0.address == firewall.address }) { list.append(firewall) }
        guard health.replaceFirewalls(list) else { return }
        events.record("firewall", [
            "action": "listed", "service": "\(discovery.service.namespace)/\(discovery.service.name)",
            "firewalls": list.map { "\($0.address)" }.joined(separator: " "),
        ])
        upkeep(checkHealth: !health.probesOnItsOwnThread)
    }

    /// Probes every firewall once; each change of health is an event (`firewall`) and a
    /// metric, and wakes the reconciler (fail-open decisions depend on it).
    public func probeFirewalls() {
        var before: [NetlinkAddress: Bool] = [:]
        for (firewall, state) in health.snapshot { before[firewall.address] = state.healthy }
        guard health.checkAll() else { return }
        for (firewall, state) in health.snapshot where before[firewall.address].map({ $0 != state.healthy }) ?? state.healthy {
            noteTransition(of: firewall, to: state)
        }
        wake.store(true, ordering: .releasing)
    }

    /// One change of a firewall's health: an event (`firewall`) and a count.
    private func noteTransition(of firewall: FirewallEndpoint, to state: FirewallHealth.State) {
        let to = state.healthy ? "up" : "down"
        metrics.count("rampart_node_firewall_transitions_total", ["address": "\(firewall.address)", "to": to])
        var fields = ["address": "\(firewall.address)", "state": to,
                      "healthy": "\(health.snapshot.filter { $0.1.healthy }.count)", "balancing": configuration.balancing.rawValue]
        if let error = state.lastError { fields["reason"] = error }
        if !health.anyHealthy { fields["fail_mode"] = configuration.failOpen ? "open" : "closed" }
        events.record("firewall", fields)
    }

    /// Points every hash bucket at its healthy firewall (only the changed ones are
    /// rewritten), then keeps the spreading rule installed and the per-firewall counters
    /// following the buckets. With no healthy firewall the
    /// buckets stay where they were: `failOpen` decides for the pods.
    private func spread(with spreader: SessionSpreader, using socket: NetlinkSocket, namespace: NetworkNamespace?) throws(NodeError) {
        let healthy = health.snapshot.filter { $0.1.healthy }.map(\.0.address)
        let assignment = BucketAssignment(buckets: spreader.buckets, firewalls: healthy)
        let started = ContinuousClock.now
        let moved = try spreader.program(assignment, using: socket)
        if moved > 0 {
            let took = started.duration(to: .now).components
            metrics.count("rampart_node_buckets_moved_total", by: Double(moved))
            events.record("spread", [
                "action": "buckets-moved", "moved": "\(moved)", "buckets": "\(spreader.buckets)",
                "firewalls": healthy.map { "\($0)" }.joined(separator: " "),
                // Reading the FDB back and replacing the changed entries: the failover's own cost.
                "seconds": cFormat("%.3f", Double(took.seconds) + Double(took.attoseconds) / 1e18),
            ])
        }
        // The rule after the FDB: checking it spawns nft, which must not delay a failover.
        if try spreader.ensureRule(namespace: namespace) {
            countedOwners.withLock { $0 = [] }
            events.record("spread", [
                "action": "rule-installed", "device": configuration.tunnel.name, "buckets": "\(spreader.buckets)", "hash_scope": spreader.scope.rawValue,
            ])
        }
        if countedOwners.withLock({ $0 }) != assignment.owners {
            // After the FDB: counting never delays moving the buckets.
            do {
                try spreader.programCounters(assignment, namespace: namespace)
                countedOwners.withLock { $0 = assignment.owners }
                problems.withLock { $0["counters"] = nil }
            } catch {
                let text = "\(error)"
                let previous = problems.withLock { problems in
                    defer { problems["counters"] = text }
                    return problems["counters"]
                }
                if previous != text { events.record("spread", ["action": "counters-failed", "error": text]) }
            }
        }
        metrics.resetGauge("rampart_node_firewall_share")
        metrics.resetGauge("rampart_node_firewall_buckets")
        let shares = assignment.shares
        for firewall in health.firewalls {
            let owned = shares[firewall.address] ?? 0
            metrics.set("rampart_node_firewall_buckets", ["address": "\(firewall.address)"], Double(owned))
            metrics.set("rampart_node_firewall_share", ["address": "\(firewall.address)"], Double(owned) / Double(spreader.buckets))
        }
    }

    /// Brings the firewall guard's routes in line with the firewall pods' addresses: on each
    /// change of those pods and every upkeep pass (a route someone deleted comes back).
    private func guardFirewalls() {
        guard let firewallGuard else { return }
        do {
            let (added, removed) = try firewallGuard.reconcile(using: try netlinkSocket())
            if !added.isEmpty || !removed.isEmpty {
                events.record("firewall-guard", [
                    "added": added.map { "\($0)" }.joined(separator: " "), "removed": removed.map { "\($0)" }.joined(separator: " "),
                    "table": "\(firewallGuard.table)",
                ])
            }
            problems.withLock { $0["firewall guard"] = nil }
        } catch {
            metrics.count("rampart_node_firewall_guard_errors_total")
            let text = "\(error)"
            let previous = problems.withLock { problems in
                defer { problems["firewall guard"] = text }
                return problems["firewall guard"]
            }
            if previous != text { events.record("firewall-guard", ["error": text]) }
        }
        metrics.set("rampart_node_firewall_guard_addresses", [:], Double(firewallGuard.addresses?.count ?? 0))
        metrics.set("rampart_node_firewall_guard_synced", [:], firewallGuard.addresses == nil ? 0 : 1)
    }

    private func updateAttachmentGauges() {
        let all = attachments.all
        metrics.set("rampart_node_attachments", ["steered": "true"], Double(all.filter(\.steered).count))
        metrics.set("rampart_node_attachments", ["steered": "false"], Double(all.filter { !$0.steered }.count))
    }

    /// What the spreading rule sent each firewall (nft counters, read at each scrape).
    private func readSteeredCounters() {
        guard let spreader, configuration.manageTunnel else { return }
        do {
            let namespace = try configuration.tunnelNamespace.map { path throws(NetlinkError) in try NetworkNamespace(path: path) }
            let sent = try spreader.counters(namespace: namespace)
            for name in ["rampart_node_firewall_steered_packets_total", "rampart_node_firewall_steered_bytes_total", "rampart_node_firewall_steered_sessions_total"] {
                metrics.resetGauge(name)
            }
            for (firewall, counts) in sent {
                let labels = ["address": "\(firewall)"]
                metrics.set("rampart_node_firewall_steered_packets_total", labels, Double(counts.packets))
                metrics.set("rampart_node_firewall_steered_bytes_total", labels, Double(counts.bytes))
                metrics.set("rampart_node_firewall_steered_sessions_total", labels, Double(counts.sessions))
            }
        } catch {
            // The counters are reported with the spreading rule's own problems (event spread).
        }
    }

    private func netlinkSocket() throws(NetlinkError) -> NetlinkSocket {
        if let path = configuration.tunnelNamespace { return try NetworkNamespace(path: path).openSocket() }
        return try NetlinkSocket()
    }

    private func route(_ path: String) -> HTTPReply? {
        switch path {
        case "/metrics":
            metrics.set("rampart_node_cache_synced", [:], inventory.isSynced ? 1 : 0)
            metrics.set("rampart_node_ready", [:], status().ready ? 1 : 0)
            readSteeredCounters()
            return HTTPReply(200, metrics.render(), contentType: "text/plain; version=0.0.4")
        case "/healthz":
            return HTTPReply(200, "ok\n", contentType: "text/plain")
        case "/readyz":
            let (ready, reasons) = status()
            return HTTPReply(ready ? 200 : 503, ready ? "ready\n" : reasons.joined(separator: "\n") + "\n", contentType: "text/plain")
        default:
            return nil
        }
    }
}
