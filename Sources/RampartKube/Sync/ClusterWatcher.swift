import FoundationEssentials
import RampartPOSIX

/// Watches one cluster: a reflector thread per resource (pods, namespaces, services,
/// endpointslices, nodes, replicasets, jobs) feeding one `ClusterState`.
///
/// ```swift
/// let watcher = ClusterWatcher(credentials: creds, state: state)
/// watcher.start()
/// // ...
/// watcher.stop()
/// ```
public final class ClusterWatcher: @unchecked Sendable {
    public let state: ClusterState
    private let credentials: ClusterCredentials
    private let settings: Reflector<Pod>.Settings
    private let podSelector: KubeClient.Selector
    private let stopSignal = StopSignal()
    private let lock = Lock()
    private var statuses: [String: ReflectorStatus] = [:]
    private var rejections: [String] = []
    private var threads: [NamedThread.Handle] = []
    private let onStatus: (ReflectorStatus) -> Void

    /// - Parameters:
    ///   - podLabelSelector: only pods matching it count (server-side `labelSelector`).
    public init(
        credentials: ClusterCredentials, state: ClusterState, settings: Reflector<Pod>.Settings = .init(),
        podLabelSelector: String? = nil, onStatus: @escaping (ReflectorStatus) -> Void = { _ in }
    ) {
        self.credentials = credentials
        self.state = state
        self.settings = settings
        self.onStatus = onStatus
        podSelector = KubeClient.Selector(labelSelector: podLabelSelector)
    }

    public static let resources: [KubeResource] = [
        .namespaces, .replicaSets, .jobs, .nodes, .services, .endpointSlices, .pods,
    ]

    public func start() {
        let state = self.state
        spawn(Namespace.self) { state.apply($0) }
        spawn(ReplicaSet.self) { state.apply($0) }
        spawn(Job.self) { state.apply($0) }
        spawn(Node.self) { state.apply($0) }
        spawn(Service.self) { state.apply($0) }
        // Pods and their slices wait (up to `ownersWait`) for the objects their tags come
        // from, so the first tags of a pod are already complete: one audit record, not three.
        let owners: [KubeResource] = [.namespaces, .replicaSets, .jobs]
        spawn(EndpointSlice.self, after: owners) { state.apply($0) }
        spawn(Pod.self, selector: podSelector, after: owners + [.endpointSlices]) { state.apply($0) }
    }

    /// Ends every watch (at the next byte, bookmark or 50 ms tick) and waits for the threads.
    public func stop() {
        stopSignal.stop()
        let running = lock.withLock { threads }
        for thread in running { while !thread.isFinished { usleepSeconds(0.01) } }
    }

    /// Each resource's last status.
    public var status: [String: ReflectorStatus] { lock.withLock { statuses } }

    /// The last objects left out because they could not be read (at most 100).
    public var rejected: [String] { lock.withLock { rejections } }

    /// True once every resource has been listed (and not failed since).
    public var isSynced: Bool {
        let now = status
        return ClusterWatcher.resources.allSatisfy {
            if case .synced = now[$0.description] { return true }
            return false
        }
    }

    /// How long pods wait for namespaces, owners and slices to be listed before going ahead.
    public var ownersWait: Double = 10

    private func synced(_ resources: [KubeResource]) -> Bool {
        let now = status
        return resources.allSatisfy {
            if case .synced = now[$0.description] { return true }
            return false
        }
    }

    private func spawn<T: KubeObject>(
        _ type: T.Type, selector: KubeClient.Selector = .init(), after prerequisites: [KubeResource] = [],
        apply: @escaping (ReflectorChange<T>) -> Void
    ) {
        var reflectorSettings = Reflector<T>.Settings()
        reflectorSettings.selector = selector
        reflectorSettings.pageSize = settings.pageSize
        reflectorSettings.watchTimeoutSeconds = settings.watchTimeoutSeconds
        reflectorSettings.stallTimeout = settings.stallTimeout
        reflectorSettings.connectTimeout = settings.connectTimeout
        reflectorSettings.requestTimeout = settings.requestTimeout
        reflectorSettings.backoff = settings.backoff
        let reflector = Reflector<T>(credentials: credentials, settings: reflectorSettings, onStatus: { [weak self] status in
            guard let self else { return }
            self.lock.withLock {
                if case .rejected(_, let detail) = status {
                    self.rejections.append("\(T.resource): \(detail)")
                    if self.rejections.count > 100 { self.rejections.removeFirst() }
                } else {
                    self.statuses[T.resource.description] = status
                }
            }
            self.onStatus(status)
        }, onChange: apply)
        let stop = stopSignal
        let wait = ownersWait
        // The handle is kept before the thread can end, so `stop` always waits for it.
        lock.withLock {
            threads.append(NamedThread.start(name: "watch \(T.resource)") { [weak self] in
                let deadline = Date().addingTimeInterval(wait)
                while !stop.isStopped, Date() < deadline, let self, !self.synced(prerequisites) { stop.sleep(0.01) }
                reflector.run(until: stop)
            })
        }
    }
}
