import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Puts the chained plugin where the container runtime finds it: the `rampart-cni` binary
/// into the CNI bin folder, and its entry at the end of the primary plugin's conflist (the
/// first `*.conflist` of the conf folder by name, the one the runtime uses). Running it
/// again changes nothing; `uninstall` takes out exactly the entry.
///
/// ```swift
/// let installation = PluginInstallation(binDirectory: "/opt/cni/bin", confDirectory: "/etc/cni/net.d",
///                                       pluginBinary: "/usr/local/bin/rampart-cni", entry: entry)
/// let outcome = try installation.install()   // .binary / .conflist flags say what was written
/// ```
public struct PluginInstallation: Sendable {
    public var binDirectory: String
    public var confDirectory: String
    /// The `rampart-cni` executable to copy; nil skips the binary (it is installed otherwise).
    public var pluginBinary: String?
    public var entry: PluginEntry

    public init(binDirectory: String = "/opt/cni/bin", confDirectory: String = "/etc/cni/net.d",
                pluginBinary: String?, entry: PluginEntry) {
        self.binDirectory = binDirectory
        self.confDirectory = confDirectory
        self.pluginBinary = pluginBinary
        self.entry = entry
    }

    /// What an install or uninstall changed.
    public struct Outcome: Sendable, Equatable {
        /// The conflist edited (or looked at).
        public var conflist: String?
        public var conflistChanged = false
        public var binaryChanged = false
        public init(conflist: String? = nil, conflistChanged: Bool = false, binaryChanged: Bool = false) {
            self.conflist = conflist
            self.conflistChanged = conflistChanged
            self.binaryChanged = binaryChanged
        }
    }

    /// The primary's conflist: the first `*.conflist` by name, nil when there is none yet
    /// (the primary's own installer may not have run).
    public func primaryConflist() -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: confDirectory) else { return nil }
        return names.filter { $0.hasSuffix(".conflist") && !$0.hasPrefix(".") }.sorted().first.map { "\(confDirectory)/\($0)" }
    }

    /// Copies the binary (when its bytes differ) and appends the entry (when not already last).
    public func install() throws(NodeError) -> Outcome {
        var outcome = Outcome()
        if let pluginBinary {
            outcome.binaryChanged = try installBinary(from: pluginBinary)
        }
        guard let path = primaryConflist() else {
            throw .conflist(path: confDirectory, reason: "no *.conflist here yet; install the primary CNI plugin first (rampart chains after it)")
        }
        outcome.conflist = path
        guard let original = try AtomicFile.read(path) else {
            throw .conflist(path: path, reason: "disappeared while being read")
        }
        if let edited = try ConflistEditor.inserting(entry, into: original, path: path) {
            try AtomicFile.write(edited, to: path)
            outcome.conflistChanged = true
        }
        return outcome
    }

    /// Removes the entry from every conflist of the folder that has it. The binary stays
    /// unless `removeBinary`: the runtime runs DEL for existing pods with the configuration
    /// it cached at ADD, and a missing binary would leave those pods undeletable.
    public func uninstall(removeBinary: Bool = false) throws(NodeError) -> Outcome {
        var outcome = Outcome()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: confDirectory)) ?? []
        for name in names.sorted() where name.hasSuffix(".conflist") && !name.hasPrefix(".") {
            let path = "\(confDirectory)/\(name)"
            guard let original = try AtomicFile.read(path) else { continue }
            if let edited = try? ConflistEditor.removing(type: entry.type, from: original, path: path) {
                try AtomicFile.write(edited, to: path)
                outcome.conflist = path
                outcome.conflistChanged = true
            }
        }
        if removeBinary {
            let target = "\(binDirectory)/\(entry.type)"
            if unlink(target) == 0 { outcome.binaryChanged = true } else if errno != ENOENT {
                throw .io(path: target, operation: "removing", errno: errno)
            }
        }
        return outcome
    }

    /// Whether the entry is the last plugin of the primary's conflist now.
    public func isInstalled() -> Bool {
        guard let path = primaryConflist(), let bytes = try? AtomicFile.read(path),
              let types = try? ConflistEditor.pluginTypes(bytes, path: path) else { return false }
        return types.last == entry.type
    }

    private func installBinary(from source: String) throws(NodeError) -> Bool {
        guard let bytes = try AtomicFile.read(source) else {
            throw .io(path: source, operation: "reading the plugin binary", errno: ENOENT)
        }
        let target = "\(binDirectory)/\(entry.type)"
        if let existing = try? AtomicFile.read(target), existing == bytes { return false }
        do {
            try FileManager.default.createDirectory(atPath: binDirectory, withIntermediateDirectories: true)
        } catch {
            throw .io(path: binDirectory, operation: "creating", errno: EACCES)
        }
        // Renamed into place, so a runtime executing the old binary keeps its inode.
        try AtomicFile.write(bytes, to: target, mode: 0o755)
        return true
    }
}
