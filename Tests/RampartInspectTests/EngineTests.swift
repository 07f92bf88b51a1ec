import Foundation
import RampartInspect
import RampartPolicy
import RampartWire
import Testing
import RampartTestSupport

/// The whole pipeline over captures of real programs (Tests/Captures, made by
/// scripts/make-captures.sh): what `rampart inspect` and the firewall both run.
@Suite("Engine over real captures")
struct EngineTests {
    static let client4 = IPAddress("10.77.0.1")!
    static let server4 = IPAddress("10.77.0.2")!

    @Test("each curl connection is one session, both directions, closed by FIN")
    func httpSessions() throws {
        let run = try EngineRun("Tests/Captures/http.pcap")
        let web = run.flows.filter { $0.ipProtocol == .tcp }
        #expect(web.count == 5)
        for flow in web {
            #expect(flow.clientAddress == Self.client4)
            #expect(flow.serverAddress == Self.server4)
            #expect(flow.serverPort == 80 || flow.serverPort == 8080)
            #expect(flow.packetsToServer > 0 && flow.packetsToClient > 0)
            #expect(flow.bytesToClient > 0)
            #expect(flow.state == "closed")
            #expect(flow.endReason == "tcp-fin")
            #expect(flow.tcpFlagsToServer.contains([.syn, .ack, .fin]))
            #expect(flow.tcpFlagsToClient.contains([.syn, .ack]))
            #expect(flow.application == "unknown-tcp" || flow.application == "http")
            // No zones: client and server are in none, so interzone-default (allow here) decides.
            #expect(flow.rule == "interzone-default")
        }
        // Every packet belongs to exactly one session.
        let counted = run.flows.reduce(UInt64(0)) { $0 + $1.packetsToServer + $1.packetsToClient }
        #expect(counted == run.statistics.packets - run.statistics.nonIPPackets)
        #expect(run.statistics.sessionsCreated == UInt64(run.flows.count))
        #expect(run.anomalies.isEmpty)
    }

    @Test("a connection refused by RST is incomplete and ends with tcp-rst")
    func refusedConnections() throws {
        let run = try EngineRun("Tests/Captures/rst.pcap")
        let refused = run.flows(.tcp, port: 81)
        #expect(refused.count == 2)
        for flow in refused {
            #expect(flow.application == "incomplete")
            #expect(flow.endReason == "tcp-rst")
            #expect(flow.tcpFlagsToClient.contains(.rst))
        }
        #expect(Set(refused.map { $0.clientAddress.isIPv4 }) == [true, false])
    }

    @Test("IP fragments are reassembled before the session sees them")
    func fragments() throws {
        let run = try EngineRun("Tests/Captures/fragments.pcap")
        #expect(run.statistics.datagramsReassembled >= 8)
        let udp = run.flows(.udp, port: 9999)
        #expect(udp.count == 1)
        #expect(udp.first?.packetsToServer == 1)
        #expect(udp.first?.packetsToClient == 1)
        #expect((udp.first?.bytesToServer ?? 0) > 4096)
        let pings = run.flows.filter { $0.application == "ping" }
        #expect(pings.count == 2)
        #expect(pings.allSatisfy { $0.packetsToServer == 2 && $0.packetsToClient == 2 })
        #expect(run.anomalies.isEmpty)
    }

    @Test("UDP and ICMP sessions pair requests with replies")
    func udpAndICMP() throws {
        let dns = try EngineRun("Tests/Captures/dns.pcap")
        let queries = dns.flows(.udp, port: 53)
        #expect(queries.count == 5)
        #expect(queries.allSatisfy { $0.packetsToServer == 1 && $0.packetsToClient == 1 })
        #expect(dns.flows(.tcp, port: 53).count == 1)

        let icmp = try EngineRun("Tests/Captures/icmp.pcap")
        #expect(icmp.flows.count == 2)
        #expect(icmp.flows.allSatisfy { $0.application == "ping" && $0.packetsToServer == 3 && $0.packetsToClient == 3 })
    }

    @Test("pcapng and Linux cooked captures give the same sessions as pcap and Ethernet")
    func captureFormats() throws {
        let pcap = try EngineRun("Samples/sample.pcap")
        let pcapng = try EngineRun("Tests/Captures/sample.pcapng")
        #expect(pcap.flows == pcapng.flows)
        #expect(pcap.flows.count >= 30)

        let cooked = try EngineRun("Tests/Captures/sll2.pcap")
        #expect(cooked.flows.contains { $0.ipProtocol == .tcp && $0.serverPort == 8080 && $0.state == "closed" })
        #expect(cooked.flows.contains { $0.application == "ping" })
    }

