import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: POP3")
struct AppIDPOP3Tests {
    let pop3 = DatabaseAppIDFixtures.decoder("pop3")

    @Test("real curl and raw USER against dovecot on 110 and 1110")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("pop3", in: "Tests/Captures/appid/mail.pcap", ports: [110, 1110])
        #expect(found.count == 3)
        for (_, metadata) in found {
            #expect(metadata.detail["pop3.greeting"] == "Dovecot (Debian) ready.")
        }
        #expect(Set(found.compactMap { $0.1.detail["pop3.command"] }).isSuperset(of: ["CAPA", "USER"]))
    }

    @Test("other protocols' captures are not POP3")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("pop3") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("pop3", in: "Tests/Captures/appid/mail.pcap") }

    @Test("+OK greeting with text, then a POP3 first command; Redis's +OK is not POP3")
    func exchange() {
        let greeting = Array("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n".utf8)
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n".utf8), toClient: greeting)
                == .identified(pop3.application))
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("CA".utf8), toClient: greeting) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: [], toClient: greeting, complete: true) == .identified(pop3.application))
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("RETR 1\r\n".utf8), toClient: greeting) == .notThis)
        // Redis: an inline AUTH answered by +OK with no text.
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("AUTH secret\r\n".utf8), toClient: Array("+OK\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("USER x\r\n".utf8), toClient: Array("* OK IMAP4\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("USER x\r\n".utf8), toClient: []) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: Array("USER x\r\n".utf8), toClient: [], complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pop3, toServer: [], toClient: Array("+OK ".utf8) + [UInt8](repeating: 0x41, count: 600)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("pop3", valid: (Array("CAPA\r\n".utf8), Array("+OK Dovecot ready.\r\n".utf8)), seed: 110)
    }
}
