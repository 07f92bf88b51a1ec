import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// The worker's name prefetch pass (`Engine.prefetchNames`): its pre-parse finds the query
/// name the DNS stage will look up, rejects cut or odd frames without trapping, and a run
/// with it over a mixed batch gives exactly the verdicts and statistics of a run without.
@Suite("Name prefetch before a batch")
struct NamePrefetchTests {
    /// An IPv4/UDP DNS query (raw IP) for `name`, as `rampart bench dns` builds them.
    static func query(_ name: String, id: UInt16, port: UInt16 = 53, response: Bool = false) -> [UInt8] {
        var dns: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), response ? 0x81 : 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") { dns += [UInt8(label.utf8.count)] + Array(label.utf8) }
        dns += [0, 0, 1, 0, 1]
        let total = 28 + dns.count
        var p: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        p += [0x9C, 0x40, UInt8(port >> 8), UInt8(port & 0xFF), UInt8((8 + dns.count) >> 8), UInt8((8 + dns.count) & 0xFF), 0, 0]
        return p + dns
    }

    static func name(of frame: [UInt8], ethernet: Bool = false) -> String? {
        var out = [UInt8](repeating: 0, count: Engine.prefetchNameCapacity)
        let n = frame.withUnsafeBytes { f in out.withUnsafeMutableBufferPointer { Engine.queryName(in: f, ethernet: ethernet, into: $0) } }
        return n == 0 ? nil : String(decoding: out[0..<n], as: UTF8.self)
    }

    @Test func findsTheQuestionNameInRawIPAndEthernet() {
        #expect(Self.name(of: Self.query("www.Example.COM", id: 1)) == "www.example.com")
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00] + Self.query("a.b.test", id: 2)
        #expect(Self.name(of: ethernet, ethernet: true) == "a.b.test")
        let tagged: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0x00, 0, 5, 0x08, 0x00] + Self.query("c.test", id: 3)
        #expect(Self.name(of: tagged, ethernet: true) == "c.test")
    }

    @Test func skipsWhatTheDNSStageWouldNotLookUpAndEveryCutFrame() {
        #expect(Self.name(of: Self.query("www.example.com", id: 1, port: 5353)) == nil)
        #expect(Self.name(of: Self.query("www.example.com", id: 1, response: true)) == nil)
        var pointer = Self.query("x.test", id: 1)
        pointer[40] = 0xC0  // a compression pointer where the first label's length is
        #expect(Self.name(of: pointer) == nil)
        let whole = Self.query("www.example.com", id: 1)
        for cut in 0..<whole.count { #expect(Self.name(of: Array(whole[0..<cut])) == nil, "cut at \(cut)") }
        let long = (0..<5).map { _ in String(repeating: "a", count: 63) }.joined(separator: ".")
        #expect(Self.name(of: Self.query(long, id: 1)) == nil)
    }

    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: dns}
        spec:
          dnsSecurityProfiles:
            - name: dns
              categories: {malware: sinkhole, phishing: block, gambling: alert}
              sinkhole: {ipv4: 198.18.0.1}
              tunnelling: {action: alert}
          rules:
            - {name: dns, services: [udp/53], action: allow, profiles: [dns]}
          defaults: {intrazone: {action: allow}, interzone: {action: allow}}
        """

    /// A store past `prefetchedTableBytes`, so the pass really runs: a few categorised names
    /// among many padding ones.
    static func store() throws -> IndicatorStore {
        var builder = IndicatorStoreBuilder(seed: 5)
        let source = try builder.source("test")
        for (name, category) in [("malware-c2.test", "malware"), ("login-phish.test", "phishing"), ("casino.test", "gambling")] {
            try builder.addDomain(name, attributes: try builder.attributes(categories: [try builder.category(category)], sources: [source]))
        }
        let padding = try builder.attributes(categories: [try builder.category("unknown")], sources: [source])
        for i in 0..<120_000 { try builder.addDomain("pad\(i).example.org", attributes: padding) }
        return builder.build()
    }

    @Test func aBatchWithThePrefetchGivesTheSameVerdictsAsOneAtATime() throws {
        let store = try Self.store()
        #expect(store.prefetchesDomains, "the store must be large enough for the pass to run")
        // Hits, misses, parent-domain hits, upper case, a trailing dot, other ports.
        let names = ["malware-c2.test", "www.malware-c2.test", "login-phish.test", "a.b.login-phish.test", "casino.test",
                     "CASINO.TEST", "clean.example.net", "pad17.example.org", "sub.pad99.example.org", "nothing.test",
                     "malware-c2.test.", "x.casino.test"]
        var frames: [[UInt8]] = []
        for round in 0..<6 {
            for (i, name) in names.enumerated() { frames.append(Self.query(name, id: UInt16(round * 100 + i), port: i == 9 ? 5353 : 53)) }
        }
        func run(prefetch: Bool) throws -> ([Verdict], EngineStatistics) {
            var engine = Engine(policy: try PolicyMatcher(try PolicyLoader.load(yaml: Self.policy, file: "p.yaml"), tags: []))
            engine.adoptIndicators(store)
            var sink = EngineRun.Collector()
            var verdicts: [Verdict] = []
            var first = 0
            while first < frames.count {
                let end = min(first + 7, frames.count)
                if prefetch { for i in first..<end { frames[i].withUnsafeBytes { engine.prefetchNames(frame: $0, ethernet: false) } } }
                for i in first..<end {
                    verdicts.append(frames[i].withUnsafeBytes {
                        engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(seconds: 1, nanoseconds: Int64(i) * 1000),
                                       packetNumber: UInt64(i + 1), sink: &sink)
                    })
                }
                first = end
            }
            return (verdicts, engine.statistics)
        }
        let (single, singleStats) = try run(prefetch: false)
        let (batched, batchedStats) = try run(prefetch: true)
        #expect(batched == single)
        #expect(batchedStats.dnsSecurity == singleStats.dnsSecurity)
        // The listed names were decided by the lists (not all allowed), so the run compares something.
        #expect(single.contains(.drop))
        #expect(single.contains(.forward))
        for (frame, name) in zip(frames, names + names) where name != "nothing.test" {
            let asked = name.hasSuffix(".") ? String(name.dropLast()) : name
            #expect(Self.name(of: frame)?.lowercased() == asked.lowercased())
        }
    }
}
