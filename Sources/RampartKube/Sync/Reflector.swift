import Synchronization
import RampartPOSIX

/// What a reflector tells its owner.
public enum ReflectorChange<T: KubeObject>: Sendable {
    /// A complete list: the owner replaces what it holds (objects missing from it are gone).
    case replaced([T])
    case upserted(T)
    case deleted(T)
}

/// A reflector's health, for logs, metrics and `/readyz`.
public enum ReflectorStatus: Sendable, Equatable {
    /// Listed and watching.
    case synced(resource: String, objects: Int)
    /// A failure; retrying after `retryIn` seconds.
    case failed(resource: String, error: KubeError, retryIn: Double)
    /// The resourceVersion expired (410); listing again.
    case relisting(resource: String)
    /// An object could not be read and was left out; the rest are watched on.
    case rejected(resource: String, detail: String)
}

/// Keeps one resource of one cluster mirrored: list in pages, then watch from the list's
/// resourceVersion, resuming after each stream end, listing again on `410 Gone`, and
/// backing off (jittered) on any failure: refused connections, TLS errors, 401/403, stalls.
///
/// ```swift
/// let pods = Reflector<Pod>(credentials: creds) { change in cache.apply(change) }
/// NamedThread.start(name: "watch pods") { pods.run(until: stop) }
/// ```
public final class Reflector<T: KubeObject>: @unchecked Sendable {
    public struct Settings: Sendable {
        public var selector = KubeClient.Selector()
        public var pageSize = 500
        /// Asked of the server per watch; jittered down by up to 20% so watches do not renew in
        /// step. The server ends the watch cleanly then, and a new one starts at once.
        public var watchTimeoutSeconds = 290
        /// No byte for this long: the connection is dead (reconnect, with backoff). Never
        /// shorter than the watch's own `timeoutSeconds` plus a grace (see
        /// `Reflector.stallWindow`): a real API server sends nothing at all, not even a
        /// bookmark, on a watch of a resource that does not change, until the watch ends.
        /// 0 (the default): just that.
        public var stallTimeout: Double = 0
        public var connectTimeout: Double = 5
        public var requestTimeout: Double = 30
        public var backoff = Backoff()
        public init() {}
    }

    private let credentials: ClusterCredentials
    private let settings: Settings
    private let onChange: (ReflectorChange<T>) -> Void
    private let onStatus: (ReflectorStatus) -> Void
    private let failureCount = Atomic<Int>(0)

    /// Failures in a row since the last success: what the backoff has grown by. Zero while
    /// watches end cleanly, however long the resource stays silent.
    public var consecutiveFailures: Int { failureCount.load(ordering: .relaxed) }

    public init(
        credentials: ClusterCredentials, settings: Settings = Settings(),
        onStatus: @escaping (ReflectorStatus) -> Void = { _ in },
        onChange: @escaping (ReflectorChange<T>) -> Void
    ) {
        self.credentials = credentials
        self.settings = settings
        self.onChange = onChange
        self.onStatus = onStatus
    }

    /// How long a watch of `timeoutSeconds` may go without a byte before its connection is
    /// taken for dead: `configured`, but never less than the timeout plus 5 s or 10% of it
    /// (whichever is more), since the server may be silent until it ends the watch.
    public static func stallWindow(timeoutSeconds: Int, configured: Double) -> Double {
        let timeout = Double(timeoutSeconds)
        return max(configured, timeout + max(5, timeout * 0.1))
    }

    /// Runs until `stop` is raised. Blocking: give it its own thread.
    public func run(until stop: StopSignal) {
        var backoff = settings.backoff
        var version: String?
        var client: KubeClient?
        let name = T.resource.description
        while !stop.isStopped {
            do throws(KubeError) {
                if client == nil {
                    client = try KubeClient(
                        credentials: credentials, connectTimeout: settings.connectTimeout, requestTimeout: settings.requestTimeout)
                }
                guard let client else { continue }
                if version == nil {
                    let listed = try client.listAll(T.self, selector: settings.selector, pageSize: settings.pageSize)
                    for problem in listed.rejected { onStatus(.rejected(resource: name, detail: problem)) }
                    onChange(.replaced(listed.items))
                    version = listed.resourceVersion
                    onStatus(.synced(resource: name, objects: listed.items.count))
                    backoff.reset()
                    self.failureCount.store(0, ordering: .relaxed)
                }
                guard let from = version else { continue }
                var expired = false
                var failure: KubeStatus?
                let timeout = max(1, Int(Double(settings.watchTimeoutSeconds) * Double.random(in: 0.8...1.0)))
                try client.watch(
                    T.self, from: from, selector: settings.selector, timeoutSeconds: timeout,
                    stallTimeout: Reflector.stallWindow(timeoutSeconds: timeout, configured: settings.stallTimeout), stop: stop
                ) { event in
                    switch event {
                    case .added(let object), .modified(let object):
                        if let v = object.metadata.resourceVersion { version = v }
                        self.onChange(.upserted(object))
                    case .deleted(let object):
                        if let v = object.metadata.resourceVersion { version = v }
                        self.onChange(.deleted(object))
                    case .bookmark(let v):
                        version = v
                    case .error(let status):
                        if status.code == 410 { expired = true } else { failure = status }
                        return false
                    }
                    backoff.reset()
                    self.failureCount.store(0, ordering: .relaxed)
                    return !stop.isStopped
                }
                if expired {
                    version = nil
                    onStatus(.relisting(resource: name))
                } else if let failure {
                    throw KubeError.status(
                        url: credentials.server + T.resource.listPath(), code: failure.code ?? 500,
                        message: failure.message ?? "watch ERROR event")
                } else {
                    // The server ended the watch cleanly (its timeoutSeconds): the connection
                    // works, so the next watch starts at once and owes nothing to the backoff.
                    backoff.reset()
                    self.failureCount.store(0, ordering: .relaxed)
                }
            } catch .expired {
                version = nil
                onStatus(.relisting(resource: name))
            } catch {
                if case .malformed = error {
                    // A malformed event leaves our copy uncertain: list again.
                    version = nil
                }
                let delay = backoff.next()
                self.failureCount.store(backoff.failures, ordering: .relaxed)
                onStatus(.failed(resource: name, error: error, retryIn: delay))
                if case .transport = error { client = nil }
                stop.sleep(delay)
            }
        }
    }
}