    @Test("the engine is deterministic: the same capture gives the same records")
    func deterministic() throws {
        let first = try EngineRun("Samples/sample.pcap")
        let second = try EngineRun("Samples/sample.pcap")
        #expect(first.flows == second.flows)
        #expect(first.verdicts == second.verdicts)
        #expect(Set(first.flows.map(\.flowID)).count == first.flows.count)
    }

    @Test("frames cut by the capture's snap length are not anomalies")
    func snappedFrames() throws {
        let run = try EngineRun("Tests/Captures/iperf.pcap")
        #expect(run.anomalies.isEmpty)
        #expect(run.flows(.tcp, port: 5201).count == 2)
    }

    @Test("every flow record is valid EVE JSON with the fields readers expect")
    func eveJSON() throws {
        let run = try EngineRun("Samples/sample.pcap")
        var line = JSONLine()
        for flow in run.flows {
            line.reset()
            flow.writeEVE(into: &line)
            #expect(line.bytes.last == 0x0A)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.bytes)) as? [String: Any])
            #expect(object["event_type"] as? String == "flow")
            #expect(object["src_ip"] as? String == flow.clientAddress.description)
            let counters = try #require(object["flow"] as? [String: Any])
            #expect(counters["pkts_toserver"] as? Int == Int(flow.packetsToServer))
            #expect((object["timestamp"] as? String)?.hasSuffix("+0000") == true)
        }
    }
}

@Suite("Engine decisions by policy")
struct EnginePolicyTests {
    static func policy(_ rules: String, interzone: String = "allow") -> String {
        """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: test}
        spec:
          zones:
            - name: client
              networks: [10.77.0.1/32, fd00:77::1/128]
            - name: server
              networks: [10.77.0.2/32, fd00:77::2/128]
          services:
            - {name: web, protocol: tcp, ports: [80, 8080]}
            - {name: port-81, protocol: tcp, ports: [81]}
          rules:
        \(rules)
          defaults:
            intrazone: {action: allow}
            interzone: {action: \(interzone)}
        """
    }

    @Test("a deny rule drops every packet of the sessions it matches, and names itself")
    func denyByService() throws {
        let policy = Self.policy("""
                - {name: no-web, from: [client], to: [server], services: [web], action: deny}
            """)
        let run = try EngineRun("Tests/Captures/http.pcap", policy: policy)
        let web = run.flows.filter { $0.ipProtocol == .tcp }
        #expect(web.count == 5)
        #expect(web.allSatisfy { $0.rule == "no-web" && $0.action == "deny" })
        #expect(run.statistics.packetsDropped == web.reduce(0) { $0 + $1.packetsToServer + $1.packetsToClient })
        let index = try #require(run.matcher.ruleIndex(named: "no-web"))
        #expect(run.statistics.ruleHits[index] == 5)
    }

    @Test("reset actions answer TCP with resets toward the chosen side")
    func resets() throws {
        let policy = Self.policy("""
                - {name: reject, from: [client], to: [server], services: [web], action: reset-client}
            """)
        let run = try EngineRun("Tests/Captures/http.pcap", policy: policy)
        #expect(run.verdicts.contains(.reset(toClient: true, toServer: false)))
        #expect(!run.verdicts.contains(.forward) || run.statistics.nonIPPackets > 0)
        #expect(run.flows.filter { $0.ipProtocol == .tcp }.allSatisfy { $0.action == "reset-client" })
    }

