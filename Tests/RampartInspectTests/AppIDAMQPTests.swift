import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: AMQP")
struct AppIDAMQPTests {
    let amqp = DatabaseAppIDFixtures.decoder("amqp")
    static let header091: [UInt8] = Array("AMQP".utf8) + [0, 0, 9, 1]

    @Test("real pika against rabbitmq-server on 5672 and 35672")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("amqp", in: "Tests/Captures/appid/msg.pcap", ports: [5672, 35672])
        #expect(found.count == 2)
        for (_, metadata) in found {
            #expect(metadata.detail["amqp.version"] == "0-9-1")
            #expect(metadata.detail["amqp.product"] == "RabbitMQ")
            #expect(metadata.detail["amqp.product_version"]?.first?.isNumber == true)
        }
    }

    @Test("other protocols' captures are not AMQP")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("amqp") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("amqp", in: "Tests/Captures/appid/msg.pcap") }

    @Test("headers of 0-9-1 and 1.0; the broker's answer")
    func handMade() {
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Array("AMQP".utf8) + [3, 1, 0, 0], toClient: Array("AMQP".utf8) + [3, 1, 0, 0],
                                            metadata: &metadata) == .identified(amqp.application))
        #expect(metadata.detail["amqp.version"] == "1.0-sasl")
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Self.header091) == .identified(amqp.application))
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Array("AMQ".utf8)) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Array("AMQ".utf8), complete: true) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Array("AMQP".utf8) + [0, 0, 9, 9]) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Array("AMQP".utf8) + [9]) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Self.header091, toClient: Array("HTTP".utf8)) == .notThis)
        // A Connection.Start whose table lies about its length: identified, properties skipped safely.
        let lying: [UInt8] = [1, 0, 0, 0, 0, 0, 30, 0, 10, 0, 10, 0, 9, 0xFF, 0xFF, 0xFF, 0xFF, 7] + Array("product".utf8) + [UInt8(ascii: "S"), 0xFF, 0xFF, 0, 0]
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Self.header091, toClient: lying) == .identified(amqp.application))
        // A method frame that is not Connection.Start.
        let other: [UInt8] = [1, 0, 0, 0, 0, 0, 4, 0, 20, 0, 10, 0xCE]
        #expect(DatabaseAppIDFixtures.probe(amqp, toServer: Self.header091, toClient: other) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        let start: [UInt8] = [1, 0, 0, 0, 0, 0, 30, 0, 10, 0, 10, 0, 9, 0, 0, 0, 13, 7] + Array("product".utf8) + [UInt8(ascii: "S"), 0, 0, 0, 1, 0x41]
        DatabaseAppIDFixtures.hostile("amqp", valid: (Self.header091, start), seed: 5672)
    }
}
