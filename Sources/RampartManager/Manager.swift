import FoundationEssentials
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif
import RampartHTTP
import RampartConfig
import RampartKube

/// The manager's first job: watch every configured cluster, merge their address→tag maps,
/// record every change in the audit log, and keep every firewall current.
///
/// ```swift
/// let manager = try Manager(configuration: .load(path: "manager.yaml"))
/// manager.start()
/// manager.tags(of: "10.244.1.7")
/// manager.stop()
/// ```
public final class Manager: @unchecked Sendable {
    public let configuration: ManagerConfiguration
    private let store: TagStore
    private let clock: @Sendable () -> Double
    private var watchers: [String: ClusterWatcher] = [:]
    private var clusterErrors: [String: String] = [:]
    public private(set) var pushers: [FirewallPusher] = []
    /// The image trust rules, their verdicts on running pods, the admission webhook's decisions.
    public let imageTrust: ImageTrust
    /// Policy commits and their pushers (docs/manager.md, "Policy commits").
    public private(set) var policy: PolicyControl?
    /// The log store (`spec.logs`; docs/manager.md, "Log store"); nil without it.
    public private(set) var logs: LogService?
    /// Metrics of parts wired in after the start (the console's flow sums); set before serving.
    public var moreMetrics: (@Sendable () -> String)?
    private let stopSignal = StopSignal()
    private var threads: [NamedThread.Handle] = []

    private let inbox = Condition()
    private var queued: [AddressUpdate] = []

    /// Guards the merged map, read by pushers and the API while the store thread writes.
    private let lock = Lock()
    private var merged: [String: (cluster: String, tags: [String])] = [:]
    private var reconciled: Set<String> = []
    /// Set once, when every cluster was first listed and every change of those lists went to
    /// the pushers: per firewall, the `enqueuedCount` its map must cover before the manager
    /// is ready.
    private var readyBarrier: [UInt64]?
    private var counters = (updates: 0, conflicts: 0, storeErrors: 0)
    private var lastStoreError: String?
    /// The push log's descriptor, or -1.
    private let pushLog: Int32
    private let log: @Sendable (String) -> Void

