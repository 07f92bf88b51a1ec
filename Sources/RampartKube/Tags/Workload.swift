/// The object that runs a pod, found by climbing its controller references: a Deployment
/// through its ReplicaSet, a CronJob through its Job, or a StatefulSet, DaemonSet, Job or
/// bare ReplicaSet directly.
///
/// ```swift
/// Workload(kind: "Deployment", name: "web", controllerKind: "ReplicaSet", controllerName: "web-7d9f")
/// ```
public struct Workload: Sendable, Equatable {
    /// The top of the chain (`Deployment`, `StatefulSet`, `DaemonSet`, `CronJob`, `Job`, ...).
    public var kind: String
    public var name: String
    /// The pod's direct controller (`ReplicaSet` for a Deployment's pods).
    public var controllerKind: String
    public var controllerName: String

    public init(kind: String, name: String, controllerKind: String, controllerName: String) {
        self.kind = kind
        self.name = name
        self.controllerKind = controllerKind
        self.controllerName = controllerName
    }
}
