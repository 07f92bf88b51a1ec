import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: SSH")
struct AppIDSSHTests {
    let ssh = DatabaseAppIDFixtures.decoder("ssh")

    @Test("real sshd and ssh on 22 and 2222: both identification strings")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("ssh", in: "Tests/Captures/appid/db.pcap", ports: [22, 2222])
        #expect(found.count == 2)
        for (_, metadata) in found {
            #expect(metadata.detail["ssh.server"]?.hasPrefix("SSH-2.0-OpenSSH_") == true)
            #expect(metadata.detail["ssh.client"]?.hasPrefix("SSH-2.0-OpenSSH_") == true)
        }
    }

    @Test("other protocols' captures are not SSH")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("ssh") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("ssh", in: "Tests/Captures/appid/db.pcap") }

    @Test("either side alone proves SSH; SSH-1.99 too")
    func oneSide() {
        var metadata = ApplicationMetadata()
        let server = Array("SSH-1.99-Cisco-1.25\r\n".utf8)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: server, metadata: &metadata) == .identified(ssh.application))
        #expect(metadata.detail["ssh.server"] == "SSH-1.99-Cisco-1.25")
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: Array("SSH-2.0-paramiko_3.4\n".utf8)) == .identified(ssh.application))
    }

    @Test("bounded, printable, versioned")
    func strict() {
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: Array("SSH-2.0-".utf8)) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: Array("SSH-2.0-".utf8), complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: Array("SSH-3.0-x\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: Array("SSH-2.0-\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: Array("SSH-2.0-a\u{1}b\r\n".utf8)) == .notThis)
        let long = Array("SSH-2.0-".utf8) + [UInt8](repeating: 0x41, count: 300)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: [], toClient: long) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: Array("GET / HTTP/1.1\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(ssh, toServer: Array("SSH-2.0-x\r\n".utf8), toClient: Array("220 x\r\n".utf8)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("ssh", valid: (Array("SSH-2.0-OpenSSH_9.2\r\n".utf8), Array("SSH-2.0-OpenSSH_9.2p1 Debian\r\n".utf8)), seed: 22)
    }
}
