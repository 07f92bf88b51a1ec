import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport

/// memcached text and binary protocols over TCP and UDP (scripts/appid/udp.sh).
@Suite("App-ID memcached")
struct AppIDMemcachedTests {
    static let memcached = ApplicationCatalog.id(named: "memcached")!

    static func probe(_ flow: CapturedFlow, complete: Bool = true) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = flow.withPrefix(complete: complete) { Memcached.probe($0, into: &metadata) }
        return (result, metadata)
    }

    @Test("real sessions on 11211 and 21211, TCP and UDP, text and binary")
    func realTraffic() throws {
        let labels = try AppIDCaptures.labels("Tests/Captures/appid/udp.labels")
        var commands: [String] = []
        for flow in try CapturedFlows.load("Tests/Captures/appid/udp.pcap") where labels[AppIDCaptures.key(flow)] == "memcached" {
            let (result, metadata) = Self.probe(flow)
            #expect(result == .identified(Self.memcached), "\(AppIDCaptures.key(flow))")
            commands.append(metadata.detail["memcached.command"] ?? "?")
        }
        #expect(commands.sorted() == ["binary:get", "incr", "set", "set", "set", "stats", "version"])
    }

    @Test("other protocols' captures are not memcached")
    func otherProtocols() throws {
        for path in AppIDCaptures.allCaptures() {
            let labels = (try? AppIDCaptures.labels(path.replacingOccurrences(of: ".pcap", with: ".labels"))) ?? [:]
            for flow in try CapturedFlows.load(path) where labels[AppIDCaptures.key(flow)] != "memcached" {
                #expect(Self.probe(flow).0 == .notThis, "\(path) \(AppIDCaptures.key(flow))")
                #expect(Self.probe(flow, complete: false).0 != .identified(Self.memcached), "\(path) \(AppIDCaptures.key(flow))")
            }
        }
    }

    @Test("Redis inline commands and RESP replies are not memcached")
    func redisLookalikes() {
        let get = Array("get greeting\r\n".utf8)
        #expect(AppIDCaptures.probe(get, reply: Array("$-1\r\n".utf8), port: 6379, Memcached.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(get, reply: Array("END\r\n".utf8), port: 6379, Memcached.probe).0 == .identified(Self.memcached))
        #expect(AppIDCaptures.probe(get, port: 6379, Memcached.probe).0 == .needMore)
        #expect(AppIDCaptures.probe(get, port: 6379, complete: true, Memcached.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Array("SET k v\r\n".utf8), Memcached.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Array("set k v\r\n".utf8), Memcached.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Array("*1\r\n$4\r\nPING\r\n".utf8), Memcached.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Array("GET / HTTP/1.1\r\n".utf8), Memcached.probe).0 == .notThis)
    }

    @Test("truncations, lying sizes, bad UDP frames, random bytes")
    func hostile() {
        let set = Array("set k 0 0 5\r\nhello\r\n".utf8)
        #expect(AppIDCaptures.probe(set, Memcached.probe).0 == .identified(Self.memcached))
        for cut in 0..<set.count {
            #expect(AppIDCaptures.probe(Array(set[..<cut]), Memcached.probe).0 == .needMore, "cut \(cut)")
            #expect(AppIDCaptures.probe(Array(set[..<cut]), complete: true, Memcached.probe).0 == .notThis, "cut \(cut)")
        }
        #expect(AppIDCaptures.probe(Array("set k 0 0 6\r\nhello\r\nxx".utf8), Memcached.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(Array("set k 0 0 99999999999\r\n".utf8), Memcached.probe).0 == .notThis)
        let udp: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0] + Array("stats\r\n".utf8)
        #expect(AppIDCaptures.probe(udp, proto: .udp, Memcached.probe).0 == .identified(Self.memcached))
        var badFrame = udp; badFrame[5] = 2
        #expect(AppIDCaptures.probe(badFrame, proto: .udp, Memcached.probe).0 == .notThis)
        // Binary: GET "k" complete; lying body length; SSLv2-like bytes.
        let binaryGet: [UInt8] = [0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1] + Array(repeating: 0, count: 12) + [0x6B]
        #expect(AppIDCaptures.probe(binaryGet, Memcached.probe).0 == .identified(Self.memcached))
        var lying = binaryGet; lying[11] = 0x40
        #expect(AppIDCaptures.probe(lying, complete: true, Memcached.probe).0 == .notThis)
        let v2: [UInt8] = [0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10] + Array(repeating: 0x01, count: 37)
        #expect(AppIDCaptures.probe(v2, Memcached.probe).0 == .notThis)
        var random = SeededRandom(seed: 0x11211)
        for i in 0..<3000 {
            var bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if i % 3 == 0 { bytes = Array("set k 1 2 3\r\n".utf8) + bytes }
            if i % 3 == 1, !bytes.isEmpty { bytes[0] = 0x80 }
            _ = AppIDCaptures.probe(bytes, reply: bytes, proto: i % 2 == 0 ? .tcp : .udp, complete: Bool.random(using: &random), Memcached.probe)
        }
    }
}
