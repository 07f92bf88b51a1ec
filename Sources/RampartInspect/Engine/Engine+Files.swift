import RampartPolicy
import RampartRules
import RampartWire

extension Engine {
    /// A rule set without rules: the matcher's session state, for file tracking alone.
    static let emptyRules: DetectionRuleSet? = try? DetectionRuleSet(RuleSet(rules: []))

    /// An HTTP message's headers are complete: a body makes a file. The request's URI path
    /// names it (kept for the response, which answers it), unless Content-Disposition gives
    /// a filename; a gzip or deflate Content-Encoding is inflated before it is typed and hashed.
    mutating func startHTTPFile(state: Int32, toServer: Bool, block: UnsafeRawBufferPointer, parser: HTTPMessageParser) {
        guard let files = detector!.files else { return }
        let s = Int(state)
        let fields = HTTPHeaderFields(block)
        var name = UnsafeRawBufferPointer(start: nil, count: 0)
        let txID: UInt32
        if toServer {
            txID = detector!.states[s].requests
            detector!.states[s].requests &+= 1
            if let line = fields.startLine, let parts = HTTPHeaderFields.requestLine(line) {
                let target = UnsafeRawBufferPointer(rebasing: line[parts.target])
                let path = UnsafeRawBufferPointer(rebasing: target[..<(target.firstIndex(of: UInt8(ascii: "?")) ?? target.count)])
                let n = min(path.count, FileTable.nameBytes)
                if n > 0 { detector!.fileName(state, toServer: false).copyMemory(from: path.baseAddress!, byteCount: n) }
                detector!.states[s].requestNameLength = n
                name = UnsafeRawBufferPointer(start: detector!.fileName(state, toServer: false), count: n)
            }
        } else {
            txID = detector!.states[s].responses
            detector!.states[s].responses &+= 1
            name = UnsafeRawBufferPointer(start: detector!.fileName(state, toServer: false),
                                          count: detector!.states[s].requestNameLength)
        }
        guard parser.body != .none else { return }
        // A file still open on this side (a message the parser gave up on) ends here, cut.
        endSideFile(state: state, toServer: toServer)
        let slot = openBodyFile(files, state: state, toServer: toServer, txID: txID, name: name, fields: fields)
        if toServer { detector!.states[s].fileToServer = slot } else { detector!.states[s].fileToClient = slot }
    }

    /// Opens the file of an HTTP message's body (HTTP/1 or an HTTP/2 stream): named by
    /// Content-Disposition's filename when it gives one, else by `name`; inflated when its
    /// Content-Encoding is gzip or deflate. -1 (the limit counted) when no slot is free.
    mutating func openBodyFile(_ files: FileTable, state: Int32, toServer: Bool, txID: UInt32, name: UnsafeRawBufferPointer,
                               fields: HTTPHeaderFields) -> Int32 {
        var name = name
        if let disposition = fields.value(named: "content-disposition"),
           let r = HeaderParameter.value("filename", in: disposition), !r.isEmpty {
            name = UnsafeRawBufferPointer(rebasing: disposition[r])
        }
        var encoding = FileTable.Encoding.identity
        if let e = fields.value(named: "content-encoding"), HTTPBuffers.isCompressed(e) { encoding = .deflate }
        let slot = files.open(owner: state, toServer: toServer, txID: txID, name: name, encoding: encoding)
        if slot < 0 { detector!.limitsHit |= Detector.fileLimit }
        if encoding == .deflate && slot >= 0 && files.slots[Int(slot)].inflater < 0 {
            detector!.limitsHit |= Detector.inflaterLimit
        }
        return slot
    }

    /// The side's file ended with its message.
    mutating func endHTTPFile(state: Int32, toServer: Bool) {
        endSideFile(state: state, toServer: toServer, complete: true)
    }

    mutating func endSideFile(state: Int32, toServer: Bool, complete: Bool = false) {
        guard let files = detector!.files else { return }
        let s = Int(state)
        let slot = toServer ? detector!.states[s].fileToServer : detector!.states[s].fileToClient
        guard slot >= 0 else { return }
        if toServer { detector!.states[s].fileToServer = -1 } else { detector!.states[s].fileToClient = -1 }
        if let result = files.close(slot, complete: complete) { detector!.endedFiles.append(result) }
    }

