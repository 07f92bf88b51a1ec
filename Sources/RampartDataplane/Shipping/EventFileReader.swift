#if canImport(Glibc)
import Glibc
#endif

/// Reads an event log's lines back in the order they were written, following the files
/// through rotation: it holds the descriptor of the file it reads (so a rename does not
/// move it), and at the end of a file that is no longer the live one it goes on with the
/// next newer file. Memory is bounded whatever the length of a line: a record keeps only
/// its first `headBytes` (a syslog message holds at most 2048).
///
/// ```swift
/// var reader = EventFileReader(path: "/var/log/rampart/eve.json")
/// _ = reader.open(at: cursor)
/// while case .record = reader.next() { send(reader.head); cursor = reader.position }
/// ```
struct EventFileReader {
    enum Step: Equatable {
        /// A whole line: `head` holds its first bytes (no newline), `recordBytes` its length
        /// in the file, `position` the end of it.
        case record
        /// The reader went on to the next newer file, at `position` (its start).
        case switched
        /// Nothing more for now (the live file has no newer whole line, or there is no file).
        case waiting
    }

    /// Where `open(at:)` started.
    enum Start: Equatable {
        case atCursor
        /// The cursor's file is gone: reading starts at the oldest file there is.
        case atOldest
        case noFiles
    }

    let path: String
    static let headBytes = 4096
    static let chunkBytes = 64 << 10
    private(set) var descriptor: Int32 = -1
    private(set) var identity = FileIdentity(device: 0, inode: 0)
    /// Where the next `read` starts.
    private var readOffset = 0
    /// Where the line being assembled starts: everything before it has been returned.
    private var lineStart = 0
    private var chunk: [UInt8]
    private var chunkStart = 0
    private var chunkEnd = 0
    /// The first bytes of the current line (without its newline).
    private(set) var head: [UInt8] = []
    /// Bytes of the current line read so far (its newline included once complete).
    private(set) var recordBytes = 0
    private var complete = false
    /// The end of file was seen after the file stopped being the live one.
    private var drainedAfterRotation = false
    /// Times the live file was found shorter than what had been read (truncated in place).
    private(set) var truncations = 0

    init(path: String) {
        self.path = path
        chunk = [UInt8](repeating: 0, count: Self.chunkBytes)
        head.reserveCapacity(Self.headBytes)
    }

    /// Everything before this has been returned as records.
    var position: ShipCursor { ShipCursor(file: identity, offset: lineStart) }
    var isOpen: Bool { descriptor >= 0 }

    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Positions the reader at `cursor` (its file found by identity among the log's files),
    /// or at the start of the oldest file when that file is gone.
    mutating func open(at cursor: ShipCursor?) -> Start {
        // A rotation between listing and opening renames what a name points to: list again.
        for _ in 0 ..< 8 {
            let files = EventFiles.list(path)
            guard let oldest = files.first else {
                close()
                return .noFiles
            }
            if let cursor, let file = files.first(where: { $0.identity == cursor.file }) {
                // A file shorter than the cursor was truncated by someone else: start it again.
                if openFile(file, offset: cursor.offset <= file.size ? cursor.offset : 0) { return .atCursor }
            } else if openFile(oldest, offset: 0) {
                return .atOldest
            }
        }
        return .noFiles
    }

    /// The next line, or what happened instead.
    mutating func next() -> Step {
        if complete {
            head.removeAll(keepingCapacity: true)
            recordBytes = 0
            complete = false
        }
        guard descriptor >= 0 else { return .waiting }
        while true {
            if chunkStart < chunkEnd {
                let newline = chunk[chunkStart ..< chunkEnd].firstIndex(of: 0x0A)
                let stop = newline ?? chunkEnd
                let room = Self.headBytes - head.count
                if room > 0 { head.append(contentsOf: chunk[chunkStart ..< min(stop, chunkStart + room)]) }
                recordBytes += stop - chunkStart
                chunkStart = stop
                if newline != nil {
                    chunkStart += 1
                    return finishRecord(newlineIncluded: true)
                }
            }
            let n = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(readOffset)) }
            if n < 0 && errno == EINTR { continue }
            if n > 0 {
                chunkStart = 0
                chunkEnd = n
                readOffset += n
                continue
            }
            // The end of the file. The live file grows: wait for more.
            if isLive() {
                drainedAfterRotation = false
                // Truncated in place (logrotate's copytruncate): what it holds now is new.
                var status = stat()
                if fstat(descriptor, &status) == 0 && Int(status.st_size) < readOffset {
                    truncations += 1
                    restart(at: 0)
                    continue
                }
                return .waiting
            }
            // Renamed away: every write to it came before the rename just seen, so one more
            // read finds all of them.
            if !drainedAfterRotation {
                drainedAfterRotation = true
                continue
            }
            // A rotated file that ends inside a line (a crash cut the write): ship what is there.
            if recordBytes > 0 { return finishRecord(newlineIncluded: false) }
            return moveToNextFile() ? .switched : .waiting
        }
    }

    private mutating func finishRecord(newlineIncluded: Bool) -> Step {
        if newlineIncluded { recordBytes += 1 }
        lineStart += recordBytes
        complete = true
        return .record
    }

    /// Whether `path` still names the file being read.
    private func isLive() -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && FileIdentity(status) == identity
    }

    /// Goes on with the file written after the current one. Rotation never deletes the file
    /// being read (it is at or after the saved cursor); when it is gone all the same
    /// (deleted by hand), the oldest file left is the best guess.
    private mutating func moveToNextFile() -> Bool {
        let files = EventFiles.list(path)
        let next: EventFile?
        if let at = files.firstIndex(where: { $0.identity == identity }) {
            next = at + 1 < files.count ? files[at + 1] : nil
        } else {
            next = files.first
        }
        guard let next else { return false }
        return openFile(next, offset: 0)
    }

    /// Opens `file` by its name and checks it is still that file (a rotation may have
    /// renamed another one into the name since the listing).
    private mutating func openFile(_ file: EventFile, offset: Int) -> Bool {
        let fd = Glibc.open(EventFiles.name(path, index: file.index), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        var status = stat()
        guard fstat(fd, &status) == 0, FileIdentity(status) == file.identity else {
            Glibc.close(fd)
            return false
        }
        close()
        descriptor = fd
        identity = file.identity
        restart(at: offset)
        return true
    }

    private mutating func restart(at offset: Int) {
        readOffset = offset
        lineStart = offset
        chunkStart = 0
        chunkEnd = 0
        head.removeAll(keepingCapacity: true)
        recordBytes = 0
        complete = false
        drainedAfterRotation = false
    }
}