    @Test("interzone traffic falls to the interzone default, which can be overridden")
    func defaults() throws {
        let denied = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy("    []", interzone: "deny"))
        #expect(denied.flows.filter { $0.ipProtocol == .tcp }.allSatisfy { $0.rule == "interzone-default" && $0.action == "deny" })
        #expect(denied.flows.allSatisfy { $0.sourceZone == "client" || $0.sourceZone != "server" })
        let allowed = try EngineRun("Tests/Captures/http.pcap", policy: Self.policy("    []", interzone: "allow"))
        #expect(allowed.flows.filter { $0.ipProtocol == .tcp }.allSatisfy { $0.action == "allow" })
        #expect(allowed.statistics.packetsDropped == 0)
    }

    @Test("an application rule lets the session proceed until the application is known, then the final rule applies")
    func provisionalThenFinal() throws {
        // The web traffic is not SSH: the ssh rule matches only provisionally, and once
        // data shows what the session is, the next rule decides; the log names both.
        let policy = Self.policy("""
                - {name: ssh-only, from: [client], to: [server], applications: [ssh], action: allow}
                - {name: block-rest, from: [client], to: [server], action: deny}
            """)
        let run = try EngineRun("Tests/Captures/http.pcap", policy: policy)
        let web = run.flows.filter { $0.ipProtocol == .tcp }
        #expect(!web.isEmpty)
        for flow in web {
            #expect(flow.rule == "block-rest")
            #expect(flow.provisionalRule == "ssh-only")
            #expect(flow.action == "deny")
            // The handshake passed before any data could name the application.
            #expect(flow.packetsToServer >= 3)
        }
        #expect(run.verdicts.prefix(3).allSatisfy { $0 == .forward })
        #expect(run.verdicts.contains(.drop))
    }

    @Test("tags from the tag file appear on both sides of the flow record, and groups match them")
    func tagsAndGroups() throws {
        let tags = """
            apiVersion: rampart.io/v1
            kind: AddressTags
            metadata: {name: t}
            spec:
              addresses:
                - {address: 10.77.0.1, tags: ["cluster:lab", "ns:shop", "label:app=client"]}
                - {address: 10.77.0.2, tags: ["cluster:lab", "ns:shop", "label:app=web"]}
            """
        let policy = """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: tags}
            spec:
              addressGroups:
                - {name: web-pods, match: "cluster:lab and ns:shop and label:app=web"}
              rules:
                - {name: to-web-pods, destination: [web-pods], action: allow}
                - {name: nothing-else, action: deny}
            """
        let run = try EngineRun("Tests/Captures/http.pcap", policy: policy, tags: tags)
        let web = run.flows.filter { $0.ipProtocol == .tcp }
        #expect(web.allSatisfy { $0.rule == "to-web-pods" && $0.action == "allow" })
        #expect(web.allSatisfy { $0.destinationTags.contains("label:app=web") && $0.sourceTags.contains("label:app=client") })
    }

    @Test("session-start logging writes a start record when the session is decided")
    func startLogging() throws {
        let policy = Self.policy("""
                - {name: logged, services: [web], action: allow, log: {start: true, end: true}}
            """)
        let run = try EngineRun("Tests/Captures/http.pcap", policy: policy)
        #expect(run.starts.count == 5)
        #expect(Set(run.starts.map(\.flowID)) == Set(run.flows.filter { $0.rule == "logged" }.map(\.flowID)))
    }
}

@Suite("Engine policy swap")
struct EnginePolicySwapTests {
    static let allowWeb = EnginePolicyTests.policy("""
            - {name: web, from: [client], to: [server], services: [web], action: allow}
        """, interzone: "deny")
    static let denyWeb = EnginePolicyTests.policy("""
            - {name: web, from: [client], to: [server], services: [web], action: deny}
        """, interzone: "deny")
    static let renamed = EnginePolicyTests.policy("""
            - {name: web-blocked, from: [client], to: [server], services: [web], action: deny}
        """, interzone: "deny")

    /// Runs the first half of http.pcap under `first`, swaps in `second`, runs the rest.
    static func run(first: String, second: String, rematch: Bool) throws -> (EngineRun.Collector, [Verdict]) {
        let bytes = try EngineRun.bytes(of: "Tests/Captures/http.pcap")
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        var records: [CaptureRecord] = []
        while try reader.next(into: &record) { records.append(record) }
        var engine = Engine(policy: try PolicyMatcher(try PolicyLoader.load(yaml: first, file: "a.yaml"), tags: []))
        var sink = EngineRun.Collector()
        var verdicts: [Verdict] = []
        // The first packets of the first connection (handshake and request), then the swap.
        bytes.withUnsafeBytes { file in
            for (i, r) in records.enumerated() {
                if i == 4 {
                    let next = try! PolicyMatcher(try! PolicyLoader.load(yaml: second, file: "b.yaml"), tags: [])
                    engine.replacePolicy(next, rematch: rematch, sink: &sink)
                }
                verdicts.append(engine.process(
                    frame: UnsafeRawBufferPointer(rebasing: file[r.frameRange]), linkType: r.linkType,
                    timestamp: r.timestamp, packetNumber: UInt64(i + 1), sink: &sink))
            }
        }
        engine.finish(sink: &sink)
        return (sink, verdicts)
    }

    @Test("after a swap, a session keeps its verdict and its rule, found by name; new sessions follow the new policy")
    func keepVerdict() throws {
        let (sink, _) = try Self.run(first: Self.allowWeb, second: Self.denyWeb, rematch: false)
        let web = sink.flows.filter { $0.ipProtocol == .tcp }.sorted { $0.start < $1.start }
        #expect(web.count == 5)
        #expect(web.first?.action == "allow")
        #expect(web.first?.rule == "web")
        #expect(web.dropFirst().allSatisfy { $0.action == "deny" && $0.rule == "web" })
    }

