#if canImport(Glibc)
import Glibc
#endif

/// Where a file's content bytes go as a parser decodes them (the file table in the engine,
/// a collector in tests): a generic parameter, so the call is static.
protocol FileBytesConsumer {
    mutating func fileBytes(_ bytes: UnsafeRawBufferPointer)
}

/// The client's side of an SMTP session, read from the reassembled stream for the files it
/// carries: commands until `DATA`, then the message (dot-unstuffed, to the lone `.`) as MIME
/// (RFC 2045/2046): headers unfolded, multipart bodies split at their boundaries (nested up
/// to four deep), each part with a file name (Content-Disposition's `filename`, or
/// Content-Type's `name`) decoded (base64, quoted-printable, or as sent) into a file.
///
/// Like `HTTPMessageParser` it stops at each event (a file starts, ends; a message ends) so
/// the caller acts, then feeds the rest; its bytes live in a workspace the caller owns
/// (`workspaceBytes`), nothing is allocated. Lines longer than the line buffer are content
/// (no boundary is that long); `BDAT` (CHUNKING) is not followed.
struct MailParser: Sendable {
    enum Mode: UInt8, Sendable { case command, headers, body }

    enum Event: Sendable, Equatable {
        /// A part with a file name begins: its name is `name(workspace)`.
        case fileStart
        /// The file's part ended (its boundary came, or its message ended).
        case fileEnd
        /// The message ended (`.`); `txID` counts messages.
        case messageEnd
    }

    enum TransferEncoding: UInt8, Sendable { case identity, base64, quotedPrintable }

    // Workspace layout.
    static let lineBytes = 1024
    static let headerOffset = 1024
    static let headerBytes = 1024
    static let boundaryOffset = 2048
    static let boundaryBytes = 80
    static let maxBoundaries = 4
    static let partBoundaryOffset = boundaryOffset + boundaryBytes * maxBoundaries
    static let nameOffset = partBoundaryOffset + boundaryBytes
    static let nameBytes = 256
    static let outputOffset = nameOffset + nameBytes
    static let outputBytes = lineBytes + 8
    static let workspaceBytes = outputOffset + outputBytes

    var mode = Mode.command
    var lineLength = 0
    /// The current line went past the line buffer: what is left of it is content.
    var lineContinues = false
    var headerLength = 0
    var boundaryLengths: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
    var boundaryCount = 0
    // The part being read.
    var partBoundaryLength = 0
    var partMultipart = false
    var partAttachment = false
    var nameLength = 0
    var encoding = TransferEncoding.identity
    /// In a part that is not a file (or a preamble / epilogue): lines are skipped.
    var skipping = true
    var fileOpen = false
    var pendingCRLF = false
    var quantum: UInt32 = 0
    var quantumCount = 0
    /// The message being read (0 for the first), Suricata's `tx_id`.
    var txID: UInt32 = 0
    /// What the last line left to report (a boundary ends a file and starts headers).
    var pending: Event?

    init() {}

