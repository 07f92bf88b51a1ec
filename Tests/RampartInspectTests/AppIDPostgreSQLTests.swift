import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: PostgreSQL")
struct AppIDPostgreSQLTests {
    let pg = DatabaseAppIDFixtures.decoder("postgresql")

    /// StartupMessage with the given parameters.
    static func startup(_ pairs: [(String, String)], version: UInt32 = 196_608) -> [UInt8] {
        var body: [UInt8] = []
        for (k, v) in pairs { body += Array(k.utf8) + [0] + Array(v.utf8) + [0] }
        body.append(0)
        let length = UInt32(8 + body.count)
        return withUnsafeBytes(of: length.bigEndian, Array.init) + withUnsafeBytes(of: version.bigEndian, Array.init) + body
    }
    static let sslRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x2F]
    static let gssRequest: [UInt8] = [0, 0, 0, 8, 0x04, 0xD2, 0x16, 0x30]
    static let authOK: [UInt8] = [0x52, 0, 0, 0, 8, 0, 0, 0, 0]

    @Test("real psql and postgres on 5432 and 15432, with and without SSLRequest")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("postgresql", in: "Tests/Captures/appid/db.pcap", ports: [5432, 15432])
        #expect(found.count == 4)
        for (flow, metadata) in found {
            #expect(metadata.detail["postgresql.user"] == "postgres")
            #expect(metadata.detail["postgresql.database"] != nil)
            #expect(metadata.detail["postgresql.server_version"]?.hasPrefix("15.") == true)
            let askedForTLS = flow.toServer.starts(with: Self.sslRequest)
            #expect(metadata.detail["postgresql.encryption"] == (askedForTLS ? "refused" : nil))
        }
        #expect(found.contains { $0.1.detail["postgresql.application_name"] == "rampart-test" })
        #expect(found.contains { $0.1.detail["postgresql.database"] == "template1" })
        #expect(found.contains { $0.1.detail["postgresql.encryption"] == "refused" })
    }

    @Test("other protocols' captures are not PostgreSQL")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("postgresql") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("postgresql", in: "Tests/Captures/appid/db.pcap") }

    @Test("SSLRequest and GSSENCRequest need the server's answer")
    func encryptionRequests() {
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.sslRequest) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.sslRequest, complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.sslRequest + [0x16, 3, 1], toClient: Array("S".utf8),
                                            metadata: &metadata) == .identified(pg.application))
        #expect(metadata.detail["postgresql.encryption"] == "tls")
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.gssRequest, toClient: Array("G".utf8)) == .identified(pg.application))
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.gssRequest, toClient: Array("S".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.sslRequest, toClient: Array("X".utf8)) == .notThis)
        // 'N' then the StartupMessage: wait for it, then read the user.
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.sslRequest, toClient: Array("N".utf8)) == .needMore)
        metadata = ApplicationMetadata()
        let full = Self.sslRequest + Self.startup([("user", "app"), ("database", "orders")])
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: full, toClient: Array("N".utf8) + Self.authOK, metadata: &metadata) == .identified(pg.application))
        #expect(metadata.detail["postgresql.user"] == "app")
        #expect(metadata.detail["postgresql.database"] == "orders")
    }

    @Test("StartupMessage: protocol 3, user required, exact length, sane server reply")
    func startup() {
        let good = Self.startup([("user", "u")])
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: good) == .identified(pg.application))
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: good, toClient: Self.authOK) == .identified(pg.application))
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: good, toClient: Array("HTTP/1.1".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.startup([("database", "d")])) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.startup([("user", "u")], version: 0x0002_0000)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: Self.startup([("user", "u")], version: 0x0003_0002)) == .identified(pg.application))
        // Lying lengths: longer than the bytes (wait), longer than allowed, shorter than the pairs.
        var lying = good
        lying[3] = lying[3] &+ 40
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: lying) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: lying, complete: true) == .notThis)
        lying = good
        lying[1] = 1
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: lying) == .notThis)
        lying = good
        lying[3] = 10
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: lying) == .notThis)
        // The server never speaks first.
        #expect(DatabaseAppIDFixtures.probe(pg, toServer: [], toClient: Self.authOK) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("postgresql", valid: (Self.sslRequest + Self.startup([("user", "u"), ("database", "d")]),
                                                            Array("N".utf8) + Self.authOK), seed: 5432)
    }
}
