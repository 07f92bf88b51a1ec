import FoundationEssentials
import RampartPOSIX
import Synchronization

/// The attachments the plugin reported, kept in memory and in a JSON file (rewritten
/// atomically on each change) so a restarted agent still knows which running pods it can
/// steer or un-steer.
///
/// ```swift
/// let registry = try AttachmentRegistry(path: "/var/lib/rampart/attachments.json")
/// try registry.put(attachment)
/// try registry.remove(containerID: "abc", ifname: "eth0")
/// ```
public final class AttachmentRegistry: Sendable {
    public let path: String?
    private let entries: Mutex<[String: PodAttachment]>

    /// Loads `path` when it exists; nil keeps everything in memory only (tests).
    public init(path: String?) throws(NodeError) {
        self.path = path
        var loaded: [String: PodAttachment] = [:]
        if let path, let bytes = try AtomicFile.read(path) {
            guard let file = try? JSONDecoder().decode(File.self, from: Data(bytes)) else {
                throw .configuration("\(path) is not an attachments file; move it away and restart (running pods keep their current steering)")
            }
            for attachment in file.attachments { loaded[attachment.key] = attachment }
        }
        entries = Mutex(loaded)
    }

    private struct File: Codable {
        var version = 1
        var attachments: [PodAttachment]
    }

    public var all: [PodAttachment] { entries.withLock { Array($0.values) }.sorted { $0.key < $1.key } }

    public func attachment(containerID: String, ifname: String) -> PodAttachment? {
        entries.withLock { $0["\(containerID)/\(ifname)"] }
    }

    /// The attachments of one pod (`namespace/name`).
    public func attachments(ofPod podKey: String) -> [PodAttachment] {
        entries.withLock { $0.values.filter { $0.podKey == podKey } }
    }

    public func put(_ attachment: PodAttachment) throws(NodeError) {
        try entries.withLock { entries throws(NodeError) in
            entries[attachment.key] = attachment
            try save(entries)
        }
    }

    /// Forgets an attachment; true when it was known.
    @discardableResult
    public func remove(containerID: String, ifname: String) throws(NodeError) -> Bool {
        try entries.withLock { entries throws(NodeError) in
            guard entries.removeValue(forKey: "\(containerID)/\(ifname)") != nil else { return false }
            try save(entries)
            return true
        }
    }

    /// Records a new steering state for a known attachment.
    public func setSteered(_ steered: Bool, key: String) throws(NodeError) {
        try entries.withLock { entries throws(NodeError) in
            guard var entry = entries[key], entry.steered != steered else { return }
            entry.steered = steered
            entries[key] = entry
            try save(entries)
        }
    }

    /// Written while the lock is held, so the file always reflects the latest state.
    private func save(_ entries: [String: PodAttachment]) throws(NodeError) {
        guard let path else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(File(attachments: entries.values.sorted { $0.key < $1.key })) else {
            throw .configuration("cannot encode the attachments")
        }
        let folder = PathName.folder(of: path)
        // Root-only when the agent creates it; the file itself is 0600 whatever the folder.
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try AtomicFile.write(Array(data), to: path, mode: 0o600)
    }
}
