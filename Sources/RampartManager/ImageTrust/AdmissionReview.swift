import RampartJSON
import RampartKube

/// An `admission.k8s.io/v1` AdmissionReview as the API server sends it to a validating
/// webhook, reduced to what image trust reads: the request's uid, kind, namespace,
/// operation, dryRun and the object's pod spec (a Pod's, or a workload's pod template).
///
/// ```swift
/// let review = try AdmissionReview.decode(body)
/// review.request.uid        // "705ab4f5-6393-11e8-b7cc-42010a800002"
/// review.podSpec?.containers
/// AdmissionReview.answer(uid: review.request.uid, allowed: false, message: "…")
/// ```
public struct AdmissionReview: Decodable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var request: Request

    public struct Request: Decodable, Sendable {
        public var uid: String
        public var kind: GroupVersionKind
        public var subResource: String?
        public var name: String?
        public var namespace: String?
        public var operation: String
        public var userInfo: UserInfo?
        public var object: Object?
        /// The object before an UPDATE.
        public var oldObject: Object?
        public var dryRun: Bool?
    }

    public struct GroupVersionKind: Decodable, Sendable, Equatable {
        public var group: String
        public var version: String
        public var kind: String
    }

    public struct UserInfo: Decodable, Sendable {
        public var username: String?
    }

    /// Any of the objects the webhook is registered for; the fields of each kind's pod spec.
    public struct Object: Decodable, Sendable {
        public var metadata: Metadata?
        public var spec: Spec?
    }

    /// `name` is absent at creation by `generateName` (every pod a ReplicaSet makes).
    public struct Metadata: Decodable, Sendable {
        public var name: String?
        public var generateName: String?
        public var namespace: String?
    }

    /// A Pod's spec, a workload's (`template`) or a CronJob's (`jobTemplate`), in one shape.
    public struct Spec: Decodable, Sendable {
        public var containers: [Pod.Container]?
        public var initContainers: [Pod.Container]?
        public var ephemeralContainers: [Pod.Container]?
        public var template: Template?
        public var jobTemplate: JobTemplate?
    }

    public struct Template: Decodable, Sendable {
        public var spec: PodSpecFields?
    }

    /// The containers of a pod spec (a template's).
    public struct PodSpecFields: Decodable, Sendable {
        public var containers: [Pod.Container]?
        public var initContainers: [Pod.Container]?
        public var ephemeralContainers: [Pod.Container]?
    }

    public struct JobTemplate: Decodable, Sendable {
        public var spec: JobSpec?
    }

    public struct JobSpec: Decodable, Sendable {
        public var template: Template?
    }

    /// The kinds whose pod specs are judged, and where each keeps it.
    public static let podTemplateKinds: Set<String> = ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"]

    /// Reads a review; the error names the field that was wrong.
    public static func decode(_ body: [UInt8]) throws(KubeError) -> AdmissionReview {
        let review = try KubeJSON.decode(AdmissionReview.self, from: body, what: "AdmissionReview")
        guard review.apiVersion == "admission.k8s.io/v1", review.kind == "AdmissionReview" else {
            throw .malformed(what: "AdmissionReview", detail: "apiVersion must be admission.k8s.io/v1 and kind AdmissionReview (found \(review.apiVersion ?? "none") \(review.kind ?? "none")); register the webhook with admissionReviewVersions: [v1]")
        }
        return review
    }

    /// The pod spec the request would run, or nil when the object holds none (a kind the
    /// webhook does not judge, a DELETE).
    public var podSpec: Pod.Spec? { podSpec(of: request.object) }

    /// The pod spec of the object before an UPDATE.
    public var oldPodSpec: Pod.Spec? { podSpec(of: request.oldObject) }

    /// Every container's name and image of a spec, init and ephemeral ones included.
    public static func containerImages(of spec: Pod.Spec?) -> [ContainerImage] { ContainerImage.all(spec: spec, status: nil) }

    private func podSpec(of object: Object?) -> Pod.Spec? {
        guard let spec = object?.spec else { return nil }
        let kind = request.kind.kind
        var found: PodSpecFields?
        if kind == "Pod" {
            found = PodSpecFields(containers: spec.containers, initContainers: spec.initContainers, ephemeralContainers: spec.ephemeralContainers)
        } else if AdmissionReview.podTemplateKinds.contains(kind) {
            found = spec.template?.spec
        } else if kind == "CronJob" {
            found = spec.jobTemplate?.spec?.template?.spec
        }
        guard let found else { return nil }
        return Pod.Spec(containers: found.containers, initContainers: found.initContainers, ephemeralContainers: found.ephemeralContainers)
    }

    /// The object's name for messages and the record: its name, or `generateName*`.
    public var objectName: String {
        if let name = request.object?.metadata?.name ?? request.name, !name.isEmpty { return name }
        if let generate = request.object?.metadata?.generateName { return generate + "*" }
        return ""
    }

    /// The AdmissionReview answer: `response.uid` echoes the request's; a refusal carries a
    /// Status with code 403 and the message the client shows; `warnings` are shown by
    /// kubectl as "Warning: …" (at most 256 characters each, as the API server truncates).
    public static func answer(uid: String, allowed: Bool, message: String? = nil, warnings: [String] = []) -> String {
        var response: [(String, JSONValue)] = [("uid", .string(uid)), ("allowed", .bool(allowed))]
        if !allowed {
            response.append(("status", .object([("code", .integer(403)), ("reason", .string("Forbidden")), ("message", .string(message ?? "denied"))])))
        }
        if !warnings.isEmpty {
            response.append(("warnings", .array(warnings.map { .string(String($0.prefix(256))) })))
        }
        let review: JSONValue = .object([
            ("apiVersion", .string("admission.k8s.io/v1")), ("kind", .string("AdmissionReview")), ("response", .object(response)),
        ])
        return review.serialized()
    }
}
