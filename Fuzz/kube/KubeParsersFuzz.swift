// libFuzzer target for everything the manager reads from outside: watch event lines, list
// bodies, kubeconfigs, credential files and its own configuration. The first byte picks
// the parser. Built by Fuzz/kube/build.sh.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch data[0] % 10 {
    case 0: _ = try? WatchEvent<Pod>.decode(line: bytes)
    case 1: _ = try? KubeJSON.decode(ObjectList<Pod>.self, from: bytes, what: "pods")
    case 2: _ = try? KubeJSON.decode(ObjectList<EndpointSlice>.self, from: bytes, what: "slices")
    case 3: _ = try? WatchEvent<Service>.decode(line: bytes)
    case 4: _ = try? ManagerConfiguration.parse(text, file: "fuzz.yaml")
    case 5: _ = try? ClusterCredentials.kubeconfig(text: text, path: "/nonexistent/fuzz.kubeconfig")
    case 6: _ = try? ClusterCredentials.credentialFile(bytes: bytes, path: "fuzz.json", server: "https://127.0.0.1:6443")
    case 7:
        // Image trust's readers: references, imageIDs, patterns, label selectors.
        _ = ImageReference(text)?.description
        _ = ImageReference.digest(ofImageID: text)
        let half = text.split(separator: "\n", maxSplits: 1).map(String.init)
        _ = ImagePattern(half.first ?? "").matches(half.last ?? "")
        _ = (try? LabelSelector.parse(half.first ?? ""))?.matches(["team": half.last ?? "", "kubernetes.io/metadata.name": "shop"])
    case 8:
        // An AdmissionReview as a webhook receives it, judged by a few rules.
        guard let review = try? AdmissionReview.decode(bytes) else { return 0 }
        _ = review.objectName
        _ = fuzzPolicy.judge(spec: review.podSpec, status: nil, namespace: review.request.namespace ?? "", namespaceLabels: ["team": "pay"]).deciding.map(\.explanation)
        _ = AdmissionReview.containerImages(of: review.oldPodSpec)
    default:
        // A watched pod judged with its statuses' imageIDs.
        guard let pod = try? KubeJSON.decode(Pod.self, from: bytes, what: "pod") else { return 0 }
        _ = fuzzPolicy.judge(pod: pod, namespaceLabels: [:]).tag
    }
    return 0
}

let fuzzPolicy: ImageTrustPolicy = {
    var hub = ImageTrustRule(name: "hub", effect: .alert)
    hub.registry = ImagePattern("docker.io")
    hub.repository = ImagePattern("library/*")
    var pinned = ImageTrustRule(name: "pinned", effect: .allow)
    pinned.digest = "sha256:" + String(repeating: "a", count: 64)
    pinned.tag = ImagePattern("1.?*")
    var pay = ImageTrustRule(name: "pay", effect: .deny)
    pay.namespaceSelector = try? LabelSelector.parse("team in (pay)")
    return ImageTrustPolicy(rules: [pinned, pay, hub], defaultEffect: .deny)
}()
