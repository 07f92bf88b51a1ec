#if canImport(Glibc)
import Glibc
#endif

/// A file as the kernel knows it. Rotation renames event files, so a name says nothing
/// lasting; device and inode stay with the file through every rename.
public struct FileIdentity: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64

    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }

    init(_ status: stat) {
        self.init(device: UInt64(status.st_dev), inode: UInt64(status.st_ino))
    }

    public var description: String { "device \(device) inode \(inode)" }
}

/// One file of an event log as it stands now: `index` 0 is the live file (eve.json), n is
/// eve.json.n (higher is older).
public struct EventFile: Sendable, Equatable {
    public var index: Int
    public var identity: FileIdentity
    public var size: Int
}

/// The files of one event log on disk.
///
/// ```swift
/// for file in EventFiles.list("/var/log/rampart/eve.json") { print(file.index, file.size) }   // oldest first
/// ```
public enum EventFiles {
    /// The log's files, oldest first (eve.json.N … eve.json.1, eve.json): the order the
    /// records were written in. Read from the directory, so a gap in the numbers (a file
    /// deleted by hand) hides nothing behind it; a file gone between listing and `stat` is
    /// left out.
    public static func list(_ path: String) -> [EventFile] {
        let (directory, base) = split(path)
        var indices: [Int] = []
        if let handle = opendir(directory) {
            defer { closedir(handle) }
            let prefix = Array((base + ".").utf8)
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
                if let index = rotationIndex(name, prefix: prefix) { indices.append(index) }
            }
        }
        var files: [EventFile] = []
        for index in indices.sorted(by: >) {
            if let file = file(path, index: index) { files.append(file) }
        }
        if let live = file(path, index: 0) { files.append(live) }
        return files
    }

    /// The name of file `index` (0: the live file).
    public static func name(_ path: String, index: Int) -> String {
        index == 0 ? path : "\(path).\(index)"
    }

    static func file(_ path: String, index: Int) -> EventFile? {
        var status = stat()
        guard stat(name(path, index: index), &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return EventFile(index: index, identity: FileIdentity(status), size: Int(status.st_size))
    }

    /// N for a name `base.N` (N a decimal from 1, no leading zero); nil for anything else.
    static func rotationIndex(_ name: [UInt8], prefix: [UInt8]) -> Int? {
        guard name.count > prefix.count, name.count <= prefix.count + 9, name.starts(with: prefix) else { return nil }
        let digits = name[prefix.count...]
        guard digits.first != UInt8(ascii: "0"), digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    /// The directory (`.` when there is none) and the file name of `path`.
    static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
