import Foundation

/// AdmissionReviews as kube-apiserver sends them to a validating webhook
/// (admission.k8s.io/v1): a fresh `request.uid`, `kind`/`resource` and their `request*`
/// twins, the object after defaulting (with `kind` and `apiVersion`), `oldObject` on UPDATE,
/// `dryRun`, `userInfo` and the operation's options — the same shape as the API test
/// server's `admission.py` builds.
enum AdmissionReviews {
    struct Kind {
        var group: String, version: String, kind: String, resource: String
        static let pod = Kind(group: "", version: "v1", kind: "Pod", resource: "pods")
        static let deployment = Kind(group: "apps", version: "v1", kind: "Deployment", resource: "deployments")
        static let statefulSet = Kind(group: "apps", version: "v1", kind: "StatefulSet", resource: "statefulsets")
        static let daemonSet = Kind(group: "apps", version: "v1", kind: "DaemonSet", resource: "daemonsets")
        static let job = Kind(group: "batch", version: "v1", kind: "Job", resource: "jobs")
        static let cronJob = Kind(group: "batch", version: "v1", kind: "CronJob", resource: "cronjobs")
        var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    }

    static func containers(_ list: [(String, String)]) -> String {
        "[" + list.map { #"{"name":"\#($0.0)","image":"\#($0.1)","imagePullPolicy":"IfNotPresent","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File"}"# }.joined(separator: ",") + "]"
    }

    /// A pod spec as defaulting leaves it.
    static func podSpec(_ list: [(String, String)], initContainers: [(String, String)] = [], ephemeral: [(String, String)] = []) -> String {
        var spec = #""containers":\#(containers(list)),"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority""#
        if !initContainers.isEmpty { spec += #","initContainers":\#(containers(initContainers))"# }
        if !ephemeral.isEmpty { spec += #","ephemeralContainers":\#(containers(ephemeral))"# }
        return "{\(spec)}"
    }

    /// The object of `kind` named `name` in `namespace` whose pods run `images`.
    static func object(_ kind: Kind, _ namespace: String, _ name: String, _ images: [(String, String)], initContainers: [(String, String)] = [],
                       ephemeral: [(String, String)] = []) -> String {
        let spec = podSpec(images, initContainers: initContainers, ephemeral: ephemeral)
        let template = #"{"metadata":{"creationTimestamp":null,"labels":{"app":"\#(name)"}},"spec":\#(spec)}"#
        let body: String
        switch kind.kind {
        case "Pod": body = spec
        case "CronJob":
            body = #"{"schedule":"*/5 * * * *","concurrencyPolicy":"Allow","suspend":false,"jobTemplate":{"metadata":{"creationTimestamp":null},"spec":{"template":\#(template)}},"successfulJobsHistoryLimit":3,"failedJobsHistoryLimit":1}"#
        case "Job": body = #"{"parallelism":1,"completions":1,"backoffLimit":6,"template":\#(template)}"#
        default: body = #"{"replicas":1,"selector":{"matchLabels":{"app":"\#(name)"}},"template":\#(template)}"#
        }
        let meta = #"{"name":"\#(name)","namespace":"\#(namespace)","uid":"\#(UUID().uuidString.lowercased())","creationTimestamp":"2026-12-04T13:00:00Z","labels":{"app":"\#(name)"}}"#
        return #"{"kind":"\#(kind.kind)","apiVersion":"\#(kind.apiVersion)","metadata":\#(meta),"spec":\#(body),"status":{}}"#
    }

    /// The whole review; returns it and its uid.
    static func review(_ kind: Kind, namespace: String, name: String, object: String?, oldObject: String? = nil, operation: String = "CREATE",
                       dryRun: Bool = false, subResource: String? = nil) -> (json: String, uid: String) {
        let uid = UUID().uuidString.lowercased()
        let gvk = #"{"group":"\#(kind.group)","version":"\#(kind.version)","kind":"\#(kind.kind)"}"#
        let gvr = #"{"group":"\#(kind.group)","version":"\#(kind.version)","resource":"\#(kind.resource)"}"#
        let options = ["CREATE": "CreateOptions", "UPDATE": "UpdateOptions", "DELETE": "DeleteOptions"][operation] ?? "CreateOptions"
        let sub = subResource.map { #""subResource":"\#($0)","requestSubResource":"\#($0)","# } ?? ""
        let json = #"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"\#(uid)","kind":\#(gvk),"resource":\#(gvr),\#(sub)"requestKind":\#(gvk),"requestResource":\#(gvr),"name":"\#(name)","namespace":"\#(namespace)","operation":"\#(operation)","userInfo":{"username":"kubernetes-admin","groups":["system:masters","system:authenticated"]},"object":\#(object ?? "null"),"oldObject":\#(oldObject ?? "null"),"dryRun":\#(dryRun),"options":{"kind":"\#(options)","apiVersion":"meta.k8s.io/v1"}}}"#
        return (json, uid)
    }
}
