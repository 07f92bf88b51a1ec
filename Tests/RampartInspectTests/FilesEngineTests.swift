import Foundation
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

/// Files through the engine, over TCP conversations built segment by segment: EICAR
/// downloaded plainly and with the evasions a client or server may use (chunked, gzip,
/// gzip in chunks, many small segments, segments out of order), uploaded, mailed as an
/// attachment; typed, hashed, and checked against a hash list and YARA rules.
@Suite("Files: typed, hashed and checked in HTTP and SMTP sessions")
struct FilesEngineTests {
    /// The 68-byte EICAR test file, written here rather than committed (AV scanners flag it).
    static let eicar = Array(#"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"#.utf8)
    static let eicarMD5 = "44d88612fea8a8f36de82e1278abb02f"
    static let eicarSHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

    /// A client and a server exchanging TCP segments through one engine, with bytes.
    struct Conversation {
        var engine: Engine
        var sink = EngineRun.Collector()
        var time: Int64 = 1_700_000_000
        var number: UInt64 = 0
        var clientSequence: UInt32 = 1000
        var serverSequence: UInt32 = 5000
        let port: UInt16

        init(files: FileInspection? = FileInspection(), rules: String? = nil, port: UInt16 = 80,
             configure: (inout EngineConfiguration) -> Void = { _ in }) throws {
            let document = try PolicyLoader.load(yaml: EngineRun.allowAll, file: "p.yaml")
            var configuration = EngineConfiguration()
            configure(&configuration)
            engine = Engine(configuration: configuration, policy: try PolicyMatcher(document, tags: []),
                            rules: try rules.map { try EngineRun.compile($0) }, files: files)
            self.port = port
            handshake()
        }

        @discardableResult
        mutating func send(_ frame: [UInt8]) -> Verdict {
            number += 1
            time += 1
            return frame.withUnsafeBytes {
                engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(nanosecondsSinceEpoch: time * 1_000_000),
                               packetNumber: number, sink: &sink)
            }
        }

        mutating func handshake() {
            send(TableLimitTests.tcp("10.0.0.1", 40000, "10.0.0.2", port, seq: clientSequence - 1, flags: 0x02))
            send(TableLimitTests.tcp("10.0.0.2", port, "10.0.0.1", 40000, seq: serverSequence - 1, ack: clientSequence, flags: 0x12))
            send(TableLimitTests.tcp("10.0.0.1", 40000, "10.0.0.2", port, seq: clientSequence, ack: serverSequence, flags: 0x10))
        }

        @discardableResult
        mutating func client(_ bytes: [UInt8]) -> Verdict {
            let v = send(TableLimitTests.tcp("10.0.0.1", 40000, "10.0.0.2", port, seq: clientSequence, ack: serverSequence,
                                             flags: 0x18, bytes))
            clientSequence += UInt32(bytes.count)
            return v
        }

        mutating func client(_ text: String) { client(Array(text.utf8)) }

        /// Server segments: `bytes` cut into `pieces` (sizes), sent in `order` (indices).
        @discardableResult
        mutating func server(_ bytes: [UInt8], pieces: [Int]? = nil, order: [Int]? = nil) -> [Verdict] {
            var cuts: [(offset: Int, bytes: [UInt8])] = []
            var at = 0
            for size in pieces ?? [bytes.count] where at < bytes.count {
                let end = min(bytes.count, at + size)
                cuts.append((at, Array(bytes[at..<end])))
                at = end
            }
            if at < bytes.count { cuts.append((at, Array(bytes[at...]))) }
            var verdicts: [Verdict] = []
            // The pieces `order` leaves out go last, in order.
            let sequence = (order ?? []) + cuts.indices.filter { !(order ?? []).contains($0) }
            for k in sequence {
                let cut = cuts[k]
                verdicts.append(send(TableLimitTests.tcp("10.0.0.2", port, "10.0.0.1", 40000, seq: serverSequence + UInt32(cut.offset),
                                                         ack: clientSequence, flags: 0x18, cut.bytes)))
            }
            serverSequence += UInt32(bytes.count)
            return verdicts
        }

        mutating func server(_ text: String) { server(Array(text.utf8)) }

        mutating func finish() { engine.finish(sink: &sink) }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c", "-n"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data)
    }

