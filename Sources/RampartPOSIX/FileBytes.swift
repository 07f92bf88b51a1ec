#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file could not be read, worded for the person at the terminal.
public struct FileReadError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "cannot read \(path): \(reason)" }
}

/// Reads a whole file into memory with plain POSIX calls (one allocation, no copies): the
/// one file reader of the CLI and the daemons that must not link Foundation.
///
/// ```swift
/// let bytes = try readFileBytes("Samples/sample.pcap", limit: 8 << 30)
/// ```
public func readFileBytes(_ path: String, limit: Int) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        let why = errno == ENOENT ? "no such file (check the path)" : String(cString: strerror(errno))
        throw FileReadError(path: path, reason: why)
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw FileReadError(path: path, reason: String(cString: strerror(errno))) }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw FileReadError(path: path, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    guard size <= limit else {
        throw FileReadError(path: path, reason: "\(size) bytes is over the limit of \(limit) bytes")
    }
    var failure: String?
    let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        var done = 0
        while done < size {
            let n = read(fd, buffer.baseAddress! + done, size - done)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno))
                break
            }
            if n == 0 { break }
            done += n
        }
        count = done
    }
    if let failure { throw FileReadError(path: path, reason: failure) }
    return bytes
}

/// Reads a text file (policy, tags) as UTF-8, refusing binary input clearly.
public func readTextFile(_ path: String, limit: Int = 16 << 20) throws -> String {
    let bytes = try readFileBytes(path, limit: limit)
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw FileReadError(path: path, reason: "not UTF-8 text (is this the right file?)")
    }
    return text
}
