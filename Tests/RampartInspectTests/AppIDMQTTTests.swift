import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: MQTT")
struct AppIDMQTTTests {
    let mqtt = DatabaseAppIDFixtures.decoder("mqtt")

    static func connect(name: String = "MQTT", level: UInt8 = 4, flags: UInt8 = 2, clientID: String = "sensor-7", v5Properties: [UInt8] = []) -> [UInt8] {
        var body: [UInt8] = [0, UInt8(name.utf8.count)] + Array(name.utf8) + [level, flags, 0, 60]
        if level == 5 { body += [UInt8(v5Properties.count)] + v5Properties }
        body += [0, UInt8(clientID.utf8.count)] + Array(clientID.utf8)
        return [0x10, UInt8(body.count)] + body
    }

    @Test("real mosquitto_pub (3.1, 3.1.1, 5) against mosquitto on 1883 and 11883")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("mqtt", in: "Tests/Captures/appid/msg.pcap", ports: [1883, 11883])
        #expect(found.count == 3)
        #expect(Set(found.compactMap { $0.1.detail["mqtt.client_id"] }) == ["rampart-pub", "rampart-v5", "rampart-v31"])
        #expect(Set(found.compactMap { $0.1.detail["mqtt.version"] }) == ["3.1", "3.1.1", "5.0"])
    }

    @Test("other protocols' captures are not MQTT")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("mqtt") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("mqtt", in: "Tests/Captures/appid/msg.pcap") }

    @Test("CONNECT variants and CONNACK")
    func handMade() {
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(level: 5, v5Properties: [0x11, 0, 0, 0, 10]),
                                            toClient: [0x20, 3, 0, 0, 0], metadata: &metadata) == .identified(mqtt.application))
        #expect(metadata.detail["mqtt.client_id"] == "sensor-7")
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(name: "MQIsdp", level: 3)) == .identified(mqtt.application))
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(), toClient: [0x30]) == .notThis)
    }

    @Test("strict: name and level agree, reserved flag, varint bounds")
    func strict() {
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(level: 3)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(name: "MQIsdp", level: 4)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(name: "MQTX")) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Self.connect(flags: 3)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: [0x10, 0xFF, 0xFF, 0xFF, 0x7F]) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: [0x10, 2, 0, 4]) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Array(Self.connect().prefix(5))) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: Array(Self.connect().prefix(5)), complete: true) == .notThis)
        // A client id longer than the packet: identified without it.
        var lying = Self.connect()
        lying[lying.count - 9] = 0xFF
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(mqtt, toServer: lying, metadata: &metadata) == .identified(mqtt.application))
        #expect(metadata.detail["mqtt.client_id"] == nil)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("mqtt", valid: (Self.connect(level: 5, v5Properties: [0x11, 0, 0, 0, 10]), [0x20, 2, 0, 0]), seed: 1883)
    }
}
