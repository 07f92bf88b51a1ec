import FoundationEssentials
import RampartPOSIX
import RampartPolicy

/// What the policy checker found: the rules of the compiled policy and its warnings, or the
/// errors exactly as `rampart policy validate` prints them (`FILE:LINE:COLUMN: message`).
public struct PolicyCheck: Sendable {
    public var rules: Int
    public var warnings: [String]

    /// Loads, validates and compiles `text` as `rampart policy validate FILE` does (the same
    /// loader, the same matcher); throws the same errors.
    public static func validate(_ text: String, file: String) throws(PolicyErrors) -> PolicyCheck {
        let document = try PolicyLoader.load(yaml: text, file: file)
        let matcher = try PolicyMatcher(document, tags: document.addressTags)
        let warnings = document.warnings.map { "\($0.file):\($0.line):\($0.column): warning: \($0.message)" }
        return PolicyCheck(rules: matcher.rules.count, warnings: warnings)
    }
}

/// The manager's policy history: candidates validated and committed, per target (`all` or
/// a firewall group), each with the diff against the target's previous commit; rollback is
/// a new commit of an old text. Every commit wakes the policy pushers.
///
/// ```swift
/// let commits = PolicyCommits(store: store, groups: ["edge"])
/// switch try commits.commit(text: yaml, message: "deny db", author: "ops") {
/// case .committed(let commit): print(commit.id, commit.diff)
/// case .unchanged(let current): print("already", current.id)
/// case .invalid(let errors): print(errors.joined(separator: "\n"))
/// }
/// ```
public final class PolicyCommits: @unchecked Sendable {
    public enum Outcome: Sendable {
        case committed(PolicyCommit, warnings: [String])
        /// The text is the target's newest commit already: nothing new.
        case unchanged(PolicyCommit)
        /// `FILE:LINE:COLUMN: message` lines, as `rampart policy validate` prints them.
        case invalid([String])
    }

    public let store: PolicyStore
    /// The group names firewalls carry; a commit targets `all` or one of them.
    public let groups: Set<String>
    private let clock: @Sendable () -> Double
    private let lock = Lock()
    private var listeners: [@Sendable (PolicyCommit) -> Void] = []
    private(set) var counts = (commits: 0, refused: 0)

    public init(store: PolicyStore, groups: Set<String>, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.store = store
        self.groups = groups
        self.clock = clock
    }

    /// Called after every commit (the pushers wake up).
    public func onCommit(_ listener: @escaping @Sendable (PolicyCommit) -> Void) { lock.withLock { listeners.append(listener) } }

    public func isKnownTarget(_ target: String) -> Bool { target == "all" || groups.contains(target) }

    /// Validates `text` and commits it to `target` when it differs from the target's newest commit.
    public func commit(text: String, message: String, author: String, target: String = "all", source: String = "api",
                       file: String = "policy.yaml") throws(StoreError) -> Outcome {
        let check: PolicyCheck
        do { check = try PolicyCheck.validate(text, file: file) } catch {
            lock.withLock { counts.refused += 1 }
            return .invalid(error.errors.map(\.description))
        }
        let (outcome, notify) = try lock.withLock { () throws(StoreError) -> (Outcome, [@Sendable (PolicyCommit) -> Void]) in
            let previous = try store.latest(targets: [target])
            if let previous, previous.text == text { return (.unchanged(previous), []) }
            let next = (try store.history(target: nil, limit: 1).first?.id ?? 0) + 1
            let diff = LineDiff.unified(old: previous?.text ?? "", new: text,
                                        oldName: previous.map { "commit \($0.id)" } ?? "/dev/null", newName: "commit \(next)")
            let id = try store.insert(target: target, time: clock(), author: author, message: message, source: source,
                                      text: text, diff: diff, rules: check.rules)
            guard let commit = try store.commit(id) else { throw StoreError("commit \(id) vanished after insert") }
            counts.commits += 1
            return (.committed(commit, warnings: check.warnings), listeners)
        }
        if case .committed(let commit, _) = outcome { for listener in notify { listener(commit) } }
        return outcome
    }

    /// Commits commit `id`'s text again, to its target: one call back to any earlier policy.
    public func rollback(to id: Int, author: String, message: String?) throws(StoreError) -> Outcome? {
        guard let old = try store.commit(id) else { return nil }
        return try commit(text: old.text, message: message ?? "rollback to commit \(id)", author: author, target: old.target,
                          source: "rollback of \(id)", file: "commit-\(id).yaml")
    }

    /// The commit a firewall in `groups` should run: the newest of `all` and its groups.
    public func wanted(groups: [String]) throws(StoreError) -> PolicyCommit? {
        try store.latest(targets: ["all"] + groups)
    }

    /// The newest commit of each target that has one.
    public func heads() throws(StoreError) -> [PolicyCommit] {
        var heads: [PolicyCommit] = []
        for target in ["all"] + groups.sorted() { if let head = try store.latest(targets: [target]) { heads.append(head) } }
        return heads
    }
}
