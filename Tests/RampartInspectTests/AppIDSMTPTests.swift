import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: SMTP")
struct AppIDSMTPTests {
    let smtp = DatabaseAppIDFixtures.decoder("smtp")

    @Test("real swaks against Python's smtpd on 25 and 2525")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("smtp", in: "Tests/Captures/appid/mail.pcap", ports: [25, 2525])
        #expect(found.count == 2)
        for (_, metadata) in found {
            #expect(metadata.detail["smtp.helo"] == "client.example.net")
            #expect(metadata.detail["smtp.greeting"]?.contains("Python SMTP") == true)
        }
    }

    @Test("other protocols' captures are not SMTP")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("smtp") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("smtp", in: "Tests/Captures/appid/mail.pcap") }

    @Test("the client's EHLO/HELO confirms a 220 greeting; FTP's 220 is not SMTP")
    func exchange() {
        let greeting = Array("220-mx.example.org ESMTP Exim 4.96\r\n220 welcome\r\n".utf8)
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("ehlo laptop\r\n".utf8), toClient: greeting, metadata: &metadata)
                == .identified(smtp.application))
        #expect(metadata.detail["smtp.greeting"] == "mx.example.org ESMTP Exim 4.96")
        #expect(metadata.detail["smtp.helo"] == "laptop")
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: [], toClient: greeting) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("EH".utf8), toClient: greeting) == .needMore)
        // The client said nothing and left: the greeting's ESMTP is enough; plain 220 is not.
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: [], toClient: greeting, complete: true) == .identified(smtp.application))
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: [], toClient: Array("220 ready\r\n".utf8), complete: true) == .notThis)
        // FTP: same greeting code, different first command.
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("USER anonymous\r\n".utf8), toClient: Array("220 ProFTPD Server\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("AUTH TLS\r\n".utf8), toClient: Array("220 (vsFTPd 3.0.3)\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("LHLO x\r\n".utf8), toClient: Array("220 lmtp\r\n".utf8)) == .notThis)
        // The client spoke first; a greeting too long or not text.
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("EHLO x\r\n".utf8), toClient: []) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: Array("EHLO x\r\n".utf8), toClient: [], complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: [], toClient: Array("220 ".utf8) + [UInt8](repeating: 0x41, count: 600)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: [], toClient: Array("220 \u{1}\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(smtp, toServer: [], toClient: Array("2200\r\n".utf8)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("smtp", valid: (Array("EHLO a.example\r\n".utf8), Array("220 mx ESMTP\r\n".utf8)), seed: 25)
    }
}
