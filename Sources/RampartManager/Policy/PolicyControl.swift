#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import RampartConfig
import RampartHTTP
import RampartKube
import RampartPOSIX

/// The manager's policy part: the commit history (in the state file), one pusher per
/// firewall, and the GitOps puller when `spec.policy.git` is set (docs/manager.md,
/// "Policy commits").
///
/// ```swift
/// let control = try PolicyControl(configuration: configuration, log: log)
/// control.start()
/// try control.commits.commit(text: yaml, message: "deny db", author: "ops")
/// ```
public final class PolicyControl: @unchecked Sendable {
    public let commits: PolicyCommits
    public private(set) var pushers: [(target: FirewallTarget, pusher: PolicyPusher)] = []
    public let puller: GitPolicyPuller?
    private let stopSignal = StopSignal()
    private var threads: [NamedThread.Handle] = []
    private let clock: @Sendable () -> Double

    public init(configuration: ManagerConfiguration, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void) throws(StoreError) {
        self.clock = clock
        let store = try PolicyStore(path: configuration.state)
        let commits = PolicyCommits(store: store, groups: configuration.firewallGroups, clock: clock)
        self.commits = commits
        for target in configuration.firewalls {
            let groups = target.groups
            let pusher = PolicyPusher(name: target.name, admin: target.admin, checkInterval: configuration.firewallCheckSeconds,
                                      wanted: { try? commits.wanted(groups: groups) }, log: log)
            pusher.authorization = (try? target.authorization()) ?? []
            pusher.tls = { () throws(KubeError) -> TLSSettings? in
                do throws(ConfigErrors) { return try target.tlsSettings() } catch { throw .configuration(error.description) }
            }
            pushers.append((target, pusher))
        }
        let all = pushers
        commits.onCommit { commit in
            for (target, pusher) in all where commit.target == "all" || target.groups.contains(commit.target) { pusher.wake() }
        }
        if let git = configuration.gitPolicy {
            let folder = git.workTree ?? (PathName.folder(of: configuration.state).isEmpty ? "." : PathName.folder(of: configuration.state)) + "/policy.git"
            puller = GitPolicyPuller(source: git, folder: folder, commits: commits, log: log)
        } else {
            puller = nil
        }
    }

    public func start() {
        for (target, pusher) in pushers {
            let stop = stopSignal
            threads.append(NamedThread.start(name: "policy \(target.name)") { pusher.run(until: stop) })
        }
        if let puller {
            let stop = stopSignal, clock = self.clock
            threads.append(NamedThread.start(name: "gitops") { puller.run(until: stop, clock: clock) })
        }
    }

    public func stop() {
        stopSignal.stop()
        for thread in threads { while !thread.isFinished { usleep(10_000) } }
    }

    /// Prometheus text: the newest commit per target, the commit each firewall runs.
    public func metrics() -> String {
        var page = PrometheusText()
        let heads = (try? commits.heads()) ?? []
        page.family("rampart_manager_policy_commit", .gauge, "The newest policy commit of each target (all, or a firewall group).",
                    heads.map { (labels: [("target", $0.target)], value: $0.id) })
        let statuses = pushers.map { ($0.target.name, $0.pusher.status) }
        page.family("rampart_manager_firewall_policy_commit", .gauge,
                    "The policy commit the firewall said it runs (0: its own file's policy, or not known).",
                    statuses.map { (labels: [("firewall", $0.0)], value: Int($0.1.runs ?? "") ?? 0) })
        page.family("rampart_manager_firewall_policy_wanted", .gauge, "The policy commit meant for the firewall (0: none).",
                    statuses.map { (labels: [("firewall", $0.0)], value: $0.1.wants ?? 0) })
        page.family("rampart_manager_firewall_policy_in_sync", .gauge, "Whether the firewall runs the commit meant for it.",
                    statuses.map { (labels: [("firewall", $0.0)], value: $0.1.inSync && $0.1.connected ? 1 : 0) })
        page.family("rampart_manager_policy_pushes_total", .counter, "Policy commits a firewall accepted (PUT /policy).",
                    statuses.map { (labels: [("firewall", $0.0)], value: $0.1.pushes) })
        page.family("rampart_manager_policy_push_rejections_total", .counter, "Policy commits a firewall refused (422).",
                    statuses.map { (labels: [("firewall", $0.0)], value: $0.1.rejected) })
        // Each firewall's share of sessions among the firewalls serving the same clusters
        // (FirewallShares); a firewall whose sessions are not known has no sample.
        let shares = FirewallShares.of(pushers)
        page.family("rampart_manager_firewall_sessions", .gauge, "Sessions the firewall tracked at its last check (its rampart_sessions).",
                    shares.compactMap { line in line.sessions.map { (labels: [("firewall", line.name)], value: $0) } })
        page.family("rampart_manager_firewall_session_share", .gauge,
                    "The firewall's share (0 to 1) of the sessions of the reachable firewalls serving the same clusters.",
                    shares.compactMap { line in line.sessions.map { _ in (labels: [("firewall", line.name)], value: cFormat("%.4f", line.share)) } })
        page.family("rampart_manager_firewall_sessions_read_timestamp_seconds", .gauge, "When the firewall's sessions were last read.",
                    shares.compactMap { line in line.readAt.map { (labels: [("firewall", line.name)], value: Int($0)) } })
        page.single("rampart_manager_policy_refusals_total", .counter, "Candidates refused because they do not validate (API and GitOps).",
                    commits.counts.refused)
        if let puller {
            let status = puller.status
            page.single("rampart_manager_gitops_pulls_total", .counter, "Successful fetches of the GitOps branch.", status.pulls)
            page.single("rampart_manager_gitops_refused", .gauge, "Whether the branch's current revision was refused (does not validate).",
                        status.refused == nil ? 0 : 1)
        }
        return page.text
    }
}
