/// Whether one pod's traffic goes through the firewall, and why, in words the plugin logs
/// and the operator reads.
///
/// ```swift
/// let decision = SteeringPolicy.decide(pod: ["rampart.io/inspect": "bypass"], namespace: ["rampart.io/firewall": "enabled"])
/// decision.steer   // false
/// decision.basis   // .podAnnotation
/// ```
public struct SteeringDecision: Sendable, Equatable {
    /// What the decision rests on.
    public enum Basis: String, Sendable, Equatable {
        /// The pod's own `rampart.io/inspect` annotation.
        case podAnnotation = "pod"
        /// The namespace's `rampart.io/firewall` annotation.
        case namespaceAnnotation = "namespace"
        /// Neither says anything: not steered.
        case noAnnotation = "none"
        /// Steering was wanted but cannot work now (no healthy firewall, no tunnel, the
        /// cache knows neither the pod nor its namespace): traffic flows uninspected.
        case failOpen = "fail-open"
    }

    public var steer: Bool
    public var basis: Basis
    public var reason: String
    /// The pod itself was not in the cache (a CNI ADD usually precedes the watch event).
    public var podCached: Bool

    public init(steer: Bool, basis: Basis, reason: String, podCached: Bool = true) {
        self.steer = steer
        self.basis = basis
        self.reason = reason
        self.podCached = podCached
    }

    /// A pod its own annotation exempts: an event and a metric each time.
    public var isBypass: Bool { !steer && basis == .podAnnotation }
    public var isFailOpen: Bool { basis == .failOpen }
}

/// The opt-in rules: the pod's `rampart.io/inspect: secure|bypass` wins over its
/// namespace's `rampart.io/firewall: enabled`; neither means not steered.
///
/// ```swift
/// SteeringPolicy.decide(pod: nil, namespace: ["rampart.io/firewall": "enabled"]).steer  // true
/// ```
public enum SteeringPolicy {
    public static let podAnnotation = "rampart.io/inspect"
    public static let namespaceAnnotation = "rampart.io/firewall"

    /// Decides from the annotations. `pod` nil means the pod is not (yet) in the cache;
    /// `namespace` nil means the namespace is not either.
    public static func decide(pod: [String: String]?, namespace: [String: String]?, podCached: Bool? = nil) -> SteeringDecision {
        let cached = podCached ?? (pod != nil)
        var note = ""
        if let value = pod?[podAnnotation] {
            switch value.trimmingWhitespace().lowercased() {
            case "secure":
                return SteeringDecision(steer: true, basis: .podAnnotation, reason: "pod annotation \(podAnnotation)=secure", podCached: cached)
            case "bypass":
                return SteeringDecision(steer: false, basis: .podAnnotation, reason: "pod annotation \(podAnnotation)=bypass", podCached: cached)
            default:
                note = "; pod annotation \(podAnnotation)=\(value) ignored (expected secure or bypass)"
            }
        }
        let podNote = cached ? "" : "pod not in the cache yet, decided by its namespace: "
        guard let namespace else {
            if cached {
                return SteeringDecision(steer: false, basis: .noAnnotation, reason: "namespace unknown to the cache, no pod annotation" + note, podCached: cached)
            }
            return SteeringDecision(
                steer: false, basis: .failOpen, reason: "neither the pod nor its namespace is in the cache: not steered (fail-open)" + note,
                podCached: cached)
        }
        if let value = namespace[namespaceAnnotation] {
            if value.trimmingWhitespace().lowercased() == "enabled" {
                return SteeringDecision(
                    steer: true, basis: .namespaceAnnotation, reason: podNote + "namespace annotation \(namespaceAnnotation)=enabled" + note,
                    podCached: cached)
            }
            return SteeringDecision(
                steer: false, basis: .namespaceAnnotation, reason: podNote + "namespace annotation \(namespaceAnnotation)=\(value) (not enabled)" + note,
                podCached: cached)
        }
        return SteeringDecision(steer: false, basis: .noAnnotation, reason: podNote + "no rampart annotation on the pod or its namespace" + note, podCached: cached)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
