#if canImport(Glibc)
import Glibc
#endif
import RampartInspect

/// The lists' file system on disk for the firewall, with plain POSIX calls: Foundation's
/// `FileManager` would link ICU's locale data into the firewall's image (its 60 MB budget).
/// The CLI's `DiskListFiles` does the same with Foundation.
public struct IndicatorListFiles: ListFileSystem {
    /// The largest list file read (the store itself holds at most 20 M entries).
    public var maximumFileBytes = 2 << 30

    public init() {}

    public func kind(of path: String) -> ListPathKind {
        var status = stat()
        guard stat(path, &status) == 0 else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return .folder
        case S_IFREG: return .file
        default: return .other
        }
    }

    public func entries(of folder: String) throws -> [String] {
        guard let directory = opendir(folder) else { throw IndicatorListFileError(errnoText()) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    public func symbolicLinkTarget(of path: String) -> String? {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { readlink(trimmed, $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4096) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    public func contents(of file: String) throws -> [UInt8] {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IndicatorListFileError(errnoText()) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw IndicatorListFileError(errnoText()) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw IndicatorListFileError("not a regular file") }
        let size = Int(status.st_size)
        guard size <= maximumFileBytes else {
            throw IndicatorListFileError("\(size) bytes is over the limit of \(maximumFileBytes) bytes")
        }
        var failure: String?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errnoText()
                    break
                }
                if n == 0 { break }
                done += n
            }
            count = done
        }
        if let failure { throw IndicatorListFileError(failure) }
        return bytes
    }

    func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Why a list file could not be read (the loader adds the path).
public struct IndicatorListFileError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
