/// A namespace: its labels become `nslabel:` tags and its annotations opt pods in.
///
/// ```swift
/// let ns = Namespace(metadata: ObjectMeta(name: "shop", labels: ["team": "payments"]))
/// ```
public struct Namespace: KubeObject {
    public static let resource = KubeResource.namespaces
    public var metadata: ObjectMeta
    public init(metadata: ObjectMeta) { self.metadata = metadata }
}
