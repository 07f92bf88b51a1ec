import RampartKube
import Synchronization

/// The annotations of this node's pods and of every namespace, as the API server last
/// reported them: what the plugin's questions are answered from, without a round trip.
///
/// ```swift
/// let inventory = NodeInventory()
/// inventory.apply(.replaced(pods))
/// inventory.decide(namespace: "shop", pod: "web-0").steer
/// ```
public final class NodeInventory: Sendable {
    struct State {
        var pods: [String: [String: String]] = [:]
        var namespaces: [String: [String: String]] = [:]
        var podsSynced = false
        var namespacesSynced = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Applies a pod change; returns the `namespace/name` keys whose annotations changed.
    @discardableResult
    public func apply(_ change: ReflectorChange<Pod>) -> Set<String> {
        state.withLock { state in
            var changed: Set<String> = []
            switch change {
            case .replaced(let pods):
                var fresh: [String: [String: String]] = [:]
                for pod in pods { fresh[pod.metadata.key] = pod.metadata.annotations ?? [:] }
                for (key, value) in fresh where state.pods[key] != value { changed.insert(key) }
                for key in state.pods.keys where fresh[key] == nil { changed.insert(key) }
                state.pods = fresh
                state.podsSynced = true
            case .upserted(let pod):
                let annotations = pod.metadata.annotations ?? [:]
                if state.pods[pod.metadata.key] != annotations { changed.insert(pod.metadata.key) }
                state.pods[pod.metadata.key] = annotations
            case .deleted(let pod):
                if state.pods.removeValue(forKey: pod.metadata.key) != nil { changed.insert(pod.metadata.key) }
            }
            return changed
        }
    }

    /// Applies a namespace change; returns the names whose annotations changed.
    @discardableResult
    public func apply(_ change: ReflectorChange<Namespace>) -> Set<String> {
        state.withLock { state in
            var changed: Set<String> = []
            switch change {
            case .replaced(let namespaces):
                var fresh: [String: [String: String]] = [:]
                for namespace in namespaces { fresh[namespace.metadata.name] = namespace.metadata.annotations ?? [:] }
                for (key, value) in fresh where state.namespaces[key] != value { changed.insert(key) }
                for key in state.namespaces.keys where fresh[key] == nil { changed.insert(key) }
                state.namespaces = fresh
                state.namespacesSynced = true
            case .upserted(let namespace):
                let annotations = namespace.metadata.annotations ?? [:]
                if state.namespaces[namespace.metadata.name] != annotations { changed.insert(namespace.metadata.name) }
                state.namespaces[namespace.metadata.name] = annotations
            case .deleted(let namespace):
                if state.namespaces.removeValue(forKey: namespace.metadata.name) != nil { changed.insert(namespace.metadata.name) }
            }
            return changed
        }
    }

    /// Both lists have arrived at least once.
    public var isSynced: Bool { state.withLock { $0.podsSynced && $0.namespacesSynced } }

    /// What is still missing before the cache can be trusted.
    public var unsyncedResources: [String] {
        state.withLock { state in
            var missing: [String] = []
            if !state.podsSynced { missing.append("pods") }
            if !state.namespacesSynced { missing.append("namespaces") }
            return missing
        }
    }

    public var podCount: Int { state.withLock { $0.pods.count } }

    /// The opt-in decision for one pod from what the cache holds.
    public func decide(namespace: String, pod: String) -> SteeringDecision {
        let (podAnnotations, namespaceAnnotations) = state.withLock { state in
            (state.pods["\(namespace)/\(pod)"], state.namespaces[namespace])
        }
        return SteeringPolicy.decide(pod: podAnnotations, namespace: namespaceAnnotations)
    }
}
