import FoundationEssentials
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Writes a file so that readers see either the old bytes or the new ones, never a torn
/// mix: the bytes go to a temporary file in the same folder, are synced, and the temporary
/// file is renamed over the target (rename(2) is atomic within one file system). The CNI
/// runtime reads conflists at any moment, and the agent can be killed at any moment.
///
/// ```swift
/// try AtomicFile.write(Array(text.utf8), to: "/etc/cni/net.d/10-calico.conflist", mode: 0o644)
/// ```
public enum AtomicFile {
    /// Replaces `path` with `bytes`; `mode` defaults to the replaced file's own mode (or 0644).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t? = nil) throws(NodeError) {
        let folder = PathName.folder(of: path)
        let name = PathName.lastComponent(of: path)
        var info = stat()
        let existingMode: mode_t? = stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
        let temporary = "\(folder.isEmpty ? "." : folder)/.\(name).rampart-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? existingMode ?? 0o644)
        guard fd >= 0 else { throw .io(path: temporary, operation: "creating", errno: errno) }
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        // open(2) applies the umask; the file must carry exactly the mode asked for.
        if failure == 0, fchmod(fd, mode ?? existingMode ?? 0o644) != 0 { failure = errno }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw .io(path: path, operation: "writing", errno: failure)
        }
    }

    /// The file's bytes, or nil when it does not exist.
    public static func read(_ path: String) throws(NodeError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(path: path, operation: "reading", errno: EACCES)
        }
        return Array(data)
    }
}