    @Test("with rematch, or when its rule is gone, a session is decided again by the new policy")
    func rematch() throws {
        let (asked, _) = try Self.run(first: Self.allowWeb, second: Self.denyWeb, rematch: true)
        #expect(asked.flows.filter { $0.ipProtocol == .tcp }.allSatisfy { $0.action == "deny" })
        // The first connection's rule is gone: it is logged under that rule (policy-change),
        // and its next packets start a session the new policy denies.
        let (gone, verdicts) = try Self.run(first: Self.allowWeb, second: Self.renamed, rematch: false)
        let web = gone.flows.filter { $0.ipProtocol == .tcp }
        #expect(web.contains { $0.rule == "web" && $0.action == "allow" && $0.endReason == "policy-change" })
        #expect(web.filter { $0.rule == "web-blocked" }.count >= 5)
        #expect(web.allSatisfy { $0.rule == "web" || $0.action == "deny" })
        #expect(Array(verdicts.prefix(4)) == [.forward, .forward, .forward, .forward])
        #expect(verdicts[4] == .drop)
    }
}

@Suite("Engine limits and hostile input")
struct EngineLimitTests {
    @Test("a full session table evicts, counts, and still logs every session")
    func eviction() throws {
        let run = try EngineRun("Samples/sample.pcap") { $0.sessions = SessionTableConfiguration(capacity: 4) }
        #expect(run.statistics.sessionsEvicted > 0)
        #expect(run.statistics.anomalies[.sessionTableFull] == run.statistics.sessionsEvicted)
        #expect(UInt64(run.flows.count) == run.statistics.sessionsCreated)
        #expect(run.flows.contains { $0.reason == "forced" && $0.endReason == "evicted" })
    }

    @Test("malformed frames are dropped, named and counted; the engine goes on")
    func malformed() throws {
        // Hand-made bytes are for exactly this: frames no real program sends.
        var writer = PcapWriter(linkType: .ethernet)
        let good = try EngineRun.bytes(of: "Tests/Captures/http.pcap")
        var reader = try CaptureReader(bytes: good)
        var record = CaptureRecord()
        var frames: [[UInt8]] = []
        while try reader.next(into: &record) { frames.append(Array(good[record.frameRange])) }
        let first = frames[0]
        var bad: [[UInt8]] = []
        bad.append(Array(first.prefix(10)))                       // shorter than Ethernet
        var wrongVersion = first; wrongVersion[14] = 0x55         // IPv4 ethertype, version 5
        bad.append(wrongVersion)
        var shortHeader = first; shortHeader[14] = 0x43           // IHL 3 (12 bytes)
        bad.append(shortHeader)
        var badOffset = first; badOffset[14 + 20 + 12] = 0x20     // TCP data offset 2
        bad.append(badOffset)
        for (i, frame) in (bad + frames).enumerated() {
            writer.append(frame, timestamp: Timestamp(seconds: 1_700_000_000 + Int64(i), nanoseconds: 0))
        }
        let run = try EngineRun(bytes: writer.bytes)
        #expect(run.statistics.malformedPackets == 4)
        #expect(Array(run.verdicts.prefix(4)) == [.drop, .drop, .drop, .drop])
        let names = Set(run.anomalies.map(\.event.name))
        #expect(names.contains("ethernet.pkt_too_small"))
        #expect(names.contains("ipv4.wrong_ip_version"))
        #expect(names.contains("ipv4.hlen_invalid"))
        #expect(names.contains("tcp.hlen_invalid"))
        #expect(run.flows.filter { $0.ipProtocol == .tcp }.count == 5)
    }

    @Test("random garbage frames never trap the engine")
    func garbage() throws {
        var generator = SeededRandom(seed: 42)
        var writer = PcapWriter(linkType: .ethernet)
        for i in 0..<5000 {
            let length = Int(generator.next() % 200)
            var frame = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Half of them look like IPv4 or IPv6 so the deeper decoders get exercised.
            if frame.count > 14 && i % 2 == 0 {
                frame[12] = i % 4 == 0 ? 0x08 : 0x86
                frame[13] = i % 4 == 0 ? 0x00 : 0xDD
                frame[14] = i % 4 == 0 ? 0x45 : 0x60
            }
            writer.append(frame, timestamp: Timestamp(seconds: 1_700_000_000, nanoseconds: Int64(i)))
        }
        let run = try EngineRun(bytes: writer.bytes) { $0.sessions = SessionTableConfiguration(capacity: 64) }
        #expect(run.statistics.packets == 5000)
        // Every packet has a verdict; fragments' is `.hold` (then forward or drop with their datagram).
        let s = run.statistics
        #expect(s.packetsForwarded + s.packetsDropped + s.packetsReset + s.fragmentsHeld == 5000)
    }
}

