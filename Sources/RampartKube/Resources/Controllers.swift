/// A ReplicaSet: watched only to climb from a pod to the Deployment that owns its ReplicaSet.
///
/// ```swift
/// rs.metadata.controller?.kind  // "Deployment"
/// ```
public struct ReplicaSet: KubeObject {
    public static let resource = KubeResource.replicaSets
    public var metadata: ObjectMeta
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}

/// A Job: watched only to climb from a pod to the CronJob that created its Job.
public struct Job: KubeObject {
    public static let resource = KubeResource.jobs
    public var metadata: ObjectMeta
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}

/// A Secret of type `kubernetes.io/service-account-token`: read once to produce the
/// credential file for a remote cluster.
public struct Secret: KubeObject {
    public static let resource = KubeResource.secrets
    public var metadata: ObjectMeta
    public var type: String?
    /// Values are base64, as the API returns them.
    public var data: [String: String]?
    public init(metadata: ObjectMeta, type: String? = nil, data: [String: String]? = nil) {
        self.metadata = metadata
        self.type = type
        self.data = data
    }
}
