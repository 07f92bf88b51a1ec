import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport

/// NTP over real ntpdig traffic and a Python mode-4 server (scripts/appid/udp.sh).
@Suite("App-ID NTP")
struct AppIDNTPTests {
    static let ntp = ApplicationCatalog.id(named: "ntp")!

    static func probe(_ flow: CapturedFlow, complete: Bool = true) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = flow.withPrefix(complete: complete) { NTP.probe($0, into: &metadata) }
        return (result, metadata)
    }

    @Test("real client/server exchanges on 123 and 1123")
    func realTraffic() throws {
        let labels = try AppIDCaptures.labels("Tests/Captures/appid/udp.labels")
        var count = 0
        for flow in try CapturedFlows.load("Tests/Captures/appid/udp.pcap") where labels[AppIDCaptures.key(flow)] == "ntp" {
            let (result, metadata) = Self.probe(flow)
            #expect(result == .identified(Self.ntp))
            #expect(metadata.detail["ntp.version"] == "4")
            #expect(metadata.detail["ntp.stratum"] == "2")
            // Request alone while the reply may still come: wait; the reply alone: NTP.
            var request = flow
            request.datagramsToClient = []
            #expect(Self.probe(request, complete: false).0 == .needMore)
            var reply = flow
            reply.datagramsToServer = []
            #expect(Self.probe(reply).0 == .identified(Self.ntp))
            count += 1
        }
        #expect(count == 3)
    }

    @Test("other protocols' captures are not NTP")
    func otherProtocols() throws {
        for path in AppIDCaptures.allCaptures() {
            let labels = (try? AppIDCaptures.labels(path.replacingOccurrences(of: ".pcap", with: ".labels"))) ?? [:]
            for flow in try CapturedFlows.load(path) where labels[AppIDCaptures.key(flow)] != "ntp" {
                #expect(Self.probe(flow).0 == .notThis, "\(path) \(AppIDCaptures.key(flow))")
            }
        }
    }

    @Test("a DNS query shaped like an NTP request is not NTP without a matching reply")
    func dnsLookalike() {
        // ID 0x23 0x00 (VN 4, mode 3), flags 0x0100, 48 bytes: fits the NTP header's ranges.
        var query: [UInt8] = [0x23, 0x00, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]
        query += [3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
        query += Array(repeating: 0, count: 48 - query.count)
        let reply = Array(repeating: UInt8(0x24), count: 48)
        #expect(AppIDCaptures.probe(query, reply: reply, proto: .udp, port: 123, NTP.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(query, proto: .udp, port: 123, complete: true, NTP.probe).0 == .notThis)
    }

    @Test("bad sizes, versions, modes; random bytes never trap")
    func hostile() {
        var request = [UInt8](repeating: 0, count: 48)
        request[0] = 0x23
        request[40] = 0xEC; request[41] = 0x00; request[42] = 0x11; request[43] = 0x22   // 2025 or so
        #expect(AppIDCaptures.probe(request, proto: .udp, port: 1123, complete: true, NTP.probe).0 == .identified(Self.ntp))
        #expect(AppIDCaptures.probe(request, proto: .tcp, port: 123, complete: true, NTP.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Array(request.prefix(47)), proto: .udp, complete: true, NTP.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(request + [0], proto: .udp, complete: true, NTP.probe).0 == .notThis)
        var v2 = request; v2[0] = 0x13
        #expect(AppIDCaptures.probe(v2, proto: .udp, complete: true, NTP.probe).0 == .notThis)
        var control = request; control[0] = 0x26   // mode 6 (ntpq control)
        #expect(AppIDCaptures.probe(control, proto: .udp, complete: true, NTP.probe).0 == .notThis)
        var random = SeededRandom(seed: 0x123)
        for _ in 0..<3000 {
            let n = [0, 47, 48, 52, 68, 72, 100].randomElement(using: &random)!
            var a = (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
            if n >= 48, Bool.random(using: &random) { a[0] = 0x23; a[1] = 0; a[2] = 6; a[3] = 0xEC }
            _ = AppIDCaptures.probe(a, reply: a.reversed(), proto: .udp, complete: Bool.random(using: &random), NTP.probe)
        }
    }
}
