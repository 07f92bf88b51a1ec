import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: IMAP")
struct AppIDIMAPTests {
    let imap = DatabaseAppIDFixtures.decoder("imap")

    @Test("real curl and raw LOGIN against dovecot on 143 and 1143")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("imap", in: "Tests/Captures/appid/mail.pcap", ports: [143, 1143])
        #expect(found.count == 3)
        for (_, metadata) in found {
            #expect(metadata.detail["imap.greeting"]?.hasPrefix("OK [CAPABILITY IMAP4rev1") == true)
        }
        #expect(Set(found.compactMap { $0.1.detail["imap.command"] }) == ["CAPABILITY", "LOGIN"])
    }

    @Test("other protocols' captures are not IMAP")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("imap") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("imap", in: "Tests/Captures/appid/mail.pcap") }

    @Test("greeting and a tagged first command")
    func exchange() {
        let greeting = Array("* OK IMAP4rev1 server ready\r\n".utf8)
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("A0001 authenticate PLAIN\r\n".utf8), toClient: greeting, metadata: &metadata)
                == .identified(imap.application))
        #expect(metadata.detail["imap.command"] == "AUTHENTICATE")
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("a1 ".utf8), toClient: greeting) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: [], toClient: greeting, complete: true) == .identified(imap.application))
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: [], toClient: Array("* OK ready\r\n".utf8), complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("a1 FETCH 1\r\n".utf8), toClient: greeting) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("* CAPABILITY\r\n".utf8), toClient: greeting) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("CAPABILITY\r\n".utf8), toClient: greeting) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("USER bob\r\n".utf8), toClient: Array("+OK POP3 ready\r\n".utf8)) == .notThis)
        // A pipelined first command waits for the greeting; without one it is not IMAP.
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("a1 LOGIN x y\r\n".utf8), toClient: []) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: Array("a1 LOGIN x y\r\n".utf8), toClient: [], complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(imap, toServer: [], toClient: Array("* OK ".utf8) + [UInt8](repeating: 0x41, count: 2000)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("imap", valid: (Array("a1 CAPABILITY\r\n".utf8), Array("* OK [CAPABILITY IMAP4rev1] ready\r\n".utf8)), seed: 143)
    }
}
