#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import RampartPolicy
import RampartWire

/// The admin-managed address→tag map and its sequence number on disk (`tagState:` in the
/// configuration), so a restart keeps the manager's tags and still refuses stale updates.
/// The file is a resync body (`TagBatch.json`); it is written whole to a temporary file in
/// the same directory, flushed, and renamed over the old one, so a crash leaves either the
/// old state or the new one.
///
/// ```swift
/// let file = TagStateFile(path: "/var/lib/rampart/tags.json")
/// if let batch = try file.load() { board.restore(batch) }
/// try file.write(sequence: 12, tags: [address: [tag]])
/// ```
public struct TagStateFile: Sendable {
    public var path: String

    public init(path: String) { self.path = path }

    /// The saved state; nil when there is no file yet. Throws when it cannot be read or parsed.
    public func load() throws(TagUpdateError) -> TagBatch? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else { throw TagUpdateError("cannot read \(path)") }
        do {
            var batch = try TagBatch(json: String(decoding: data, as: UTF8.self))
            batch.replace = true
            return batch
        } catch {
            throw TagUpdateError("\(path): \(error)")
        }
    }

    /// Replaces the file with this state (temporary file, fsync, rename).
    public func write(sequence: UInt64, tags: [IPAddress: [Tag]]) throws(TagUpdateError) {
        let bytes = Array(TagBatch.json(sequence: sequence, tags: tags).utf8)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw TagUpdateError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw TagUpdateError("cannot write \(temporary): \(reason)")
            }
            written += n
        }
        fsync(fd)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw TagUpdateError("cannot rename \(temporary) to \(path): \(reason)")
        }
    }
}
