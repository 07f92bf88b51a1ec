#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import RampartJSON
import Synchronization

/// A policy a manager pushed (`PUT /policy`): the commit it came from and its full text
/// (the documents `rampart policy validate` reads: SecurityPolicy, AddressTags, profiles).
/// It takes the place of the configuration file's own policy documents.
public struct PushedPolicy: Sendable, Equatable {
    public var commit: String
    public var text: String

    public init(commit: String, text: String) {
        self.commit = commit
        self.text = text
    }

    /// The name its errors carry (`policy@7:12:3: ...`), so they say which commit is wrong.
    public var fileName: String { "policy@\(commit)" }

    /// FNV-1a (64 bits) of the text in hex: the manager compares it with its own, so a
    /// firewall that runs a commit of the same number from another history is noticed.
    public var digest: String { PushedPolicy.digest(of: text) }

    public static func digest(of text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// `{"commit": "7", "policy": "..."}`: the body of `PUT /policy` and the state file.
    public var json: String {
        JSONValue.object([("commit", .string(commit)), ("policy", .string(text))]).serialized()
    }

    /// Parses a `PUT /policy` body or the state file.
    public init(json: String) throws(PushedPolicyError) {
        let value: JSONValue
        do { value = try JSONValue.parse(json, duplicateKeys: .reject) } catch {
            throw PushedPolicyError("the body is not JSON: \(error); send {\"commit\": \"ID\", \"policy\": \"YAML text\"}")
        }
        guard let commit = value["commit"]?.stringValue ?? value["commit"]?.intValue.map(String.init) else {
            throw PushedPolicyError("missing \"commit\": the id of the manager's commit (a string)")
        }
        guard !commit.isEmpty, commit.count <= 64, commit.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw PushedPolicyError("\"commit\" must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
        guard let text = value["policy"]?.stringValue else {
            throw PushedPolicyError("missing \"policy\": the policy's YAML text (a string)")
        }
        self.init(commit: commit, text: text)
    }
}

public struct PushedPolicyError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The firewall's pushed policy: the one it runs, the one being tried (a reload reads it
/// while `PUT /policy` waits for the verdict), and the file that keeps the running one
/// across restarts (`spec.policyState`; written to a temporary file, fsynced, renamed).
///
/// ```swift
/// let state = PushedPolicyState(path: "/var/lib/rampart/policy.json")
/// let saved = try state.restore()                       // at start
/// board.setPolicyLoader({ try PolicyRelease.Content(ConfigurationFile.load(path: p, pushed: state.forReload)) })
/// ```
public final class PushedPolicyState: Sendable {
    public let path: String?
    private let state = Mutex<(running: PushedPolicy?, candidate: PushedPolicy?)>((nil, nil))
    /// One push at a time: set the candidate, reload, keep or drop it.
    let pushing = Mutex<Void>(())
    let accepted = Atomic<Int>(0)
    let rejected = Atomic<Int>(0)

    public init(path: String?) { self.path = path }

    /// The policy a reload compiles: the candidate of a push in progress, else the running one.
    public var forReload: PushedPolicy? { state.withLock { $0.candidate ?? $0.running } }
    public var running: PushedPolicy? { state.withLock { $0.running } }

    func setCandidate(_ policy: PushedPolicy?) { state.withLock { $0.candidate = policy } }

    /// Makes `policy` the running one (and forgets the candidate).
    public func adopt(_ policy: PushedPolicy?) { state.withLock { $0 = (policy, nil) } }

    /// Reads the saved policy into `running`; nil when there is no file (or no path).
    @discardableResult
    public func restore() throws(PushedPolicyError) -> PushedPolicy? {
        guard let path, FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw PushedPolicyError("cannot read \(path)") }
        do {
            let policy = try PushedPolicy(json: String(decoding: data, as: UTF8.self))
            adopt(policy)
            return policy
        } catch {
            throw PushedPolicyError("\(path): \(error)")
        }
    }

    /// Saves the running policy (temporary file, fsync, rename); nothing without a path.
    func save(_ policy: PushedPolicy) throws(PushedPolicyError) {
        guard let path else { return }
        let bytes = Array(policy.json.utf8)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PushedPolicyError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw PushedPolicyError("cannot write \(temporary): \(reason)")
            }
            written += n
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw PushedPolicyError("cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    /// `rampart_policy_commit_info{commit,digest} 1` and the push counters, for `/metrics`.
    public var prometheusText: String {
        var text = "# HELP rampart_policy_commit_info The manager's policy commit this firewall runs (none: its configuration file's policy).\n"
        text += "# TYPE rampart_policy_commit_info gauge\n"
        let policy = running
        text += "rampart_policy_commit_info{commit=\"\(policy?.commit ?? "none")\",digest=\"\(policy?.digest ?? "")\"} 1\n"
        text += "# HELP rampart_policy_pushes_total Policies pushed by a manager (PUT /policy), by result.\n"
        text += "# TYPE rampart_policy_pushes_total counter\n"
        text += "rampart_policy_pushes_total{result=\"accepted\"} \(accepted.load(ordering: .relaxed))\n"
        text += "rampart_policy_pushes_total{result=\"rejected\"} \(rejected.load(ordering: .relaxed))\n"
        return text
    }
}
