/// Which label keys become tags. Pod-template hashes and other per-rollout labels are left
/// out by default: they change on every rollout and no rule should name them.
///
/// ```swift
/// let filter = LabelFilter(include: ["app", "app.kubernetes.io/*"])
/// filter.admits("app.kubernetes.io/name")  // true
/// filter.admits("tier")                    // false
/// ```
public struct LabelFilter: Sendable, Equatable {
    /// Keys (or `prefix*` patterns) that become tags; nil admits every key not excluded.
    public var include: [String]?
    public var exclude: [String]

    public static let defaultExclusions = [
        "pod-template-hash", "controller-revision-hash", "pod-template-generation",
        "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
        "batch.kubernetes.io/controller-uid", "controller-uid", "batch.kubernetes.io/job-name", "job-name",
    ]

    public init(include: [String]? = nil, exclude: [String] = LabelFilter.defaultExclusions) {
        self.include = include
        self.exclude = exclude
    }

    public func admits(_ key: String) -> Bool {
        if exclude.contains(where: { LabelFilter.matches($0, key) }) { return false }
        guard let include else { return true }
        return include.contains { LabelFilter.matches($0, key) }
    }

    static func matches(_ pattern: String, _ key: String) -> Bool {
        pattern.hasSuffix("*") ? key.hasPrefix(pattern.dropLast()) : pattern == key
    }
}
