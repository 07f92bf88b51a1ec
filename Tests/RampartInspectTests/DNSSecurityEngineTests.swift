import Foundation
import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// The DNS security stage in the engine, over Tests/Captures/dns-security.pcap (real dig
/// queries to dnsmasq over UDP and TCP and a real iodine tunnel, recorded by
/// scripts/make-dns-security-capture.sh): each packet's verdict, the sinkholed answers as the
/// firewall would send them, and the records.
@Suite("DNS security in the engine")
struct DNSSecurityEngineTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: dns}
        spec:
          dnsSecurityProfiles:
            - name: dns-strict
              categories: {malware: sinkhole, phishing: block, gambling: alert}
              sinkhole: {ipv4: 198.18.0.1, ipv6: "fd00::5:1"}
              dga: {action: block, threshold: 0.9}
              tunnelling: {action: block}
          rules:
            - {name: dns, services: [udp/53, tcp/53], action: allow, profiles: [dns-strict]}
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """

    struct Packet {
        var frame: [UInt8]
        var verdict: Verdict
        /// The frame after `applyRewrite` (== frame unless the verdict was .rewrite).
        var sent: [UInt8]
    }

    struct Run {
        var packets: [Packet] = []
        var flows: [FlowRecord] = []
        var anomalies: [AnomalyRecord] = []
        var statistics = EngineStatistics()
    }

    static func store() throws -> IndicatorStore {
        var builder = IndicatorStoreBuilder(seed: 7)
        let source = try builder.source("test")
        for (name, category) in [("malware-c2.test", "malware"), ("login-phish.test", "phishing"), ("casino.test", "gambling")] {
            let attributes = try builder.attributes(categories: [try builder.category(category)], sources: [source])
            try builder.addDomain(name, attributes: attributes)
        }
        return builder.build()
    }

    static func run(policy: String = DNSSecurityEngineTests.policy, lists: Bool = true,
                    configure: (inout EngineConfiguration) -> Void = { _ in }) throws -> Run {
        let document = try PolicyLoader.load(yaml: policy, file: "dns-policy.yaml")
        var configuration = EngineConfiguration()
        configure(&configuration)
        var engine = Engine(configuration: configuration, policy: try PolicyMatcher(document, tags: []))
        if lists { engine.adoptIndicators(try store()) }
        var sink = EngineRun.Collector()
        let bytes = try EngineRun.bytes(of: "Tests/Captures/dns-security.pcap")
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        var run = Run()
        var number: UInt64 = 0
        while try reader.next(into: &record) {
            number += 1
            var frame = Array(bytes[record.frameRange])
            let verdict = frame.withUnsafeBytes {
                engine.process(frame: $0, linkType: record.linkType, timestamp: record.timestamp, packetNumber: number, sink: &sink)
            }
            let original = frame
            if verdict == .rewrite { frame.withUnsafeMutableBytes { engine.applyRewrite(to: $0) } }
            run.packets.append(Packet(frame: original, verdict: verdict, sent: frame))
        }
        engine.finish(sink: &sink)
        run.flows = sink.flows
        run.anomalies = sink.anomalies
        run.statistics = engine.statistics
        return run
    }

    /// The DNS message of a decoded frame (UDP payload, or TCP payload after its length).
    static func dns(_ frame: [UInt8]) -> (packet: DecodedPacket, message: [UInt8]) {
        var packet = DecodedPacket()
        frame.withUnsafeBytes { _ = PacketDecoder.decode($0, linkType: .ethernet, into: &packet) }
        let payload = Array(frame[packet.payloadOffset..<(packet.payloadOffset + packet.payloadLength)])
        return (packet, packet.ipProtocol == .tcp && payload.count > 2 ? Array(payload[2...]) : payload)
    }

    static func question(_ message: [UInt8]) -> String? {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: DNSQuestion.nameCapacity, alignment: 1)
        defer { buffer.deallocate() }
        guard case .success(let q) = message.withUnsafeBytes({ DNSQuestion.read($0, into: buffer) }) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: buffer, count: q.nameLength), as: UTF8.self)
    }

    static func checksumValid(_ frame: [UInt8]) -> Bool {
        var packet = DecodedPacket()
        return frame.withUnsafeBytes { raw in
            _ = PacketDecoder.decode(raw, linkType: .ethernet, into: &packet)
            let end = packet.networkOffset + packet.networkLength
            return Checksum.transportIsValid(UnsafeRawBufferPointer(rebasing: raw[packet.transportOffset..<end]),
                                             protocol: packet.ipProtocol, source: packet.source, destination: packet.destination)
        }
    }

    @Test func queriesAndAnswersGetTheProfilesVerdicts() throws {
        let run = try Self.run()
        var seen: Set<String> = []
        for p in run.packets {
            let (packet, message) = Self.dns(p.frame)
            guard message.count > 12, let name = Self.question(message) else { continue }
            let isAnswer = message[2] & 0x80 != 0
            let key = "\(name) \(isAnswer ? "answer" : "query") \(packet.ipProtocol.description.lowercased())"
            switch (name, isAnswer) {
            case ("web.example.test", _):
                #expect(p.verdict == .forward, "\(key)")
            case ("login-phish.test", false):
                // Blocked: a UDP query dropped, a TCP one reset both ways.
                #expect(p.verdict == (packet.ipProtocol == .udp ? .drop : .reset(toClient: true, toServer: true)), "\(key)")
            case ("xjwqkzpvbnrtqh.com", false):
                #expect(p.verdict == .drop, "\(key): the DGA model")
            case ("malware-c2.test", false):
                #expect(p.verdict == .forward, "\(key): a query to sinkhole goes on")
            case ("malware-c2.test", true):
                #expect(p.verdict == .rewrite, "\(key)")
                #expect(p.sent.count == p.frame.count)
                let after = Self.dns(p.sent).message
                let text = after.map { String($0) }.joined(separator: ",")
                let sinkhole4 = "198,18,0,1", sinkhole6 = "253,0,0,0,0,0,0,0,0,0,0,0,0,5,0,1"
                #expect(text.contains(sinkhole4) || text.contains(sinkhole6), "\(key): \(after)")
                #expect(!text.contains("203,0,113,7"), "\(key): the real address is gone")
                #expect(Self.checksumValid(p.sent), "\(key): the checksum after the rewrite")
            default:
                break
            }
            seen.insert(key)
        }
        for expected in ["web.example.test query udp", "login-phish.test query udp", "login-phish.test query tcp",
                         "malware-c2.test answer udp", "malware-c2.test answer tcp", "xjwqkzpvbnrtqh.com query udp"] {
            #expect(seen.contains(expected), "the capture has no \(expected)")
        }
        let s = run.statistics.dnsSecurity
        #expect(s.answersSinkholed == 3)  // A and AAAA over UDP, A over TCP
        #expect(s.count(verdict: 4, reason: .category) == 2)
        #expect(s.count(verdict: 4, reason: .dga) == 1)
        #expect(s.count(verdict: 3, reason: .category) == 3)
        #expect(s.count(verdict: 1, reason: .clean) >= 1)
    }

    @Test func theIodineTunnelIsBlockedAsTunnelling() throws {
        let run = try Self.run()
        var blocked = 0, passed = 0
        for p in run.packets {
            let message = Self.dns(p.frame).message
            guard message.count > 12, message[2] & 0x80 == 0, let name = Self.question(message),
                  name.hasSuffix("t.tunnel.test") else { continue }
            if p.verdict == .drop { blocked += 1 } else { passed += 1 }
        }
        #expect(blocked > 0, "no tunnel query blocked")
        // The handshake's first queries pass until the evidence is there (5 suspicious queries).
        #expect(passed >= 1 && passed <= 8, "\(passed) tunnel queries passed")
        #expect(run.statistics.dnsSecurity.count(verdict: 4, reason: .tunnelling) == UInt64(blocked))
        let tunnel = run.flows.filter { $0.dnsSecurity?.reason == "tunnelling" }
        #expect(tunnel.count == 1)
        #expect(tunnel.first?.dnsSecurity == DNSSecurityRecord(verdict: "block", category: "", reason: "tunnelling"))
    }

    @Test func recordsCarryTheDecision() throws {
        let run = try Self.run()
        func decision(_ name: String, _ ipProtocol: IPProtocol = .udp) -> [DNSSecurityRecord?] {
            run.flows.filter { $0.metadata?.dnsQueries.first == name && $0.ipProtocol == ipProtocol }.map(\.dnsSecurity)
        }
        #expect(decision("login-phish.test") == [DNSSecurityRecord(verdict: "block", category: "phishing", reason: "category")])
        #expect(decision("login-phish.test", .tcp) == [DNSSecurityRecord(verdict: "block", category: "phishing", reason: "category")])
        #expect(decision("malware-c2.test").allSatisfy { $0 == DNSSecurityRecord(verdict: "sinkhole", category: "malware", reason: "category") })
        #expect(decision("xjwqkzpvbnrtqh.com") == [DNSSecurityRecord(verdict: "block", category: "", reason: "dga")])
        #expect(decision("web.example.test") == [DNSSecurityRecord(verdict: "allow", category: "", reason: "clean")])
        // The dns event's shape.
        let flow = try #require(run.flows.first { $0.metadata?.dnsQueries.first == "login-phish.test" && $0.ipProtocol == .udp })
        var line = JSONLine()
        flow.writeApplicationEVE("dns", into: &line)
        let text = String(decoding: line.bytes, as: UTF8.self)
        #expect(text.contains(#""rampart":{"dns":{"verdict":"block","category":"phishing","reason":"category"}}"#), "\(text)")
    }

    @Test func withoutListsOrProfilesNothingChanges() throws {
        // No lists: categories never match, DGA and tunnelling still decide.
        let bare = try Self.run(lists: false)
        #expect(bare.statistics.dnsSecurity.answersSinkholed == 0)
        #expect(bare.statistics.dnsSecurity.count(verdict: 4, reason: .dga) == 1)
        // No profile on the rule: every packet forwarded (or held: iodine's large answers come in
        // IP fragments), nothing recorded.
        let none = try Self.run(policy: EngineRun.allowAll)
        let odd = none.packets.enumerated().filter { $0.element.verdict != .forward && $0.element.verdict != .hold }.map { "\($0.offset + 1): \($0.element.verdict)" }
        #expect(odd.isEmpty, "\(odd)")
        #expect(none.flows.allSatisfy { $0.dnsSecurity == nil })
    }

    @Test func theTunnelTableFillsAndSaysSo() throws {
        let run = try Self.run { $0.dnsSecurity.tunnelParents = 1 }
        // 16 slots (the least): the capture's few parents fit; the limit is not reached.
        #expect(run.statistics.limitCount(.dnsTunnelParents) == 0)
        var table = DNSTunnelTable(capacity: 1)
        #expect(table.capacity == 16)
        var refused = 0
        for i in 0..<64 where table.record(parent: UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15, name: 1, minute: 0,
                                           isTXTOrNULL: false, suspicious: false,
                                           setting: DNSTunnellingSetting(action: .block)) == .full { refused += 1 }
        #expect(refused == 48)
    }
}