    /// Feeds the client's new stream bytes of an SMTP session to its mail parser: each
    /// attachment becomes a file.
    mutating func detectMail(state: Int32, newBytes: Int) {
        guard let files = detector!.files, newBytes > 0 else { return }
        let s = Int(state)
        let scratch = detector!.scratch
        let workspace = detector!.message(state, toServer: true)
        var input = UnsafeRawBufferPointer(start: scratch.window + (scratch.windowLength - newBytes), count: newBytes)
        // The HTTP parser never reads an SMTP session's client side; its buffer is the mail's.
        detector!.states[s].httpRequest.mode = .off
        while true {
            var parser = detector!.states[s].mail
            var writer = FileSlotWriter(table: files, slot: detector!.states[s].fileToServer)
            let (consumed, event) = parser.advance(input, workspace: workspace, consumer: &writer)
            detector!.states[s].mail = parser
            input = UnsafeRawBufferPointer(rebasing: input[consumed...])
            guard let event else { break }
            switch event {
            case .fileStart:
                endSideFile(state: state, toServer: true)
                let slot = files.open(owner: state, toServer: true, txID: parser.txID, name: parser.name(workspace),
                                      encoding: .identity)
                if slot < 0 { detector!.limitsHit |= Detector.fileLimit }
                detector!.states[s].fileToServer = slot
            case .fileEnd:
                endSideFile(state: state, toServer: true, complete: true)
            case .messageEnd:
                break
            }
        }
    }

    /// Writes the records of the files that ended during this packet.
    mutating func writeEndedFiles<Sink: EventSink>(_ slot: SessionSlot, packetNumber: UInt64, sink: inout Sink) {
        let session = sessions[slot]
        for result in detector!.endedFiles {
            var record = fileRecord(result, session: session, packetNumber: packetNumber, action: result.action)
            record.profile = result.profile
            record.profileAction = result.profileAction
            sink.fileInfo(record)
        }
        detector!.endedFiles.removeAll(keepingCapacity: true)
    }

    /// A session leaves the table: its files still open end, cut (`TRUNCATED`).
    mutating func endFiles<Sink: EventSink>(_ session: Session, sink: inout Sink) {
        guard let files = detector?.files, session.detectionState >= 0,
              Int(session.detectionState) < detector!.states.count else { return }
        let s = Int(session.detectionState)
        for toServer in [true, false] {
            let slot = toServer ? detector!.states[s].fileToServer : detector!.states[s].fileToClient
            guard slot >= 0 else { continue }
            if toServer { detector!.states[s].fileToServer = -1 } else { detector!.states[s].fileToClient = -1 }
            // A response body without a length ends when its server closes the connection.
            let parser = detector!.states[s].httpResponse
            let complete = !toServer && parser.mode == .body && parser.body == .untilClose
                && (session.tcpState == .finWait || session.tcpState == .closing || session.tcpState == .timeWait)
            if let result = files.close(slot, complete: complete) {
                sink.fileInfo(fileRecord(result, session: session, packetNumber: 0, action: "allowed"))
            }
        }
    }

    func fileRecord(_ result: FileTable.Result, session: Session, packetNumber: UInt64, action: String) -> FileRecord {
        let client = session.client, server = session.server
        let clientTags = policy.tags(inSet: session.clientTagSet).map(\.description)
        let serverTags = policy.tags(inSet: session.serverTagSet).map(\.description)
        let from = result.toServer ? client : server, to = result.toServer ? server : client
        return FileRecord(
            timestamp: now, flowID: Engine.flowID(of: session), packetNumber: packetNumber,
            sourceAddress: from.address, sourcePort: from.port, destinationAddress: to.address, destinationPort: to.port,
            ipProtocol: session.key.ipProtocol,
            application: session.application.map(ApplicationCatalog.name(of:)) ?? "unknown",
            filename: result.name, magic: result.magic.description, type: result.type.name,
            state: result.state == .closed ? "CLOSED" : "TRUNCATED",
            md5: result.md5?.hex, sha256: result.sha256?.hex, size: result.size, txID: result.txID,
            direction: result.toServer ? "upload" : "download", verdict: result.malicious ? "malicious" : "unknown",
            hashListEntry: result.hashListEntry, yaraRules: result.yaraRules, action: action,
            sourceTags: result.toServer ? clientTags : serverTags, destinationTags: result.toServer ? serverTags : clientTags)
    }
}

