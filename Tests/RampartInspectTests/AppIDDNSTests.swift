import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport

/// DNS over real dnsmasq/dig traffic (scripts/appid/dns.sh, the older Tests/Captures/dns.pcap)
/// and hostile bytes.
@Suite("App-ID DNS")
struct AppIDDNSTests {
    static let dns = ApplicationCatalog.id(named: "dns")!

    static func probe(_ flow: CapturedFlow, complete: Bool = true) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = flow.withPrefix(complete: complete) { DNS.probe($0, into: &metadata) }
        return (result, metadata)
    }

    @Test("real queries over UDP and TCP on 53 and 5300: queries, types, rcodes, answers")
    func realTraffic() throws {
        let labels = try AppIDCaptures.labels("Tests/Captures/appid/dns.labels")
        var seen: [String: ApplicationMetadata] = [:]
        for flow in try CapturedFlows.load("Tests/Captures/appid/dns.pcap") {
            #expect(labels[AppIDCaptures.key(flow)] == "dns")
            let (result, metadata) = Self.probe(flow)
            #expect(result == .identified(Self.dns), "\(AppIDCaptures.key(flow))")
            #expect(metadata.dnsRcode != nil)
            let name = (metadata.dnsQueries.first ?? "?") + " " + (metadata.dnsQueryType ?? "?")
            seen[name + (flow.ipProtocol == .tcp ? " tcp" : "")] = metadata
            // Only the client side: still DNS, no response facts.
            var bare = flow
            bare.toClient = []; bare.datagramsToClient = []
            #expect(Self.probe(bare).0 == .identified(Self.dns))
            // Only the server side.
            var reply = flow
            reply.toServer = []; reply.datagramsToServer = []
            #expect(Self.probe(reply).0 == .identified(Self.dns))
        }
        #expect(seen.count == 10)   // 13 queries, some repeated over IPv6 or on 5300
        #expect(seen["web.rampart.test A"]?.dnsAnswers == ["A 10.88.0.80"])
        #expect(seen["web.rampart.test A tcp"]?.dnsAnswers == ["A 10.88.0.80"])
        #expect(seen["web.rampart.test AAAA"]?.dnsAnswers == ["AAAA fd00:88::80"])
        #expect(seen["rampart.test MX"]?.dnsAnswers == ["MX 10 mail.rampart.test"])
        #expect(seen["rampart.test TXT tcp"]?.dnsAnswers == ["TXT v=spf1 -all"])
        #expect(seen["www.rampart.test A"]?.dnsAnswers == ["CNAME web.rampart.test", "A 10.88.0.80"])
        #expect(seen["missing.rampart.test A"]?.dnsRcode == "NXDOMAIN")
        #expect(seen["missing.rampart.test A"]?.dnsAnswers == [])
        #expect(seen["nothing.rampart.test AAAA tcp"]?.dnsRcode == "NXDOMAIN")
        #expect(seen["api.openai.com A"]?.dnsRcode == "NOERROR")
    }

    @Test("the older dns.pcap")
    func olderCapture() throws {
        for flow in try CapturedFlows.load("Tests/Captures/dns.pcap") where flow.serverPort == 53 {
            #expect(Self.probe(flow).0 == .identified(Self.dns))
        }
    }

    @Test("other protocols' captures are not DNS")
    func otherProtocols() throws {
        for path in AppIDCaptures.allCaptures() where !path.hasSuffix("dns.pcap") && !path.hasSuffix("dns-security.pcap") {
            let labels = (try? AppIDCaptures.labels(path.replacingOccurrences(of: ".pcap", with: ".labels"))) ?? [:]
            for flow in try CapturedFlows.load(path) {
                if labels[AppIDCaptures.key(flow)] == "dns" { continue }
                if path.hasSuffix("sample.pcapng") || path.hasSuffix("ipv6.pcap"), flow.serverPort == 53 { continue }
                #expect(Self.probe(flow).0 == .notThis, "\(path) \(AppIDCaptures.key(flow))")
                #expect(Self.probe(flow, complete: false).0 != .identified(Self.dns), "\(path) \(AppIDCaptures.key(flow))")
            }
        }
    }

    /// A query for `name` (type A, class IN) with an optional tail appended to the question.
    static func query(_ labels: [String], id: UInt16 = 0x1234, flags: UInt16 = 0x0100, rawName: [UInt8]? = nil) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, 0, 0, 0, 0, 0]
        if let rawName { bytes += rawName } else {
            for label in labels { bytes.append(UInt8(label.utf8.count)); bytes += Array(label.utf8) }
            bytes.append(0)
        }
        return bytes + [0, 1, 0, 1]
    }

    @Test("compression loops, lying counts and lengths, truncations")
    func hostile() {
        let good = Self.query(["web", "rampart", "test"])
        #expect(AppIDCaptures.probe(good, proto: .udp, port: 53, DNS.probe).0 == .identified(Self.dns))
        // The same on another port, and over TCP with the length prefix.
        #expect(AppIDCaptures.probe(good, proto: .udp, port: 9999, DNS.probe).0 == .identified(Self.dns))
        let tcp = [UInt8(good.count >> 8), UInt8(good.count & 0xFF)] + good
        #expect(AppIDCaptures.probe(tcp, port: 53, DNS.probe).0 == .identified(Self.dns))
        for cut in 0..<tcp.count {
            #expect(AppIDCaptures.probe(Array(tcp[..<cut]), port: 53, DNS.probe).0 == .needMore, "cut \(cut)")
            #expect(AppIDCaptures.probe(Array(tcp[..<cut]), port: 53, complete: true, DNS.probe).0 == .notThis, "cut \(cut)")
        }
        for cut in 0..<good.count {
            #expect(AppIDCaptures.probe(Array(good[..<cut]), proto: .udp, port: 53, DNS.probe).0 != .identified(Self.dns))
        }
        // Trailing garbage, a pointer to itself, a forward pointer, a 64-byte label, a response as query.
        #expect(AppIDCaptures.probe(good + [0], proto: .udp, DNS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Self.query([], rawName: [0xC0, 12]), proto: .udp, DNS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Self.query([], rawName: [0xC0, 40]), proto: .udp, DNS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Self.query([String(repeating: "a", count: 64)]), proto: .udp, DNS.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Self.query(["x"], flags: 0x8180), proto: .udp, DNS.probe).0 == .notThis)
        // A name over 255 bytes.
        #expect(AppIDCaptures.probe(Self.query(Array(repeating: String(repeating: "b", count: 60), count: 5)), proto: .udp, DNS.probe).0 == .notThis)
        // QDCOUNT 0 and 1000 in a query.
        var noQuestion = good; noQuestion[5] = 0
        #expect(AppIDCaptures.probe(noQuestion, proto: .udp, DNS.probe).0 == .notThis)
        var many = good; many[4] = 0x03; many[5] = 0xE8
        #expect(AppIDCaptures.probe(many, proto: .udp, DNS.probe).0 == .notThis)
        // A response whose answer points back into a loop of pointers: bounded, no trap.
        var loop: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]
        loop += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 31]
        _ = AppIDCaptures.probe([], reply: loop, proto: .udp, DNS.probe)
        // Other protocols.
        for text in ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "*1\r\n$4\r\nPING\r\n"] {
            #expect(AppIDCaptures.probe(Array(text.utf8), proto: .udp, DNS.probe).0 == .notThis)
            #expect(AppIDCaptures.probe(Array(text.utf8), DNS.probe).0 == .notThis)
        }
    }

    @Test("random bytes and mutated messages never trap")
    func randomBytes() throws {
        var random = SeededRandom(seed: 0xD45)
        let flows = try CapturedFlows.load("Tests/Captures/appid/dns.pcap")
        for i in 0..<4000 {
            let flow = flows[i % flows.count]
            var request = flow.ipProtocol == .udp ? flow.datagramsToServer[0] : flow.toServer
            var reply = flow.ipProtocol == .udp ? (flow.datagramsToClient.first ?? []) : flow.toClient
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                if !request.isEmpty { request[Int.random(in: 0..<request.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
                if !reply.isEmpty { reply[Int.random(in: 0..<reply.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            }
            let (_, metadata) = AppIDCaptures.probe(request, reply: reply, proto: flow.ipProtocol, port: 53, DNS.probe)
            #expect(metadata.dnsAnswers.count <= DNS.maximumAnswers)
            let noise = (0..<Int.random(in: 0..<300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = AppIDCaptures.probe(noise, reply: noise, proto: i % 2 == 0 ? .udp : .tcp, DNS.probe)
        }
    }
}
