import Foundation
import Testing

/// `rampart inspect --hashes/--yara` over the real attack-shaped capture
/// (Tests/Captures/threats.pcap): its three EICAR downloads (plain, gzip, gzip in chunks, from
/// a real Python server to curl) are each one fileinfo record with EICAR's hashes, named
/// malicious by the hash list and the YARA rule; the other bodies are not; bad lists exit 2.
@Suite("Files over real traffic")
struct FileCaptureTests {
    static let sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

    @Test("EICAR downloaded three ways: three malicious fileinfo records with its hashes")
    func eicar() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-files-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let hashes = folder.appendingPathComponent("bad.sha256").path
        let yara = folder.appendingPathComponent("eicar.yar").path
        try "\(Self.sha256)  eicar\n".write(toFile: hashes, atomically: true, encoding: .utf8)
        try #"rule eicar_string { strings: $a = "EICAR-STANDARD" condition: $a }"#.write(toFile: yara, atomically: true, encoding: .utf8)
        let run = try RampartProcess.run(["inspect", "Tests/Captures/threats.pcap", "--no-progress", "--hashes", hashes, "--yara", yara])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("files: 1 hash from 1 list, 1 YARA rule from 1 file"))
        let files = try RampartProcess.events(run.stdout).filter { $0["event_type"] as? String == "fileinfo" }
        let malicious = files.filter { ($0["rampart"] as? [String: Any])?["verdict"] as? String == "malicious" }
        #expect(malicious.count == 3)
        for f in malicious {
            let info = try #require(f["fileinfo"] as? [String: Any])
            #expect(info["sha256"] as? String == Self.sha256 && info["md5"] as? String == "44d88612fea8a8f36de82e1278abb02f")
            #expect(info["size"] as? Int == 68 && info["state"] as? String == "CLOSED")
            #expect((f["rampart"] as? [String: Any])?["yara"] as? [String] == ["eicar_string"])
        }
        #expect(files.count > malicious.count, "the other bodies are files too, not malicious")
        // Without --hashes/--yara/--rules: no file tracking, no fileinfo.
        let plain = try RampartProcess.run(["inspect", "Tests/Captures/threats.pcap", "--no-progress", "--quiet"])
        #expect(try RampartProcess.events(plain.stdout).allSatisfy { $0["event_type"] as? String != "fileinfo" })
        // A bad list refuses the run with its place.
        try "not-a-digest\n".write(toFile: hashes, atomically: true, encoding: .utf8)
        let bad = try RampartProcess.run(["inspect", "Tests/Captures/threats.pcap", "--hashes", hashes])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.sha256:1:1:"))
    }
}
