#if canImport(Glibc)
import RampartPOSIX
import Glibc
#endif
import RampartWire

/// A capture file read a chunk at a time with read(2), for a streaming ``CaptureReader``:
/// `rampart inspect` holds one window of the file (about 1 MiB), never the whole of it.
/// Also reads pipes (`-` is standard input), whose size is unknown.
struct FileCaptureSource: CaptureSource {
    let descriptor: Int32
    let size: Int?

    /// Opens `path` (`-`: standard input); errors say what to check.
    init(path: String) throws(FileReadError) {
        if path == "-" {
            descriptor = 0
            size = nil
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let why = errno == ENOENT ? "no such file (check the path)" : String(cString: strerror(errno))
            throw FileReadError(path: path, reason: why)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let why = String(cString: strerror(errno))
            Glibc.close(fd)
            throw FileReadError(path: path, reason: why)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: size = Int(info.st_size)
        case S_IFIFO, S_IFCHR, S_IFSOCK: size = nil
        default:
            Glibc.close(fd)
            throw FileReadError(path: path, reason: "not a regular file or a pipe")
        }
        descriptor = fd
        // The kernel reads ahead further for a file read from start to end.
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CaptureError) -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw CaptureError(.readFailed(String(cString: strerror(errno))), byteOffset: 0, recordNumber: 0)
        }
    }

    func close() {
        if descriptor > 0 { Glibc.close(descriptor) }
    }
}
