// libFuzzer target for file inspection: the first byte picks what the rest goes through,
// and a second byte how it is cut into pieces (as segments arrive). Nothing may trap, and
// the mail parser must give the same files whole as cut.
//   0: SMTP client stream (commands, DATA, MIME parts, base64, quoted-printable)
//   1: the file type table (every prefix, complete or not)
//   2: header parameters (filename, name, boundary)
//   3: a hash list
//   4: a gzip/deflate file through the file table (inflated as it streams, typed, hashed)
//   5: an HTTP response through the parser into the file table
//   6: HTTP/2 frames (client side, after the preface) through the frame reader, each header
//      block HPACK-decoded and written as an HTTP/1 block: the same events whole as cut
// Built by Fuzz/files/build.sh.

struct Collect: FileBytesConsumer {
    var md5 = MD5()
    var count = 0
    mutating func fileBytes(_ bytes: UnsafeRawBufferPointer) {
        md5.update(bytes)
        count += bytes.count
    }
}

let workspace = UnsafeMutableRawPointer.allocate(byteCount: MailParser.workspaceBytes, alignment: 16)
let inspection = FileInspection()
let table: FileTable = {
    var c = FileConfiguration()
    c.maxFiles = 4
    c.inflaters = 2
    return FileTable(configuration: c, inspection: inspection)
}()
let message = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)

/// Runs the mail parser over `bytes` in pieces of `step` (0: whole): the files' digests.
func mail(_ bytes: UnsafeRawBufferPointer, step: Int) -> [String] {
    var parser = MailParser()
    var collect = Collect()
    var open = false
    var files: [String] = []
    var at = 0
    while at < bytes.count {
        let end = step == 0 ? bytes.count : min(bytes.count, at + step)
        var input = UnsafeRawBufferPointer(rebasing: bytes[at..<end])
        while true {
            var sink = open ? collect : Collect()
            let (consumed, event) = parser.advance(input, workspace: workspace, consumer: &sink)
            if open { collect = sink }
            precondition(consumed <= input.count)
            input = UnsafeRawBufferPointer(rebasing: input[consumed...])
            guard let event else { break }
            switch event {
            case .fileStart:
                open = true
                collect = Collect()
                _ = parser.name(workspace).count
            case .fileEnd:
                open = false
                var c = collect
                files.append("\(c.count):\(c.md5.finish().hex)")
            case .messageEnd:
                break
            }
        }
        at = end
    }
    return files
}

let h2Block = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)

/// The HTTP/2 frame reader's events over `bytes` (the client's preface first) in pieces of
/// `step` (0: whole), data runs joined per stream, header blocks as written for HTTP/1.
func http2(_ bytes: UnsafeRawBufferPointer, step: Int) -> [String] {
    var reader = HTTP2FrameReader(isClient: true)
    var decoder = HPACKDecoder()
    var events: [String] = []
    var data: [UInt32: Int] = [:]
    let preface = HTTP2FrameReader.preface
    var stream = Array(UnsafeRawBufferPointer(start: preface.utf8Start, count: preface.utf8CodeUnitCount)) + Array(bytes)
    stream.withUnsafeMutableBytes { all in
        var at = 0
        repeat {
            let end = step == 0 ? all.count : min(all.count, at + step)
            var input = UnsafeRawBufferPointer(rebasing: all[at..<end])
            while true {
                let (consumed, event) = reader.advance(input, block: h2Block, capacity: 4096)
                precondition(consumed <= input.count)
                let base = input
                input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                guard let event else {
                    if input.isEmpty || reader.mode == .off { break }
                    continue
                }
                switch event {
                case .data(let id, let range):
                    precondition(range.upperBound <= base.count)
                    data[id, default: 0] += range.count
                case .headers(let id, let endStream, let promised):
                    var line = "headers \(id) \(endStream) \(promised) \(reader.blockLength)"
                    if case .success(let fields) = decoder.decode(UnsafeRawBufferPointer(start: h2Block, count: reader.blockLength)) {
                        let out = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 1)
                        defer { out.deallocate() }
                        if let (n, facts) = HTTP2Message.write(fields, isResponse: id % 2 == 0, into: out, capacity: 2048) {
                            precondition(n <= 2048)
                            let block = UnsafeRawBufferPointer(start: out, count: n)
                            _ = HTTPHeaderFields(block).startLine
                            line += " \(n) \(facts.status)"
                        }
                    } else {
                        line += " hpack-error"
                    }
                    events.append(line)
                case .endStream(let id):
                    events.append("end \(id) \(data[id, default: 0])")
                case .reset(let id):
                    events.append("reset \(id)")
                case .dataFrame(let id, let length):
                    events.append("frame \(id) \(length)")
                case .windowUpdate(let id, let increment):
                    events.append("window \(id) \(increment)")
                }
            }
            at = end
        } while at < all.count
    }
    events.append("off \(reader.mode == .off) \(reader.problem)")
    events.append("flow \(reader.initialWindow) \(reader.connectionGrants) \(reader.dataSent) \(reader.position)")
    return events
}