    func name(_ workspace: UnsafeMutableRawPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: workspace + MailParser.nameOffset, count: nameLength)
    }

    /// Consumes bytes until an event or the end of `input`.
    mutating func advance<C: FileBytesConsumer>(_ input: UnsafeRawBufferPointer, workspace: UnsafeMutableRawPointer,
                                                consumer: inout C) -> (consumed: Int, event: Event?) {
        if let event = pending {
            pending = nil
            return (0, event)
        }
        var i = 0
        let n = input.count
        let line = workspace
        while i < n {
            let b = input[i]
            i += 1
            if b == 0x0A {
                var length = lineLength
                if length > 0 && line.load(fromByteOffset: length - 1, as: UInt8.self) == 0x0D { length -= 1 }
                let continued = lineContinues
                lineLength = 0
                lineContinues = false
                if let event = handleLine(UnsafeRawBufferPointer(start: line, count: length), continued: continued,
                                          workspace: workspace, consumer: &consumer) {
                    return (i, event)
                }
                continue
            }
            if lineLength == MailParser.lineBytes {
                // A long line: content (decoded as far as it goes), never a boundary or a command.
                if mode == .body && !skipping && fileOpen {
                    content(UnsafeRawBufferPointer(start: line, count: lineLength), lineEnd: false, continued: lineContinues,
                            workspace: workspace, consumer: &consumer)
                }
                lineContinues = true
                lineLength = 0
            }
            line.storeBytes(of: b, toByteOffset: lineLength, as: UInt8.self)
            lineLength += 1
        }
        return (n, nil)
    }

    private mutating func handleLine<C: FileBytesConsumer>(_ raw: UnsafeRawBufferPointer, continued: Bool,
                                                           workspace: UnsafeMutableRawPointer, consumer: inout C) -> Event? {
        if mode == .command {
            if !continued && raw.count == 4 && MailParser.equalsCommand(raw, "data") { startMessage() }
            return nil
        }
        if continued {
            if mode == .body && !skipping && fileOpen {
                content(raw, lineEnd: true, continued: true, workspace: workspace, consumer: &consumer)
            }
            return nil
        }
        if raw.count == 1 && raw[0] == UInt8(ascii: ".") {
            mode = .command
            txID &+= 1
            if fileOpen {
                fileOpen = false
                pending = .messageEnd
                return .fileEnd
            }
            return .messageEnd
        }
        // Dot-stuffing: a line the client began with "." was sent with "..".
        let line = raw.count >= 1 && raw[0] == UInt8(ascii: ".") ? UnsafeRawBufferPointer(rebasing: raw[1...]) : raw
        switch mode {
        case .command:
            return nil
        case .headers:
            if line.isEmpty {
                finishHeader(workspace)
                return endOfHeaders(workspace)
            }
            if line[0] == 0x20 || line[0] == 0x09 {
                appendHeader(line, workspace)  // a folded line continues the header
            } else {
                finishHeader(workspace)
                appendHeader(line, workspace)
            }
            return nil
        case .body:
            if line.count >= 2 && line[0] == UInt8(ascii: "-") && line[1] == UInt8(ascii: "-"), let (level, closing) = boundary(line, workspace) {
                let wasOpen = fileOpen
                fileOpen = false
                resetPart()
                if closing {
                    boundaryCount = level  // the multipart at `level` ended: its epilogue is skipped
                    skipping = true
                } else {
                    boundaryCount = level + 1
                    mode = .headers
                }
                return wasOpen ? .fileEnd : nil
            }
            if !skipping && fileOpen {
                content(line, lineEnd: true, continued: false, workspace: workspace, consumer: &consumer)
            }
            return nil
        }
    }

    private mutating func startMessage() {
        mode = .headers
        boundaryCount = 0
        headerLength = 0
        resetPart()
    }

    private mutating func resetPart() {
        partBoundaryLength = 0
        partMultipart = false
        partAttachment = false
        nameLength = 0
        encoding = .identity
        skipping = true
        pendingCRLF = false
        quantum = 0
        quantumCount = 0
    }

    private mutating func appendHeader(_ line: UnsafeRawBufferPointer, _ workspace: UnsafeMutableRawPointer) {
        let room = MailParser.headerBytes - headerLength
        let take = min(room, line.count)
        if take > 0 {
            (workspace + MailParser.headerOffset + headerLength).copyMemory(from: line.baseAddress!, byteCount: take)
            headerLength += take
        }
    }

    /// Reads the header gathered (unfolded) so far, if it is one files depend on.
    private mutating func finishHeader(_ workspace: UnsafeMutableRawPointer) {
        defer { headerLength = 0 }
        guard headerLength > 0 else { return }
        let header = UnsafeRawBufferPointer(start: workspace + MailParser.headerOffset, count: headerLength)
        guard let colon = header.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = UnsafeRawBufferPointer(rebasing: header[..<colon])
        let value = UnsafeRawBufferPointer(rebasing: header[(colon + 1)...])
        if MailParser.equalsCommand(name, "content-type") {
            if HeaderParameter.startsWith(value, "multipart/"), let b = HeaderParameter.value("boundary", in: value),
               b.count > 0, b.count <= MailParser.boundaryBytes - 4 {
                partMultipart = true
                partBoundaryLength = b.count
                (workspace + MailParser.partBoundaryOffset).copyMemory(from: value.baseAddress! + b.lowerBound, byteCount: b.count)
            } else if nameLength == 0, let r = HeaderParameter.value("name", in: value) {
                setName(UnsafeRawBufferPointer(rebasing: value[r]), workspace)
            }
        } else if MailParser.equalsCommand(name, "content-disposition") {
            if HeaderParameter.startsWith(value, "attachment") { partAttachment = true }
            if let r = HeaderParameter.value("filename", in: value) {
                setName(UnsafeRawBufferPointer(rebasing: value[r]), workspace)  // over Content-Type's name
            }
        } else if MailParser.equalsCommand(name, "content-transfer-encoding") {
            if HeaderParameter.startsWith(value, "base64") {
                encoding = .base64
            } else if HeaderParameter.startsWith(value, "quoted-printable") {
                encoding = .quotedPrintable
            }
        }
    }

    private mutating func setName(_ name: UnsafeRawBufferPointer, _ workspace: UnsafeMutableRawPointer) {
        nameLength = min(name.count, MailParser.nameBytes)
        if nameLength > 0 { (workspace + MailParser.nameOffset).copyMemory(from: name.baseAddress!, byteCount: nameLength) }
    }

    private mutating func endOfHeaders(_ workspace: UnsafeMutableRawPointer) -> Event? {
        mode = .body
        if partMultipart {
            if boundaryCount < MailParser.maxBoundaries {
                (workspace + MailParser.boundaryOffset + boundaryCount * MailParser.boundaryBytes)
                    .copyMemory(from: workspace + MailParser.partBoundaryOffset, byteCount: partBoundaryLength)
                setBoundaryLength(boundaryCount, partBoundaryLength)
                boundaryCount += 1
            }
            skipping = true  // the preamble
            return nil
        }
        if nameLength > 0 || partAttachment {
            skipping = false
            fileOpen = true
            return .fileStart
        }
        skipping = true
        return nil
    }

    private mutating func setBoundaryLength(_ k: Int, _ length: Int) {
        withUnsafeMutableBytes(of: &boundaryLengths) { $0[k] = UInt8(length) }
    }

    private func boundaryLength(_ k: Int) -> Int {
        withUnsafeBytes(of: boundaryLengths) { Int($0[k]) }
    }

    /// The level of the boundary `line` is ("--b" or "--b--", white space after allowed),
    /// innermost first.
    private func boundary(_ line: UnsafeRawBufferPointer, _ workspace: UnsafeMutableRawPointer) -> (Int, Bool)? {
        var k = boundaryCount - 1
        while k >= 0 {
            let length = boundaryLength(k)
            if line.count >= 2 + length,
               memcmp(line.baseAddress! + 2, workspace + MailParser.boundaryOffset + k * MailParser.boundaryBytes, length) == 0 {
                var rest = UnsafeRawBufferPointer(rebasing: line[(2 + length)...])
                var closing = false
                if rest.count >= 2 && rest[0] == UInt8(ascii: "-") && rest[1] == UInt8(ascii: "-") {
                    closing = true
                    rest = UnsafeRawBufferPointer(rebasing: rest[2...])
                }
                if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return (k, closing) }
            }
            k -= 1
        }
        return nil
    }

    /// One line (or a piece of a long one) of a file's part, decoded to the consumer.
    private mutating func content<C: FileBytesConsumer>(_ line: UnsafeRawBufferPointer, lineEnd: Bool, continued: Bool,
                                                        workspace: UnsafeMutableRawPointer, consumer: inout C) {
        let out = workspace + MailParser.outputOffset
        var n = 0
        switch encoding {
        case .identity:
            // The line break before a boundary belongs to the boundary: each break is written
            // when the next line comes.
            if pendingCRLF && !continued {
                var crlf: UInt16 = 0x0A0D
                withUnsafeBytes(of: &crlf) { consumer.fileBytes($0) }
            }
            if !line.isEmpty { consumer.fileBytes(line) }
            pendingCRLF = lineEnd
            return
        case .base64:
            for c in line {
                guard let v = MailParser.base64Value(c) else { continue }
                quantum = quantum << 6 | UInt32(v)
                quantumCount += 1
                if quantumCount == 4 {
                    out.storeBytes(of: UInt8(truncatingIfNeeded: quantum >> 16), toByteOffset: n, as: UInt8.self)
                    out.storeBytes(of: UInt8(truncatingIfNeeded: quantum >> 8), toByteOffset: n + 1, as: UInt8.self)
                    out.storeBytes(of: UInt8(truncatingIfNeeded: quantum), toByteOffset: n + 2, as: UInt8.self)
                    n += 3
                    quantum = 0
                    quantumCount = 0
                }
            }
            // "=" padding: the quantum's remaining bytes end the data.
            if line.last == UInt8(ascii: "=") && quantumCount >= 2 {
                let q = quantum << (6 * UInt32(4 - quantumCount))
                out.storeBytes(of: UInt8(truncatingIfNeeded: q >> 16), toByteOffset: n, as: UInt8.self)
                n += 1
                if quantumCount == 3 {
                    out.storeBytes(of: UInt8(truncatingIfNeeded: q >> 8), toByteOffset: n, as: UInt8.self)
                    n += 1
                }
                quantum = 0
                quantumCount = 0
            }
        case .quotedPrintable:
            if pendingCRLF && !continued {
                out.storeBytes(of: UInt16(0x0A0D), toByteOffset: n, as: UInt16.self)
                n += 2
            }
            var i = 0
            var soft = false
            while i < line.count {
                let c = line[i]
                if c == UInt8(ascii: "=") {
                    if i + 2 < line.count, let h = BufferTransformer.hexValue(line[i + 1]), let l = BufferTransformer.hexValue(line[i + 2]) {
                        out.storeBytes(of: h << 4 | l, toByteOffset: n, as: UInt8.self)
                        n += 1
                        i += 3
                        continue
                    }
                    if i == line.count - 1 { soft = true; break }  // a soft line break
                }
                out.storeBytes(of: c, toByteOffset: n, as: UInt8.self)
                n += 1
                i += 1
            }
            pendingCRLF = lineEnd && !soft
        }
        if n > 0 { consumer.fileBytes(UnsafeRawBufferPointer(start: out, count: n)) }
    }

    @inline(__always)
    static func base64Value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x41...0x5A: c - 0x41
        case 0x61...0x7A: c - 0x61 + 26
        case 0x30...0x39: c - 0x30 + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    /// `bytes` equals the lower-case `word` ignoring case.
    static func equalsCommand(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        for i in 0..<bytes.count where ContentSearch.fold(bytes[i]) != word.utf8Start[i] { return false }
        return true
    }
}

/// No file is being read: body bytes go nowhere.
struct NoFileBytes: FileBytesConsumer {
    @inline(__always) mutating func fileBytes(_ bytes: UnsafeRawBufferPointer) {}
}

/// The engine's consumer: the bytes go to a file table's slot (none when -1).
struct FileSlotWriter: FileBytesConsumer {
    let table: FileTable?
    var slot: Int32
    @inline(__always) mutating func fileBytes(_ bytes: UnsafeRawBufferPointer) {
        if slot >= 0 { table?.write(slot, bytes) }
    }
}
