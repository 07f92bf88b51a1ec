import Foundation
import Testing
import RampartWire
@testable import RampartPolicy

@Suite("Samples")
struct SampleTests {
    @Test func samplePolicyAndTagsLoadAndDecide() throws {
        let dir = Fixture.samplesDirectory()
        let policyText = try String(contentsOf: dir.appendingPathComponent("policy.yaml"), encoding: .utf8)
        let tagText = try String(contentsOf: dir.appendingPathComponent("tags.yaml"), encoding: .utf8)
        let doc = try PolicyLoader.load(yaml: policyText, file: "policy.yaml")
        let tags = try TagFile.load(yaml: tagText, file: "tags.yaml")
        #expect(tags.count == 4)
        let m = try PolicyMatcher(doc, tags: tags)
        let client = Fixture.ip("10.77.0.1"), server = Fixture.ip("10.77.0.2")
        #expect(m.zoneName(m.zone(of: client)) == "client")
        #expect(m.zoneName(m.zone(of: server)) == "server")
        #expect(m.zoneName(m.zone(of: Fixture.ip("8.8.8.8"))) == "outside")

        var q = PolicyQuery(source: client, destination: server, ipProtocol: .tcp, destinationPort: 80)
        let first = m.decide(q)
        #expect(!first.isFinal)
        #expect(m.rules[Int(first.ruleIndex)].name == "allow-web")
        q.application = Fixture.app("http")
        let final = m.decide(q)
        #expect(final.isFinal && final.action == .allow && m.rules[Int(final.ruleIndex)].name == "allow-web")
        #expect(final.logAtStart)

        let dns = m.decide(PolicyQuery(source: client, destination: server, ipProtocol: .udp, destinationPort: 53,
                                       application: Fixture.app("dns")))
        #expect(m.rules[Int(dns.ruleIndex)].name == "allow-dns" && dns.action == .allow)

        let closed = m.decide(PolicyQuery(source: client, destination: server, ipProtocol: .tcp, destinationPort: 81))
        #expect(m.rules[Int(closed.ruleIndex)].name == "reject-closed-port" && closed.action == .resetClient && closed.isFinal)

        let ping6 = m.decide(PolicyQuery(source: Fixture.ip("fd00:77::1"), destination: Fixture.ip("fd00:77::2"),
                                         ipProtocol: .icmpv6, destinationPort: 0, application: Fixture.app("ping")))
        #expect(m.rules[Int(ping6.ruleIndex)].name == "allow-ping" && !ping6.logAtEnd)

        // A database app could still show up on udp/7777, so the first answer is provisional.
        var udp = PolicyQuery(source: client, destination: server, ipProtocol: .udp, destinationPort: 7777)
        let udpFirst = m.decide(udp)
        #expect(!udpFirst.isFinal && m.rules[Int(udpFirst.ruleIndex)].name == "no-databases-from-client")
        udp.application = ApplicationCatalog.unknownUDP
        #expect(m.decide(udp).action == .drop)

        let back = m.decide(PolicyQuery(source: server, destination: client, ipProtocol: .tcp, destinationPort: 5000,
                                        application: Fixture.app("unknown-tcp")))
        #expect(m.rules[Int(back.ruleIndex)].name == "interzone-default" && back.action == .deny)
    }
}