@_cdecl("LLVMFuzzerTestOneInput")
public func filesFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let mode = data[0] % 7
    let step = Int(data[1] % 64)
    let bytes = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    switch mode {
    case 0:
        let whole = mail(bytes, step: 0)
        let cut = mail(bytes, step: max(1, step))
        precondition(whole == cut, "the mail parser's files depend on how the stream is cut")
    case 1:
        for n in 0...min(bytes.count, FileType.headBytes) {
            let head = UnsafeRawBufferPointer(rebasing: bytes[0..<n])
            _ = FileType.identifyWithMagic(head, complete: true)
            _ = FileType.identifyWithMagic(head, complete: false)
        }
    case 2:
        for name: StaticString in ["filename", "name", "boundary"] {
            if let r = HeaderParameter.value(name, in: bytes) { precondition(r.lowerBound >= 0 && r.upperBound <= bytes.count) }
        }
        _ = HeaderParameter.startsWith(bytes, "multipart/")
    case 3:
        _ = try? FileHashList.parse(String(decoding: bytes, as: UTF8.self), file: "fuzz")
    case 4:
        let slot = table.open(owner: 0, toServer: false, txID: 0, name: bytes.prefix(8).isEmpty ? UnsafeRawBufferPointer(start: nil, count: 0) : UnsafeRawBufferPointer(rebasing: bytes.prefix(8)), encoding: .deflate)
        var at = 0
        while at < bytes.count {
            let end = min(bytes.count, at + max(1, step))
            table.write(slot, UnsafeRawBufferPointer(rebasing: bytes[at..<end]))
            at = end
        }
        _ = table.close(slot, complete: true)
    case 6:
        let whole = http2(bytes, step: 0)
        let cut = http2(bytes, step: max(1, step))
        precondition(whole == cut, "the HTTP/2 frame reader's events depend on how the stream is cut")
    default:
        var parser = HTTPMessageParser(isResponse: true)
        var at = 0
        var slot: Int32 = -1
        while at < bytes.count {
            let end = min(bytes.count, at + max(1, step))
            var input = UnsafeRawBufferPointer(rebasing: bytes[at..<end])
            while !input.isEmpty {
                var writer = FileSlotWriter(table: table, slot: slot)
                let (consumed, event) = parser.advance(input, buffer: message, capacity: 4096, consumer: &writer)
                input = UnsafeRawBufferPointer(rebasing: input[consumed...])
                if event == .headersComplete && slot < 0 {
                    slot = table.open(owner: 0, toServer: false, txID: 0, name: UnsafeRawBufferPointer(start: nil, count: 0), encoding: .identity)
                } else if event == .messageComplete {
                    _ = table.close(slot, complete: true)
                    slot = -1
                }
                if parser.mode == .off { break }
            }
            at = end
        }
        _ = table.close(slot, complete: false)
    }
    return 0
}
