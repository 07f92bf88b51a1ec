#if canImport(Glibc)
import Glibc
#endif
import RampartPOSIX

/// GitOps: every `intervalSeconds` the manager fetches the branch into a bare repository
/// of its own (beside the state file), and when the branch moved, reads the policy file at
/// the new revision and commits it (author `git:NAME`, the Git subject as the message). A
/// file that does not validate is refused, logged with its errors (`gitops-refused`) and
/// shown in `GET /policy` until a later revision fixes it; the firewalls keep the last
/// commit that validated.
///
/// ```swift
/// let puller = GitPolicyPuller(source: git, folder: "/var/lib/rampart/git", commits: commits, log: log)
/// puller.pullOnce()   // what the schedule runs
/// ```
public final class GitPolicyPuller: @unchecked Sendable {
    public let source: GitPolicySource
    public let folder: String
    private let commits: PolicyCommits
    private let log: @Sendable (String) -> Void
    private let lock = Lock()

    public struct Status: Sendable, Encodable {
        /// The last revision read (validated or not).
        public var revision: String?
        public var lastPull: Double?
        /// Why the last revision was refused (its errors), or why the pull failed.
        public var refused: [String]?
        public var error: String?
        public var pulls = 0
        public var refusals = 0
    }
    private var state = Status()

    public init(source: GitPolicySource, folder: String, commits: PolicyCommits, log: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.folder = folder
        self.commits = commits
        self.log = log
    }

    public var status: Status { lock.withLock { state } }

    public func run(until stop: StopSignal, clock: () -> Double) {
        while !stop.isStopped {
            pullOnce(now: clock())
            stop.sleep(source.intervalSeconds)
        }
    }

    /// Fetches the branch; commits its policy file when the branch moved.
    public func pullOnce(now: Double = 0) {
        do throws(GitRunner.Failure) {
            if access(folder + "/HEAD", F_OK) != 0 { _ = try GitRunner.run(["init", "--quiet", "--bare", folder]) }
            _ = try GitRunner.run(["--git-dir", folder, "fetch", "--quiet", "--no-tags", source.repository,
                                   "+refs/heads/\(source.branch):refs/heads/\(source.branch)"])
            let revision = try GitRunner.run(["--git-dir", folder, "rev-parse", "--verify", "refs/heads/\(source.branch)^{commit}"])
                .trimming(.whitespacesAndNewlines)
            let known = lock.withLock { () -> String? in
                state.pulls += 1
                state.lastPull = now
                state.error = nil
                return state.revision
            }
            guard revision != known else { return }
            let text = try GitRunner.run(["--git-dir", folder, "show", "\(revision):\(source.path)"])
            let info = try GitRunner.run(["--git-dir", folder, "log", "-1", "--format=%an%n%s", revision]).split(separator: "\n", omittingEmptySubsequences: false)
            let author = "git:" + (info.first.map(String.init) ?? "unknown")
            let subject = info.count > 1 ? String(info[1]) : ""
            let short = String(revision.prefix(12))
            let outcome = try? commits.commit(text: text, message: "\(subject) (\(source.branch) \(short))", author: author, target: source.target,
                                              source: "git \(source.branch) \(revision)", file: source.path)
            lock.withLock { state.revision = revision }
            switch outcome {
            case .invalid(let errors):
                lock.withLock {
                    state.refused = errors
                    state.refusals += 1
                }
                log(ManagerLog.line("error", event: "gitops-refused", fields: [
                    "branch": .string(source.branch), "revision": .string(revision), "errors": .array(errors.map { .string($0) }),
                ]))
            case .committed(let commit, _):
                lock.withLock { state.refused = nil }
                log(ManagerLog.line("info", event: "gitops-committed", fields: [
                    "branch": .string(source.branch), "revision": .string(revision), "commit": .integer(commit.id),
                ]))
            case .unchanged:
                lock.withLock { state.refused = nil }
            case nil:
                lock.withLock { state.revision = known }
                log(ManagerLog.line("error", event: "gitops-failed", fields: ["error": .string("cannot store the commit")]))
            }
        } catch {
            lock.withLock { state.error = error.description }
            log(ManagerLog.line("warning", event: "gitops-failed", fields: [
                "branch": .string(source.branch), "repository": .string(source.repository), "error": .string(error.description),
            ]))
        }
    }
}
