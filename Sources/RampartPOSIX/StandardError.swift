#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error with one write(2) per call, so lines from several threads never
/// interleave (Foundation's `FileHandle.standardError` is outside FoundationEssentials).
///
/// ```swift
/// StandardError.write("rampart-manager: cannot open the store\n")
/// ```
public enum StandardError {
    public static func write(_ text: String) {
        FileDescriptorWriter.writeAll(Array(text.utf8), to: STDERR_FILENO)
    }
}

/// Whole writes to a file descriptor, retried across short writes and EINTR.
public enum FileDescriptorWriter {
    /// Writes all of `bytes`; false when the descriptor refused them.
    @discardableResult
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
