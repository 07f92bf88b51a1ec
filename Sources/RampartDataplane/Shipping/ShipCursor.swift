#if canImport(Glibc)
import Glibc
#endif
import RampartJSON

/// How far the syslog collector has acknowledged the event files: every byte before
/// `offset` in the file `file`, and every byte of the files rotated before it. Kept on disk
/// beside the events (`eve.json.shipped`) so a restart resumes where delivery stood and
/// rotation knows which files it may delete.
///
/// The file is one JSON line, replaced whole (temporary file, fsync, rename, fsync of the
/// directory): a crash leaves the old cursor or the new one, never half of one.
///
/// ```swift
/// try ShipCursor(file: identity, offset: 4096).save(to: "/var/log/rampart/eve.json.shipped")
/// let cursor = try ShipCursor.load(from: "/var/log/rampart/eve.json.shipped")   // nil: no file yet
/// ```
public struct ShipCursor: Sendable, Equatable, CustomStringConvertible {
    public var file: FileIdentity
    public var offset: Int

    public init(file: FileIdentity, offset: Int) {
        self.file = file
        self.offset = offset
    }

    public var description: String { "\(file) offset \(offset)" }

    /// `{"device":2049,"inode":1234,"offset":5678}`
    var json: String {
        JSONValue.object([("device", .integer(file.device)), ("inode", .integer(file.inode)), ("offset", .integer(offset))]).serialized() + "\n"
    }

    /// The saved cursor; nil when there is none. Throws when the file cannot be read or
    /// does not hold a cursor.
    public static func load(from path: String) throws(ShipCursorError) -> ShipCursor? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw ShipCursorError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        // A cursor is some 60 bytes; anything past 4 KiB is not one.
        while bytes.count <= 4096 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw ShipCursorError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            bytes += chunk[0 ..< n]
        }
        while bytes.last == 0x0A { bytes.removeLast() }
        guard let value = try? JSONValue.parse(bytes),
              let device = value["device"]?.integer(UInt64.self), let inode = value["inode"]?.integer(UInt64.self),
              let offset = value["offset"]?.integer(Int.self, in: 0 ... Int.max)
        else { throw ShipCursorError("\(path) does not hold a shipping cursor ({\"device\":N,\"inode\":N,\"offset\":N})") }
        return ShipCursor(file: FileIdentity(device: device, inode: inode), offset: offset)
    }

    /// Replaces the saved cursor with this one.
    public func save(to path: String) throws(ShipCursorError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw ShipCursorError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(json.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(temporary)
                throw ShipCursorError("cannot write \(temporary): \(reason)")
            }
            written += n
        }
        // Data before the name: after a crash the name must not point at an empty file.
        guard fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            throw ShipCursorError("cannot sync \(temporary): \(reason)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ShipCursorError("cannot rename \(temporary) to \(path): \(reason)")
        }
        // The rename itself lives in the directory: without this a crash may bring back the
        // previous cursor (more records sent twice, none lost).
        let directory = open(EventFiles.split(path).directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}

/// The shipping cursor could not be read or written: the path and the reason.
public struct ShipCursorError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
