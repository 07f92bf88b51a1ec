/// An EndpointSlice: which pods back a service (`kubernetes.io/service-name` label).
///
/// ```swift
/// slice.serviceName  // "web"
/// slice.endpoints?.first?.targetRef?.name  // "web-7d9f-abcde"
/// ```
public struct EndpointSlice: KubeObject {
    public static let resource = KubeResource.endpointSlices
    public var metadata: ObjectMeta
    public var addressType: String?
    public var endpoints: [Endpoint]?

    public struct Endpoint: Codable, Sendable, Equatable {
        public var addresses: [String]
        public var targetRef: TargetRef?
        public var nodeName: String?
        public init(addresses: [String], targetRef: TargetRef? = nil) {
            self.addresses = addresses
            self.targetRef = targetRef
        }
    }

    public struct TargetRef: Codable, Sendable, Equatable {
        public var kind: String?
        public var name: String?
        public var namespace: String?
        public var uid: String?
        public init(kind: String? = "Pod", name: String?, namespace: String?) {
            self.kind = kind
            self.name = name
            self.namespace = namespace
        }
    }

    public init(metadata: ObjectMeta, addressType: String? = "IPv4", endpoints: [Endpoint]? = nil) {
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
    }

    /// The service this slice belongs to.
    public var serviceName: String? { metadata.labels?["kubernetes.io/service-name"] }
}
