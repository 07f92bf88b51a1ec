/// The trust rules one cluster evaluates, in order, and what an image no rule matches gets.
///
/// ```swift
/// let policy = ImageTrustPolicy(rules: rules, defaultEffect: .alert).forCluster("prod")
/// let verdict = policy.judge(pod: pod, namespaceLabels: ["team": "pay"])
/// verdict.effect  // .deny
/// verdict.tag     // "image-trust:untrusted"
/// ```
public struct ImageTrustPolicy: Sendable, Equatable {
    public var rules: [ImageTrustRule]
    public var defaultEffect: ImageTrustEffect

    public init(rules: [ImageTrustRule] = [], defaultEffect: ImageTrustEffect = .alert) {
        self.rules = rules
        self.defaultEffect = defaultEffect
    }

    /// The rules that apply to `cluster` (those without `clusters`, and those naming it).
    public func forCluster(_ cluster: String) -> ImageTrustPolicy {
        ImageTrustPolicy(rules: rules.filter { $0.clusters?.contains(cluster) ?? true }, defaultEffect: defaultEffect)
    }

    /// The verdict on one container's image: the first rule whose conditions all hold.
    public func judge(_ image: ContainerImage, namespace: String, namespaceLabels: [String: String]) -> ImageVerdict {
        let reference = ImageReference(image.image)
        let digest = reference?.digest ?? image.resolvedDigest
        var labels = namespaceLabels
        // Every namespace carries its name as a label (Kubernetes 1.21+); supplied when the
        // namespace is not known yet, so selectors on it work at admission too.
        if labels["kubernetes.io/metadata.name"] == nil { labels["kubernetes.io/metadata.name"] = namespace }
        for rule in rules where rule.applies(namespace: namespace, labels: labels) && rule.matches(reference, digest: digest) {
            return ImageVerdict(container: image, digest: digest, effect: rule.effect, rule: rule.name, readable: reference != nil)
        }
        return ImageVerdict(container: image, digest: digest, effect: defaultEffect, rule: nil, readable: reference != nil)
    }

    /// The verdict on a pod: every container's image (init, regular, ephemeral), resolved to
    /// the digest the node ran where the status says; the pod takes the most severe effect.
    public func judge(pod: Pod, namespaceLabels: [String: String]) -> PodVerdict {
        judge(spec: pod.spec, status: pod.status, namespace: pod.metadata.namespace ?? "default", namespaceLabels: namespaceLabels)
    }

    /// The verdict on a pod spec (a pod, or a workload's pod template at admission).
    public func judge(spec: Pod.Spec?, status: Pod.Status?, namespace: String, namespaceLabels: [String: String]) -> PodVerdict {
        let images = ContainerImage.all(spec: spec, status: status)
        let verdicts = images.map { judge($0, namespace: namespace, namespaceLabels: namespaceLabels) }
        return PodVerdict(images: verdicts)
    }
}

/// One container's image as the pod names it, and the digest its node pulled.
public struct ContainerImage: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case container, initContainer, ephemeralContainer
    }
    public var name: String
    public var kind: Kind
    /// The reference as the spec writes it.
    public var image: String
    /// From the container's status `imageID`; nil until the node pulled the image.
    public var resolvedDigest: String?

    public init(name: String, kind: Kind, image: String, resolvedDigest: String? = nil) {
        self.name = name
        self.kind = kind
        self.image = image
        self.resolvedDigest = resolvedDigest
    }

    /// Init containers, containers and ephemeral containers, each with the digest of its status.
    public static func all(spec: Pod.Spec?, status: Pod.Status?) -> [ContainerImage] {
        var result: [ContainerImage] = []
        func add(_ containers: [Pod.Container]?, _ statuses: [Pod.ContainerStatus]?, _ kind: Kind) {
            for container in containers ?? [] {
                let status = statuses?.first { $0.name == container.name }
                result.append(ContainerImage(name: container.name, kind: kind, image: container.image ?? "",
                                             resolvedDigest: ImageReference.digest(ofImageID: status?.imageID)))
            }
        }
        add(spec?.initContainers, status?.initContainerStatuses, .initContainer)
        add(spec?.containers, status?.containerStatuses, .container)
        add(spec?.ephemeralContainers, status?.ephemeralContainerStatuses, .ephemeralContainer)
        return result
    }
}

/// The verdict on one image, with the rule that decided (nil: the default).
public struct ImageVerdict: Sendable, Equatable {
    public var container: ContainerImage
    /// The digest it was judged by (pinned, or the node's), if known.
    public var digest: String?
    public var effect: ImageTrustEffect
    public var rule: String?
    /// False when the reference could not be read (only rules without image conditions match it).
    public var readable: Bool

    /// `image "nginx:1.25" (container "web", digest sha256:…) matches rule "no-hub" (deny)`.
    public var explanation: String {
        var subject = "image \"\(container.image)\" (\(container.kind == .container ? "container" : container.kind == .initContainer ? "init container" : "ephemeral container") \"\(container.name)\""
        if let digest, ImageReference(container.image)?.digest == nil { subject += ", ran as \(digest)" }
        subject += ")"
        if !readable { subject += " is not a readable image reference and" }
        if let rule { return "\(subject) matches image trust rule \"\(rule)\" (\(effect.rawValue))" }
        return "\(subject) matches no image trust rule; the default is \(effect.rawValue)"
    }
}

/// The verdict on a pod: its images' verdicts and the most severe effect among them.
public struct PodVerdict: Sendable, Equatable {
    public var images: [ImageVerdict]
    public init(images: [ImageVerdict]) { self.images = images }

    /// `allow` for a pod without containers (there is nothing to distrust).
    public var effect: ImageTrustEffect { images.map(\.effect).max() ?? .allow }
    public var tag: String { effect.tag }
    /// The images that gave the pod its effect.
    public var deciding: [ImageVerdict] { images.filter { $0.effect == effect } }
}
