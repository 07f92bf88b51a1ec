import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: MongoDB")
struct AppIDMongoDBTests {
    let mongo = DatabaseAppIDFixtures.decoder("mongodb")

    static func le32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian, Array.init) }

    /// A BSON document `{command: 1 (int32), $db: db}`.
    static func document(_ command: String, db: String = "admin") -> [UInt8] {
        var body: [UInt8] = [0x10] + Array(command.utf8) + [0] + le32(1)
        body += [0x02] + Array("$db".utf8) + [0] + le32(db.utf8.count + 1) + Array(db.utf8) + [0]
        body.append(0)
        return le32(body.count + 4) + body
    }

    static func opMsg(_ command: String, requestID: Int = 7, flags: Int = 0) -> [UInt8] {
        let payload = le32(flags) + [0] + document(command)
        return le32(16 + payload.count) + le32(requestID) + le32(0) + le32(2013) + payload
    }

    static func reply(to requestID: Int) -> [UInt8] {
        let payload = le32(0) + [0] + document("ok")
        return le32(16 + payload.count) + le32(99) + le32(requestID) + le32(2013) + payload
    }

    @Test("real pymongo (OP_QUERY isMaster, OP_MSG) against a listener on 27017 and 37017")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("mongodb", in: "Tests/Captures/appid/msg.pcap", ports: [27017, 37017])
        #expect(found.count >= 2)
        for (_, metadata) in found {
            #expect(["ismaster", "isMaster", "hello"].contains(metadata.detail["mongodb.command"] ?? ""))
            #expect(metadata.detail["mongodb.database"] == "admin")
        }
    }

    @Test("other protocols' captures are not MongoDB")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("mongodb") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("mongodb", in: "Tests/Captures/appid/msg.pcap") }

    @Test("OP_MSG: the first key is the command, $db the database")
    func opMsg() {
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: Self.opMsg("find"), toClient: Self.reply(to: 7), metadata: &metadata)
                == .identified(mongo.application))
        #expect(metadata.detail["mongodb.command"] == "find")
        #expect(metadata.detail["mongodb.database"] == "admin")
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: Self.opMsg("hello", flags: 0x10000)) == .identified(mongo.application))
    }

    @Test("strict header, flags, reply and lying lengths")
    func strict() {
        let good = Self.opMsg("ping")
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: good, toClient: Self.reply(to: 8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: Self.opMsg("ping", flags: 0x100)) == .notThis)
        var bad = good
        bad[12] = 0xD4   // opCode 2004 with an OP_MSG body: not a collection name
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: bad) == .notThis)
        bad = good
        bad[8] = 1       // responseTo set: not a client's first message
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: bad) == .notThis)
        bad = good
        bad[3] = 0x7F    // messageLength beyond 48 MB
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: bad) == .notThis)
        bad = good
        bad[21] = 0xFF   // document larger than the message
        bad[22] = 0xFF
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: bad) == .notThis)
        bad = good
        bad[25] = 0x42   // invalid BSON type
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: bad) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: Array(good.prefix(20))) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: Array(good.prefix(20)), complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mongo, toServer: [], toClient: Self.reply(to: 7)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("mongodb", valid: (Self.opMsg("hello"), Self.reply(to: 7)), seed: 27017)
    }
}
