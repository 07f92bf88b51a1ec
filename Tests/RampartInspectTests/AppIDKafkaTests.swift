import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: Kafka")
struct AppIDKafkaTests {
    let kafka = DatabaseAppIDFixtures.decoder("kafka")

    static func be32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).bigEndian, Array.init) }
    static func be16(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).bigEndian, Array.init) }

    static func request(key: Int = 18, version: Int = 3, correlation: Int = 1, clientID: String? = "app", extra: [UInt8] = [0]) -> [UInt8] {
        var body = be16(key) + be16(version) + be32(correlation)
        if let clientID { body += be16(clientID.utf8.count) + Array(clientID.utf8) } else { body += [0xFF, 0xFF] }
        body += extra
        return be32(body.count) + body
    }

    @Test("real kafka-python ApiVersions against a listener on 9092 and 19092")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("kafka", in: "Tests/Captures/appid/msg.pcap", ports: [9092, 19092])
        #expect(found.count >= 2)
        for (_, metadata) in found {
            #expect(metadata.detail["kafka.api_key"] == "18 ApiVersions")
            #expect(metadata.detail["kafka.client_id"] == "rampart-admin")
        }
    }

    @Test("other protocols' captures are not Kafka")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("kafka") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("kafka", in: "Tests/Captures/appid/msg.pcap") }

    @Test("request header, null client id, matching correlation id")
    func handMade() {
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(key: 3, version: 12, clientID: "orders"),
                                            toClient: Self.be32(8) + Self.be32(1), metadata: &metadata) == .identified(kafka.application))
        #expect(metadata.detail["kafka.api_key"] == "3 Metadata")
        #expect(metadata.detail["kafka.api_version"] == "12")
        #expect(metadata.detail["kafka.client_id"] == "orders")
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(clientID: nil)) == .identified(kafka.application))
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(), toClient: Self.be32(8) + Self.be32(2)) == .notThis)
    }

    @Test("strict: key, version, correlation, printable client id inside the size")
    func strict() {
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(key: 300)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(version: 99)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(correlation: -5)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Self.request(clientID: "a\u{0}b")) == .notThis)
        // Lying lengths: client id longer than the request; a request over 100 MB.
        var bad = Self.request()
        bad[13] = 200
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: bad) == .notThis)
        bad = Self.request()
        bad[0] = 0x10
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: bad) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Array(Self.request().prefix(16))) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: Array(Self.request().prefix(16)), complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(kafka, toServer: [], toClient: Self.be32(8)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("kafka", valid: (Self.request(), Self.be32(8) + Self.be32(1)), seed: 9092)
    }
}
