import RampartInspect
import RampartPolicy
import RampartWire

/// A policy compiled once for every worker: what a reload publishes on the board.
///
/// A reload used to re-read and recompile the file on every worker's packet thread: N
/// compiles on the forwarding path, workers possibly on different policies when the file
/// changed between reads, and a failure silent on all but the first. Now the thread that
/// asks (the admin API, or the signal thread) reads and compiles once; each worker builds
/// its own matcher over the shared `CompiledPolicy` between two batches.
///
/// ```swift
/// board.setPolicyLoader({ try PolicyRelease.Content(ConfigurationFile.load(path: path)) }, log: say)
/// let generation = board.requestReload()      // compiled here, once
/// board.policyRelease?.generation == generation   // every worker adopts it
/// ```
public struct PolicyRelease: Sendable {
    /// What a loader returns: the compiled policy and the configuration file's own tags.
    public struct Content: Sendable {
        public var compiled: CompiledPolicy
        public var tags: [(IPAddress, [Tag])]
        /// The signatures (`spec.rules`), compiled once with the policy and swapped with it.
        public var rules: DetectionRuleSet?
        /// The hash lists and YARA rules of `spec.files`, loaded with the policy and swapped with it.
        public var files: FileInspection?
        /// The lists (`spec.lists`), read once with the policy and swapped with it.
        public var indicators: IndicatorStore?
        /// The URL filtering profiles' `blockPage` files, read with the policy, by profile index.
        public var blockPages: [Int32: String]

        public init(compiled: CompiledPolicy, tags: [(IPAddress, [Tag])], rules: DetectionRuleSet? = nil,
                    indicators: IndicatorStore? = nil, blockPages: [Int32: String] = [:], files: FileInspection? = nil) {
            self.compiled = compiled
            self.tags = tags
            self.rules = rules
            self.indicators = indicators
            self.blockPages = blockPages
            self.files = files
        }

        /// The policy of a configuration file read and checked (`ConfigurationFile.load`).
        public init(_ file: ConfigurationFile) {
            self.init(compiled: file.matcher.compiled, tags: file.document.addressTags, rules: file.rules, indicators: file.indicators,
                      blockPages: file.blockPages, files: file.files)
        }
    }

    /// The reload request this policy answers; 0 for the one the firewall started with.
    public var generation: Int
    public var content: Content
}

/// Reads the configuration again and compiles it; throws the file's errors (file:line).
public typealias PolicySource = @Sendable () throws -> PolicyRelease.Content

/// The board's policy state (under its mutex): how to load, and what was published.
struct PolicyPublication {
    var loader: PolicySource?
    var log: (@Sendable (String) -> Void)?
    var release: PolicyRelease?
}
