/// What a trust rule (or the policy's default) does with an image it matches.
///
/// Ordered by severity: a pod takes the most severe effect of its images.
public enum ImageTrustEffect: String, Sendable, Equatable, Comparable, CaseIterable {
    /// Trusted: admitted; the pod's addresses get `image-trust:trusted`.
    case allow
    /// Admitted with a warning the client shows; `image-trust:alert`, counted and logged.
    case alert
    /// Refused at admission; a pod that runs anyway (created before the rule, or while the
    /// webhook was off) gets `image-trust:untrusted`, which the policy can fence.
    case deny

    var rank: Int {
        switch self {
        case .allow: 0
        case .alert: 1
        case .deny: 2
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    /// The tag the pod's addresses get.
    public var tag: String {
        switch self {
        case .allow: "image-trust:trusted"
        case .alert: "image-trust:alert"
        case .deny: "image-trust:untrusted"
        }
    }
}

/// One trust rule: where it applies (clusters, namespaces) and which images it matches
/// (registry, repository, tag, digest); every condition given must hold, an absent one
/// matches anything. Rules are evaluated in order and the first that matches decides
/// (docs/image-trust.md, "Evaluation order").
///
/// ```swift
/// var rule = ImageTrustRule(name: "platform", effect: .allow)
/// rule.registry = ImagePattern("registry.example.com")
/// rule.repository = ImagePattern("platform/*")
/// ```
public struct ImageTrustRule: Sendable, Equatable {
    public var name: String
    public var effect: ImageTrustEffect
    /// The clusters it applies to; nil: every cluster.
    public var clusters: [String]?
    /// Namespace names it applies to; nil: every namespace (subject to `namespaceSelector`).
    public var namespaces: [String]?
    /// Namespaces by their labels; nil: every namespace.
    public var namespaceSelector: LabelSelector?
    public var registry: ImagePattern?
    public var repository: ImagePattern?
    public var tag: ImagePattern?
    /// The digest the image must have: pinned in the reference, or (a tag) the digest the
    /// node pulled. An image whose digest is not known yet (admission of a tag, a pod not
    /// yet pulled) does not match a rule with a digest.
    public var digest: String?

    public init(name: String, effect: ImageTrustEffect) {
        self.name = name
        self.effect = effect
    }

    /// Whether the rule's place conditions hold for a namespace.
    func applies(namespace: String, labels: [String: String]) -> Bool {
        if let namespaces, !namespaces.contains(namespace) { return false }
        if let namespaceSelector, !namespaceSelector.matches(labels) { return false }
        return true
    }

    /// Whether the image conditions hold; `digest` is the image's known digest.
    func matches(_ image: ImageReference?, digest known: String?) -> Bool {
        guard let image else { return registry == nil && repository == nil && tag == nil && digest == nil }
        if let registry, !registry.matches(image.registry) { return false }
        if let repository, !repository.matches(image.repository) { return false }
        if let tag {
            guard let value = image.tag, tag.matches(value) else { return false }
        }
        if let digest, digest != known { return false }
        return true
    }
}
