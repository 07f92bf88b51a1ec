import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: MySQL / MariaDB")
struct AppIDMySQLTests {
    let mysql = DatabaseAppIDFixtures.decoder("mysql")

    /// A protocol-10 greeting packet with `version`.
    static func greeting(_ version: String, capabilities: UInt16 = 0xF7FF) -> [UInt8] {
        var body: [UInt8] = [10] + Array(version.utf8) + [0]
        body += [1, 0, 0, 0] + Array("abcdefgh".utf8) + [0]
        body += [UInt8(capabilities & 0xFF), UInt8(capabilities >> 8), 0x21, 2, 0, 0xFF, 0x81, 21] + [UInt8](repeating: 0, count: 10)
        body += Array("ijklmnopqrst".utf8) + [0] + Array("mysql_native_password".utf8) + [0]
        return [UInt8(body.count & 0xFF), UInt8(body.count >> 8), 0, 0] + body
    }

    static func response(user: String) -> [UInt8] {
        var body: [UInt8] = [0x85, 0xA6, 0xFF, 0x01, 0, 0, 0, 1, 0x21] + [UInt8](repeating: 0, count: 23)
        body += Array(user.utf8) + [0, 0]
        return [UInt8(body.count), 0, 0, 1] + body
    }

    @Test("real mariadb client and server on 3306 and 13306")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("mysql", in: "Tests/Captures/appid/db.pcap", ports: [3306, 13306])
        #expect(found.count == 2)
        for (_, metadata) in found {
            #expect(metadata.detail["mysql.version"]?.contains("MariaDB") == true)
            #expect(metadata.detail["mysql.server"] == "mariadb")
        }
        #expect(Set(found.compactMap { $0.1.detail["mysql.user"] }) == ["tester", "appuser"])
    }

    @Test("other protocols' captures are not MySQL")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("mysql") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("mysql", in: "Tests/Captures/appid/db.pcap") }

    @Test("greeting then the client's response: version and user")
    func handMade() {
        var metadata = ApplicationMetadata()
        let g = Self.greeting("8.0.36")
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: g) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: Self.response(user: "web"), toClient: g, metadata: &metadata)
                == .identified(mysql.application))
        #expect(metadata.detail["mysql.version"] == "8.0.36")
        #expect(metadata.detail["mysql.user"] == "web")
        #expect(metadata.detail["mysql.server"] == nil)
        // The client gone: the greeting alone.
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: g, complete: true) == .identified(mysql.application))
    }

    @Test("strict greeting: protocol 10, digit-led printable version, filler, CLIENT_PROTOCOL_41, client silent")
    func strict() {
        let g = Self.greeting("8.0.36")
        var bad = g
        bad[4] = 9
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: bad) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: Self.greeting("v8")) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: Self.greeting("8.0\u{7}")) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: Self.greeting("8.0", capabilities: 0x0001), complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: Array("hello".utf8), toClient: []) == .notThis)
        // Lying lengths: too long for a greeting; longer than the bytes (wait).
        bad = g
        bad[1] = 0x10
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: bad) == .notThis)
        bad = g
        bad[0] = bad[0] &+ 20
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: bad) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: bad, complete: true) == .notThis)
        bad = g
        bad[0] = 6
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: bad) == .notThis)
    }

    @Test("an error packet as the greeting: a refused client")
    func errorGreeting() {
        let message = Array("Host '10.0.0.9' is not allowed to connect to this MariaDB server".utf8)
        let body: [UInt8] = [0xFF, 0x6A, 0x04] + message
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: [UInt8(body.count), 0, 0, 0] + body, metadata: &metadata)
                == .identified(mysql.application))
        #expect(metadata.detail["mysql.error"]?.hasPrefix("Host") == true)
        let binary: [UInt8] = [0xFF, 0x6A, 0x04, 1, 2, 3, 4, 5]
        #expect(DatabaseAppIDFixtures.probe(mysql, toServer: [], toClient: [UInt8(binary.count), 0, 0, 0] + binary) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("mysql", valid: (Self.response(user: "u"), Self.greeting("10.11.6-MariaDB")), seed: 3306)
    }
}