    /// - Parameter pushLog: a file that gets one JSON line per address a firewall accepted
    ///   (`{"firewall", "address", "acknowledged"}`), for the latency benchmark.
    public init(
        configuration: ManagerConfiguration, pushLog: String? = nil,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StoreError) {
        self.configuration = configuration
        self.log = log
        self.clock = clock
        store = try TagStore(path: configuration.state)
        imageTrust = try ImageTrust(configuration: configuration.imageTrust, admission: configuration.admission, statePath: configuration.state,
                                    retentionDays: configuration.auditRetentionDays, clock: clock, log: log)
        if let pushLog {
            // Created empty (or emptied), as FileManager.createFile did.
            self.pushLog = open(pushLog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        } else {
            self.pushLog = -1
        }
        merged = try store.current()
        for target in configuration.firewalls {
            let sequence = try store.sequence(of: target.name)
            let name = target.name
            let pusher = FirewallPusher(
                name: name, admin: target.admin, sequence: sequence, checkInterval: configuration.firewallCheckSeconds,
                snapshot: { [weak self] in self?.mergedTags(for: target) ?? [:] },
                sequenceStore: { [weak self] value in self?.saveSequence(value, of: name) },
                onAcknowledged: { [weak self] addresses, time in self?.logPush(name, addresses, time) },
                log: log)
            // The command checked the token file before starting (rampart-manager run).
            pusher.authorization = (try? target.authorization()) ?? []
            // The TLS files are read before every push: a renewed certificate is used from the
            // next one; one that became unreadable fails the push, logged.
            pusher.tls = { () throws(KubeError) -> TLSSettings? in
                do throws(ConfigErrors) { return try target.tlsSettings() } catch { throw .configuration(error.description) }
            }
            pushers.append(pusher)
        }
        policy = try PolicyControl(configuration: configuration, clock: clock, log: log)
        if let settings = configuration.logs {
            logs = try LogService(settings: settings, firewalls: configuration.firewalls, tags: { [weak self] in self?.tags(of: $0)?.tags },
                                  clock: clock, log: log)
            if configuration.audits.enabled {
                // Ends a record arrives without tags for are named from the tag history at the record's time.
                logs?.auditor = RuntimeAuditor(settings: configuration.audits, history: { [weak self] address, milliseconds in
                    (try? self?.audit(address: address, at: Double(milliseconds) / 1000))??.tags
                }, log: log)
            }
        }
        // No cluster to list: a firewall's first full sync is all it needs.
        if configuration.clusters.isEmpty { readyBarrier = pushers.map { _ in 0 } }
    }

    // MARK: life cycle

    public func start() {
        for cluster in configuration.clusters {
            let credentials: ClusterCredentials
            do { credentials = try cluster.credentials() } catch {
                lock.withLock { clusterErrors[cluster.name] = error.description }
                log(ManagerLog.line("error", cluster: cluster.name, event: "credentials", message: error.description))
                continue
            }
            let scheme = TagScheme(cluster: cluster.name, style: cluster.tagStyle, labels: cluster.labels)
            let state = ClusterState(
                scheme: scheme, scope: .init(namespaces: cluster.namespaces, excludedNamespaces: cluster.excludedNamespaces)
            ) { [weak self] updates in self?.receive(updates) }
            imageTrust.register(cluster: cluster.name, state: state)
            var settings = Reflector<Pod>.Settings()
            settings.stallTimeout = cluster.stallTimeout ?? 0
            settings.watchTimeoutSeconds = cluster.watchTimeoutSeconds
            let name = cluster.name
            let log = self.log
            let watcher = ClusterWatcher(
                credentials: credentials, state: state, settings: settings, podLabelSelector: cluster.podSelector
            ) { status in log(ManagerLog.line(for: status, cluster: name)) }
            watchers[cluster.name] = watcher
            watcher.start()
        }
        threads.append(NamedThread.start(name: "store") { [weak self] in self?.storeLoop() })
        for pusher in pushers {
            let stop = stopSignal
            threads.append(NamedThread.start(name: "push \(pusher.name)") { pusher.run(until: stop) })
        }
        policy?.start()
        logs?.start()
    }

    public func stop() {
        logs?.stop()
        policy?.stop()
        for watcher in watchers.values { watcher.stop() }
        stopSignal.stop()
        inbox.lock()
        inbox.signal()
        inbox.unlock()
        for thread in threads { while !thread.isFinished { usleep(10_000) } }
        imageTrust.stop()
        if pushLog >= 0 { close(pushLog) }
    }

    // MARK: queries

    /// The merged map: every address's tags across clusters.
    public func mergedTags() -> [String: [String]] {
        lock.withLock { merged.mapValues(\.tags) }
    }

    /// The part of the merged map a firewall gets (its `clusters`).
    public func mergedTags(for target: FirewallTarget) -> [String: [String]] {
        guard target.clusters != nil else { return mergedTags() }
        return lock.withLock { merged.filter { target.serves($0.value.cluster) }.mapValues(\.tags) }
    }

    /// The merged map with each address's cluster (the console's map is built from it).
    public func addressMap() -> [String: (cluster: String, tags: [String])] {
        lock.withLock { merged }
    }

    public func tags(of address: String) -> (cluster: String, tags: [String])? {
        lock.withLock { merged[address] }
    }

    /// The audit record in force for `address` at `time`.
    public func audit(address: String, at time: Double) throws(StoreError) -> AuditRecord? {
        lock.lock()
        defer { lock.unlock() }
        return try store.tags(of: address, at: time)
    }

    public func history(address: String, from: Double, to: Double) throws(StoreError) -> [AuditRecord] {
        lock.lock()
        defer { lock.unlock() }
        return try store.history(of: address, from: from, to: to)
    }

    /// True when every cluster is listed and watched, and every firewall holds the whole
    /// map: it accepted a full sync (in its current run), and every change since, up to at
    /// least the changes of the clusters' first complete listings.
    public var isReady: Bool { readiness().isEmpty }

    /// What keeps the manager from being ready, one line each; empty: ready.
    public func readiness() -> [String] {
        var waiting: [String] = []
        for report in clusters() where !report.synced {
            waiting.append("cluster \(report.name) not synced\(report.errors.isEmpty ? "" : ": " + report.errors.joined(separator: "; "))")
        }
        let barrier = lock.withLock { readyBarrier }
        for (index, pusher) in pushers.enumerated() {
            let status = pusher.status
            if !status.inSync {
                waiting.append("firewall \(pusher.name) does not hold the whole map yet\(status.lastError.map { ": " + $0 } ?? "")")
            } else if let barrier, status.acknowledged < barrier[index] {
                waiting.append("firewall \(pusher.name) has not yet acknowledged the clusters' initial map (\(status.pending) addresses queued)")
            }
        }
        if waiting.isEmpty && barrier == nil { waiting.append("the clusters' initial listings are not yet merged and queued for the firewalls") }
        return waiting
    }

    public struct ClusterReport: Sendable, Codable {
        public var name: String
        public var clusterID: Int
        public var synced: Bool
        public var pods: Int
        public var namespaces: Int
        public var services: Int
        public var nodes: Int
        public var addresses: Int
        public var errors: [String]
    }

    public func clusters() -> [ClusterReport] {
        configuration.clusters.map { cluster in
            guard let watcher = watchers[cluster.name] else {
                return ClusterReport(name: cluster.name, clusterID: Int(cluster.clusterID.vni), synced: false, pods: 0, namespaces: 0, services: 0,
                                     nodes: 0, addresses: 0, errors: [lock.withLock { clusterErrors[cluster.name] } ?? "not started"])
            }
            let counts = watcher.state.counts
            var errors: [String] = []
            for (resource, status) in watcher.status.sorted(by: { $0.key < $1.key }) {
                if case .failed(_, let error, let retry) = status {
                    errors.append("\(resource): \(error) (retrying in \(cFormat("%.1f", retry)) s)")
                }
            }
            return ClusterReport(name: cluster.name, clusterID: Int(cluster.clusterID.vni), synced: watcher.isSynced, pods: counts.pods,
                                 namespaces: counts.namespaces, services: counts.services, nodes: counts.nodes,
                                 addresses: counts.addresses, errors: errors)
        }
    }

    /// Prometheus text exposition.
    public func metrics() -> String {
        var page = PrometheusText()
        let (count, conflicts, storeErrors, addresses) = lock.withLock { (counters.updates, counters.conflicts, counters.storeErrors, merged.count) }
        page.single("rampart_manager_tag_updates_total", .counter, "Address tag changes recorded in the audit log.", count)
        page.single("rampart_manager_address_conflicts_total", .counter, "Addresses claimed by two clusters (overlapping pod networks).", conflicts)
        page.single("rampart_manager_store_errors_total", .counter, "Failed writes to the state database.", storeErrors)
        page.single("rampart_manager_addresses", .gauge, "Tagged addresses across clusters.", addresses)
        let reports = clusters()
        page.family("rampart_manager_cluster_synced", .gauge, "Whether every resource of the cluster is listed and watched.",
                    reports.map { (labels: [("cluster", $0.name)], value: $0.synced ? 1 : 0) })
        page.family("rampart_manager_cluster_pods", .gauge, "Pods the watcher holds.",
                    reports.map { (labels: [("cluster", $0.name)], value: $0.pods) })
        let pushStatus = pushers.map { ($0.name, $0.status) }
        func perFirewall<Value: BinaryInteger>(_ name: String, _ kind: PrometheusText.Kind, _ help: String, _ value: (FirewallPusher.Status) -> Value) {
            page.family(name, kind, help, pushStatus.map { (labels: [("firewall", $0.0)], value: value($0.1)) })
        }
        perFirewall("rampart_manager_firewall_connected", .gauge, "Whether the last push to the firewall succeeded.") { $0.connected ? 1 : 0 }
        perFirewall("rampart_manager_firewall_in_sync", .gauge,
                    "Whether the firewall holds the whole map (a full sync its current run accepted, no failure since).") { $0.inSync ? 1 : 0 }
        perFirewall("rampart_manager_firewall_resyncs_total", .counter,
                    "Full syncs sent because the firewall restarted (new boot id) or showed a sequence the manager did not send.") { $0.resyncs }
        perFirewall("rampart_manager_firewall_sequence", .gauge, "Last sequence number the firewall accepted.") { $0.sequence }
        perFirewall("rampart_manager_push_failures_total", .counter, "Failed pushes (each followed by a full resync).") { $0.failures }
        page.header("rampart_manager_push_seconds", .histogram, "From a tag change reaching the manager to the firewall accepting it.")
        for pusher in pushers {
            page.raw(pusher.latency.exposition(name: "rampart_manager_push_seconds",
                                               labels: "firewall=\"\(PrometheusText.escape(pusher.name))\""))
        }
        page.single("rampart_manager_resident_bytes", .gauge, "Resident memory of the manager.", Manager.residentBytes())
        return page.text + (policy?.metrics() ?? "") + (logs?.metrics() ?? "") + (logs?.auditor?.metrics() ?? "") + (moreMetrics?() ?? "")
    }

    /// VmRSS from /proc/self/status.
    public static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    // MARK: the store thread

    private func receive(_ updates: [AddressUpdate]) {
        inbox.lock()
        queued.append(contentsOf: updates)
        inbox.signal()
        inbox.unlock()
    }

    private func storeLoop() {
        var lastPrune = 0.0
        while !stopSignal.isStopped {
            inbox.lock()
            while queued.isEmpty && !stopSignal.isStopped {
                inbox.wait(seconds: 0.25)
                if !queued.isEmpty { break }
                inbox.unlock()
                reconcileSyncedClusters()
                setReadyBarrierOnce()
                inbox.lock()
            }
            let batch = queued
            queued = []
            inbox.unlock()
            if !batch.isEmpty { merge(batch) }
            reconcileSyncedClusters()
            setReadyBarrierOnce()
            let now = clock()
            if now - lastPrune > 3600 {
                lastPrune = now
                let cutoff = now - Double(configuration.auditRetentionDays) * 86400
                lock.withLock { do throws(StoreError) { try store.prune(before: cutoff) } catch { noteStoreError(error) } }
            }
        }
    }

    /// Folds cluster updates into the merged map, records them and queues them for push.
    private func merge(_ batch: [AddressUpdate]) {
        let now = clock()
        var records: [AuditRecord] = []
        var outgoing: [AddressUpdate] = []
        /// For each outgoing update, the cluster that held the address before, when another.
        var previous: [String?] = []
        lock.lock()
        for update in batch {
            let current = merged[update.address]
            if update.tags.isEmpty {
                guard let current, current.cluster == update.cluster else { continue }
                merged[update.address] = nil
            } else {
                if let current, current.cluster == update.cluster, current.tags == update.tags { continue }
                var reason = update.reason
                if let current, current.cluster != update.cluster {
                    counters.conflicts += 1
                    reason += " (the address was cluster \(current.cluster)'s: do their pod networks overlap?)"
                }
                merged[update.address] = (update.cluster, update.tags)
                records.append(AuditRecord(time: now, cluster: update.cluster, address: update.address, tags: update.tags, reason: reason))
                outgoing.append(update)
                previous.append(current.flatMap { $0.cluster == update.cluster ? nil : $0.cluster })
                continue
            }
            records.append(AuditRecord(time: now, cluster: update.cluster, address: update.address, tags: [], reason: update.reason))
            outgoing.append(update)
            previous.append(nil)
        }
        counters.updates += records.count
        do throws(StoreError) { try store.record(records) } catch { noteStoreError(error) }
        lock.unlock()
        guard !outgoing.isEmpty else { return }
        for (pusher, target) in zip(pushers, configuration.firewalls) {
            var mine: [AddressUpdate] = []
            for (update, before) in zip(outgoing, previous) {
                if target.serves(update.cluster) {
                    mine.append(update)
                } else if let before, target.serves(before) {
                    // The address left a cluster this firewall serves for one it does not.
                    mine.append(AddressUpdate(cluster: before, address: update.address, tags: [], reason: update.reason))
                }
            }
            if !mine.isEmpty { pusher.enqueue(mine, at: now) }
        }
    }

    /// After a cluster's first complete listing, forgets the addresses the store still
    /// gives it that the cluster no longer has (changed while the manager was not watching).
    private func reconcileSyncedClusters() {
        for (name, watcher) in watchers where !lock.withLock({ reconciled.contains(name) }) && watcher.isSynced {
            let live = watcher.state.snapshot()
            let stale = lock.withLock { merged.filter { $0.value.cluster == name && live[$0.key] == nil }.map(\.key) }
            lock.withLock { _ = reconciled.insert(name) }
            merge(stale.map { AddressUpdate(cluster: name, address: $0, tags: [], reason: "gone while the manager was not watching") })
        }
    }

    /// Once every cluster is listed and reconciled and everything those listings produced was
    /// merged and queued, records what each firewall must acknowledge before `isReady`.
    /// Runs on the store thread, the only one that queues changes for the pushers.
    private func setReadyBarrierOnce() {
        guard lock.withLock({ readyBarrier == nil }) else { return }
        let names = configuration.clusters.map(\.name)
        guard names.allSatisfy({ watchers[$0]?.isSynced == true }),
              lock.withLock({ names.allSatisfy { reconciled.contains($0) } }) else { return }
        // The reflectors queue a listing's changes before they report it listed, so once all
        // are listed, an empty inbox means every listed change is merged.
        inbox.lock()
        let drained = queued.isEmpty
        inbox.unlock()
        guard drained else { return }
        let counts = pushers.map(\.enqueuedCount)
        lock.withLock { readyBarrier = counts }
    }

    private func noteStoreError(_ error: StoreError) {
        counters.storeErrors += 1
        lastStoreError = error.description
        StandardError.write("rampart-manager: \(error)\n")
    }

    private func saveSequence(_ value: UInt64, of firewall: String) {
        lock.withLock { do throws(StoreError) { try store.setSequence(value, of: firewall) } catch { noteStoreError(error) } }
    }

    private func logPush(_ firewall: String, _ addresses: [String], _ time: Double) {
        guard pushLog >= 0 else { return }
        var text = ""
        for address in addresses {
            text += "{\"firewall\":\"\(firewall)\",\"address\":\"\(address)\",\"acknowledged\":\(time)}\n"
        }
        lock.withLock { FileDescriptorWriter.writeAll(Array(text.utf8), to: pushLog) }
    }
}