extension Engine {
    /// Inline, the file blocking profile of the rule that allowed the session judges its
    /// files: the open file of this packet's side once its type is known (its first bytes:
    /// a magic number decides in the packet that carries it, text and HTML need 512 bytes
    /// or the file's end), and each file that ended with this packet (its type if not yet
    /// judged, then its verdict: malicious when a hash list or YARA rule named it). A `block`
    /// resets the session (drops the packet for UDP) from this packet on.
    mutating func enforceFiles(_ slot: SessionSlot, state: Int32, toServer: Bool, isTCP: Bool) -> Verdict? {
        guard let files = detector!.files, detector!.configuration.blocking else { return nil }
        let index = policy.profiles(ofRule: sessions[slot].ruleIndex).file
        guard index >= 0 else { return nil }
        let profile = policy.profiles.file[Int(index)]
        var block = false
        let s = Int(state)
        let open = toServer ? detector!.states[s].fileToServer : detector!.states[s].fileToClient
        if judgeOpenFile(files, open, profile: profile, toServer: toServer) {
            // The rest of this file never reaches its receiver: it ended here, cut.
            if toServer { detector!.states[s].fileToServer = -1 } else { detector!.states[s].fileToClient = -1 }
            block = true
        }
        // An HTTP/2 session's files are its streams' (this side's), one per stream.
        if detector!.states[s].http2 {
            let table = detector!.http2
            var k = table.hasConnection(state) ? table.connections[s].head : -1
            while k >= 0 {
                let file = toServer ? table.streams[Int(k)].request.file : table.streams[Int(k)].response.file
                if judgeOpenFile(files, file, profile: profile, toServer: toServer) {
                    if toServer { table.streams[Int(k)].request.file = -1 } else { table.streams[Int(k)].response.file = -1 }
                    block = true
                }
                k = table.streams[Int(k)].next
            }
        }
        for k in detector!.endedFiles.indices where detector!.endedFiles[k].action != "blocked" {
            var result = detector!.endedFiles[k]
            var decided: FileAction?
            if let action = profile.action(type: result.type, upload: result.toServer) { decided = action }
            if result.malicious, let action = profile.verdicts[.malicious], decided != .block { decided = action }
            guard let decided else { continue }
            result.profile = profile.name
            result.profileAction = decided.rawValue
            if decided == .block {
                result.action = "blocked"
                block = true
            }
            detector!.endedFiles[k] = result
        }
        guard block else { return nil }
        let action = RampartPolicy.RuleAction.resetBoth
        sessions[slot].action = action.rawValue
        detector!.statistics.blocked &+= 1
        return verdict(for: action, isTCP: isTCP)
    }
}

extension Engine {
    /// Judges an open file by its type once its first bytes told it: true when the profile
    /// blocks it (the file is then closed, cut, its record kept for the packet).
    mutating func judgeOpenFile(_ files: FileTable, _ open: Int32, profile: FileBlockingProfile, toServer: Bool) -> Bool {
        guard open >= 0, !files.slots[Int(open)].typeChecked, let type = files.type(open) else { return false }
        files.slots[Int(open)].typeChecked = true
        guard let action = profile.action(type: type, upload: toServer), action == .block else { return false }
        if var result = files.close(open, complete: false) {
            result.typeChecked = true
            result.action = "blocked"
            result.profile = profile.name
            result.profileAction = action.rawValue
            detector!.endedFiles.append(result)
        }
        return true
    }
}

extension FileBlockingProfile {
    /// The action of the first `fileTypes` entry naming this type (or a group holding it)
    /// in this direction; nil when none does.
    func action(type: FileType, upload: Bool) -> FileAction? {
        for rule in fileTypes {
            switch rule.direction {
            case .upload where !upload, .download where upload: continue
            default: break
            }
            for word in rule.types where FileType.named(word)?.contains(type) == true { return rule.action }
        }
        return nil
    }
}
