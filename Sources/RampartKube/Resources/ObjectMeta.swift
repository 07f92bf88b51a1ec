/// The `metadata` every Kubernetes object carries, reduced to what tags and sync need.
///
/// ```swift
/// let meta = ObjectMeta(name: "web-0", namespace: "shop", labels: ["app": "web"])
/// meta.key  // "shop/web-0"
/// ```
public struct ObjectMeta: Codable, Sendable, Equatable {
    public var name: String
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var creationTimestamp: String?
    public var deletionTimestamp: String?

    public init(
        name: String, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil,
        labels: [String: String]? = nil, annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
    }

    /// `namespace/name` for namespaced objects, `name` otherwise: the key of every cache.
    public var key: String { namespace.map { "\($0)/\(name)" } ?? name }

    /// The owner that manages this object (`controller: true`), as the API defines it.
    public var controller: OwnerReference? { ownerReferences?.first { $0.controller == true } }
}

/// A link from an object to the object that owns it (a Pod to its ReplicaSet).
public struct OwnerReference: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String
    public var name: String
    public var uid: String?
    public var controller: Bool?

    public init(kind: String, name: String, uid: String? = nil, controller: Bool? = true) {
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
    }
}

/// What every cached Kubernetes object offers the sync machinery.
public protocol KubeObject: Codable, Sendable, Equatable {
    /// The API's plural resource name, as in its path (`pods`).
    static var resource: KubeResource { get }
    var metadata: ObjectMeta { get }
}