    static func chunked(_ bytes: [UInt8], size: Int) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let n = min(size, bytes.count - i)
            out += Array((String(n, radix: 16) + ";ext=1\r\n").utf8) + bytes[i..<(i + n)] + Array("\r\n".utf8)
            i += n
        }
        return out + Array("0\r\n\r\n".utf8)
    }

    /// A response carrying `body` with these headers.
    static func response(_ headers: String, _ body: [UInt8]) -> [UInt8] {
        Array("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\(headers)\r\n".utf8) + body
    }

    @Test("EICAR downloaded plainly and with evasions: identified and hashed the same every time")
    func eicarDownloads() throws {
        let e = Self.eicar
        let gz = try Self.gzip(e)
        let cases: [(String, [UInt8], [Int]?, [Int]?)] = [
            ("plain", Self.response("Content-Length: 68\r\n", e), nil, nil),
            ("chunked", Self.response("Transfer-Encoding: chunked\r\n", Self.chunked(e, size: 7)), nil, nil),
            ("gzip", Self.response("Content-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n", gz), nil, nil),
            ("gzip chunked", Self.response("Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", Self.chunked(gz, size: 5)),
             nil, nil),
            ("split in 3-byte segments", Self.response("Content-Length: 68\r\n", e), Array(repeating: 3, count: 60), nil),
            ("out of order", Self.response("Content-Length: 68\r\n", e), [40, 30, 30, 30], [2, 0, 3, 1]),
            ("gzip chunked out of order",
             Self.response("Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", Self.chunked(gz, size: 5)),
             [50, 20, 20, 20, 20, 20, 20, 20, 20, 20], [1, 0, 3, 2, 5, 4, 7, 6, 9, 8]),
        ]
        for (label, response, pieces, order) in cases {
            var c = try Conversation()
            c.client("GET /download/eicar.com?x=1 HTTP/1.1\r\nHost: files.test\r\n\r\n")
            c.server(response, pieces: pieces, order: order)
            c.finish()
            #expect(c.sink.files.count == 1, "\(label)")
            guard let f = c.sink.files.first else { continue }
            #expect(f.filename == "/download/eicar.com", "\(label)")
            #expect(f.magic == "EICAR virus test files", "\(label)")
            #expect(f.type == "text", "\(label)")
            #expect(f.state == "CLOSED", "\(label)")
            #expect(f.md5 == Self.eicarMD5, "\(label)")
            #expect(f.sha256 == Self.eicarSHA256, "\(label)")
            #expect(f.size == 68, "\(label)")
            #expect(f.direction == "download" && f.sourceAddress == IPAddress("10.0.0.2")! && f.sourcePort == 80, "\(label)")
            #expect(f.txID == 0 && f.verdict == "unknown" && f.action == "allowed", "\(label)")
        }
    }

    @Test("the EVE fileinfo line has Suricata's fields")
    func eveShape() throws {
        var c = try Conversation()
        c.client("GET /eicar.com HTTP/1.1\r\nHost: x\r\n\r\n")
        c.server(Self.response("Content-Length: 68\r\n", Self.eicar))
        c.finish()
        let record = try #require(c.sink.files.first)
        var line = JSONLine()
        record.writeEVE(into: &line)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.bytes)) as? [String: Any])
        #expect(json["event_type"] as? String == "fileinfo")
        let info = try #require(json["fileinfo"] as? [String: Any])
        #expect(info["filename"] as? String == "/eicar.com")
        #expect(info["md5"] as? String == Self.eicarMD5)
        #expect(info["sha256"] as? String == Self.eicarSHA256)
        #expect(info["size"] as? Int == 68 && info["tx_id"] as? Int == 0 && info["stored"] as? Bool == false)
        #expect(info["state"] as? String == "CLOSED")
        let rampart = try #require(json["rampart"] as? [String: Any])
        #expect(rampart["src_tags"] is [Any] && rampart["dest_tags"] is [Any])
    }

    @Test("a hash list names EICAR malicious by SHA-256 or MD5; without it the verdict is unknown")
    func hashList() throws {
        for text in ["\(Self.eicarSHA256)  eicar.com\n", "# md5sum\n\(Self.eicarMD5) *eicar\n", "\(Self.eicarMD5):68:Eicar-Test-Signature\n"] {
            let list = try FileHashList.parse(text, file: "bad.txt")
            var c = try Conversation(files: FileInspection(hashes: list))
            c.client("GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
            c.server(Self.response("Content-Length: 68\r\n", Self.eicar))
            c.finish()
            #expect(c.sink.files.first?.verdict == "malicious")
            #expect(c.sink.files.first?.hashListEntry != nil)
        }
        var clean = try Conversation(files: FileInspection(hashes: try FileHashList.parse(String(repeating: "0", count: 64), file: "x")))
        clean.client("GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
        clean.server(Self.response("Content-Length: 68\r\n", Self.eicar))
        clean.finish()
        #expect(clean.sink.files.first?.verdict == "unknown")
    }

    @Test("hash list errors name the file, line and column")
    func hashListErrors() {
        #expect(throws: FileHashList.Problem.self) { try FileHashList.parse("# ok\n  zz\n", file: "bad.txt") }
        do {
            _ = try FileHashList.parse("# ok\n  1234\n", file: "bad.txt")
        } catch {
            #expect(error.description.hasPrefix("bad.txt:2:3: expected a SHA-256"))
        }
        do {
            _ = try FileHashList.parse(String(repeating: "a", count: 40), file: "s1.txt")
        } catch {
            #expect(error.description.contains("SHA-1"))
        }
    }

    @Test("a YARA rule matches EICAR (gzip-encoded too); a rule for something else does not")
    func yara() throws {
        let rules = try YaraRules.compile([(#"""
            rule eicar_test { strings: $a = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE" condition: $a }
            rule pe_file { condition: uint16(0) == 0x5A4D }
            """#, "test.yar")])
        #expect(rules.count == 2)
        let gz = try Self.gzip(Self.eicar)
        for response in [Self.response("Content-Length: 68\r\n", Self.eicar),
                         Self.response("Content-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n", gz)] {
            var c = try Conversation(files: FileInspection(yara: rules))
            c.client("GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
            c.server(response)
            c.finish()
            #expect(c.sink.files.first?.yaraRules == ["eicar_test"])
            #expect(c.sink.files.first?.verdict == "malicious")
        }
        var other = try Conversation(files: FileInspection(yara: rules))
        other.client("GET /e HTTP/1.1\r\nHost: x\r\n\r\n")
        other.server(Self.response("Content-Length: 5\r\n", Array("hello".utf8)))
        other.finish()
        #expect(other.sink.files.first?.yaraRules == [])
        #expect(throws: YaraRules.Problem.self) { try YaraRules.compile([("rule broken { condition: $nope }", "bad.yar")]) }
        do {
            _ = try YaraRules.compile([("rule a { condition: true }\nrule broken { condition: $nope }", "bad.yar")])
        } catch {
            #expect(error.description.hasPrefix("bad.yar:2:"))
        }
    }

    @Test("an upload (POST body) is a file too, named by Content-Disposition, with its own tx_id")
    func upload() throws {
        var c = try Conversation()
        c.client("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        c.server(Self.response("Content-Length: 2\r\n", Array("ok".utf8)))
        c.client(Array("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Disposition: attachment; filename=\"report.exe\"\r\nContent-Length: 68\r\n\r\n".utf8) + Self.eicar)
        c.finish()
        #expect(c.sink.files.map(\.filename) == ["/first", "report.exe"])
        let upload = try #require(c.sink.files.last)
        #expect(upload.direction == "upload" && upload.txID == 1 && upload.md5 == Self.eicarMD5)
        #expect(upload.sourceAddress == IPAddress("10.0.0.1")!)
    }

    @Test("a download cut by the session's end is TRUNCATED, without hashes")
    func truncated() throws {
        var c = try Conversation()
        c.client("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        c.server(Self.response("Content-Length: 1000\r\n", Array(repeating: 0x41, count: 100)))
        c.finish()
        let f = try #require(c.sink.files.first)
        #expect(f.state == "TRUNCATED" && f.md5 == nil && f.sha256 == nil && f.size == 100)
    }

    @Test("a response without a length ends when the server closes: CLOSED, hashed")
    func untilClose() throws {
        var c = try Conversation()
        c.client("GET /eicar.com HTTP/1.0\r\n\r\n")
        c.server(Array("HTTP/1.0 200 OK\r\n\r\n".utf8) + Self.eicar)
        c.send(TableLimitTests.tcp("10.0.0.2", 80, "10.0.0.1", 40000, seq: c.serverSequence, ack: c.clientSequence, flags: 0x11))
        c.finish()
        let f = try #require(c.sink.files.first)
        #expect(f.state == "CLOSED" && f.md5 == Self.eicarMD5 && f.size == 68)
    }

    @Test("the file table's limit: a file that finds no slot is not tracked, counted and logged")
    func tableLimit() throws {
        var c = try Conversation { $0.files.maxFiles = 1 }
        // Two pipelined uploads whose first never ends: the second finds no slot.
        c.client(Array("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345".utf8))
        c.server(Self.response("Content-Length: 68\r\n", Self.eicar))
        c.finish()
        #expect(c.sink.files.map(\.filename) == ["/a"])
        #expect(c.engine.statistics.limits[.detectFiles] == 1)
        #expect(c.sink.anomalies.contains { $0.event == .fileTableFull })
    }

    /// A mail with `attachment` (base64, in 76-character lines) and a text part.
    static func mail(attachment: [UInt8], name: String) -> String {
        let encoded = Data(attachment).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return """
            From: a@example.net\r
            To: b@example.net\r
            Subject: report\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed;\r
            \tboundary="==outer=="\r
            \r
            preamble\r
            --==outer==\r
            Content-Type: text/plain\r
            \r
            Hello,\r
            ..a line the client dot-stuffed\r
            --==outer==\r
            Content-Type: application/octet-stream; name="ignored.bin"\r
            Content-Transfer-Encoding: base64\r
            Content-Disposition: attachment;\r
             filename="\(name)"\r
            \r
            \(encoded)\r
            --==outer==--\r
            epilogue\r
            .\r

            """
    }

    @Test("an SMTP attachment (MIME, base64, folded headers) is extracted, named and hashed")
    func smtpAttachment() throws {
        var c = try Conversation(port: 25)
        c.server("220 mail.test ESMTP ready\r\n")
        c.client("EHLO client.test\r\n")
        c.server("250 mail.test\r\n")
        c.client("MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
        c.server("250 ok\r\n250 ok\r\n354 go ahead\r\n")
        let message = Array(Self.mail(attachment: Self.eicar, name: "eicar.com").utf8)
        // In small segments: lines and base64 quanta cut across packets.
        var i = 0
        while i < message.count {
            let n = min(37, message.count - i)
            c.client(Array(message[i..<(i + n)]))
            i += n
        }
        c.server("250 queued\r\n")
        c.client("QUIT\r\n")
        c.finish()
        #expect(c.sink.files.count == 1)
        let f = try #require(c.sink.files.first)
        #expect(f.application == "smtp")
        #expect(f.filename == "eicar.com")
        #expect(f.md5 == Self.eicarMD5 && f.sha256 == Self.eicarSHA256 && f.size == 68 && f.state == "CLOSED")
        #expect(f.direction == "upload" && f.txID == 0)
    }

    @Test("clamav-testfiles' clam.exe mailed as an attachment is a PE file with sha256sum's hash")
    func smtpClamExe() throws {
        let path = "/usr/share/clamav-testfiles/clam.exe"
        guard FileManager.default.fileExists(atPath: path) else {
            Issue.record("clamav-testfiles is not installed (scripts/setup.sh installs it)")
            return
        }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var c = try Conversation(port: 25)
        c.server("220 mail.test ESMTP ready\r\n")
        c.client("EHLO client.test\r\n")
        c.server("250 mail.test\r\n")
        c.client("MAIL FROM:<a@example.net>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n")
        c.server("354 go ahead\r\n")
        c.client(Self.mail(attachment: bytes, name: "clam.exe"))
        c.finish()
        let f = try #require(c.sink.files.first)
        #expect(f.type == "pe" && f.magic.hasPrefix("PE32"))
        #expect(f.sha256 == (try Self.sha256sum(path)))
        #expect(f.size == UInt64(bytes.count))
    }

    static func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }

    @Test("types from clamav-testfiles and the system's own files")
    func types() throws {
        let cases: [(String, FileType)] = [
            ("/usr/share/clamav-testfiles/clam.exe", .pe), ("/usr/share/clamav-testfiles/clam.pdf", .pdf),
            ("/usr/share/clamav-testfiles/clam.zip", .zip), ("/usr/share/clamav-testfiles/clam.7z", .sevenZip),
            ("/usr/share/clamav-testfiles/clam.ole.doc", .ole2), ("/usr/share/clamav-testfiles/clam.tar.gz", .gzip),
            ("/usr/share/clamav-testfiles/clam.exe.bz2", .bzip2), ("/bin/ls", .elf), ("/usr/bin/gzip", .elf),
            ("/etc/passwd", .text),
        ]
        for (path, expected) in cases {
            guard let data = FileManager.default.contents(atPath: path) else {
                Issue.record("missing \(path) (scripts/setup.sh installs clamav-testfiles)")
                continue
            }
            let head = [UInt8](data.prefix(FileType.headBytes))
            let type = head.withUnsafeBytes { FileType.identify($0, complete: data.count <= FileType.headBytes) }
            #expect(type == expected, "\(path)")
        }
        let samples: [(String, FileType)] = [
            ("#!/bin/sh\necho hi\n", .script), ("<!DOCTYPE html><html></html>", .html), ("  <html>", .html),
            ("plain words\n", .text), ("\u{89}PNG\r\n\u{1A}\n", .png), ("GIF89a", .gif),
        ]
        for (text, expected) in samples {
            var bytes = Array(text.utf8)
            if text.hasPrefix("\u{89}PNG") { bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] }
            #expect(bytes.withUnsafeBytes { FileType.identify($0, complete: true) } == expected, "\(text)")
        }
        // A short text prefix is undecided until more comes (or the file ends); a binary byte decides.
        #expect(Array("plain".utf8).withUnsafeBytes { FileType.identify($0, complete: false) } == nil)
        #expect([0x41, 0x00].withUnsafeBytes { FileType.identify($0, complete: false) } == .unknown)
        #expect(FileType.named("executable") == [.pe, .elf, .macho])
    }
}
