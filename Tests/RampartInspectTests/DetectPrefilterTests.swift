import Foundation
@testable import RampartInspect
import RampartRules
import Testing

/// The pure-Swift Aho-Corasick prefilter against Vectorscan on the same patterns and bytes,
/// and the whole matcher on each over the same captures: the fallback for builds without
/// Vectorscan must find exactly what Vectorscan finds.
@Suite("Detection: the two prefilters agree")
struct DetectPrefilterTests {
    /// Every (id, end) hit of `patterns` in `bytes` as each matcher reports it (first end per id).
    static func hits(_ engine: PrefilterEngine, _ patterns: [PrefilterPattern], _ bytes: [UInt8], minimumEnd: Int = 0) throws -> [UInt32] {
        let db = try PatternDatabase(patterns, engine: engine)
        let scratch = VectorscanScratch()
        if case .vectorscan(let v) = db.backend { scratch.reserve(for: v) }
        let hits = PrefilterHits(patternCapacity: patterns.count)
        hits.begin(minimumEnd: minimumEnd)
        bytes.withUnsafeBytes { db.scan($0, scratch: scratch, hits: hits) }
        return Array(hits.hits).sorted()
    }

    @Test("random literals (NULs, regex metacharacters, caseless) over random bytes: same hits", arguments: [1, 2, 3, 4])
    func randomPatterns(seed: UInt64) throws {
        guard VectorscanDatabase.isAvailable else { return }
        var rng = SplitMix(seed: seed)
        let alphabet: [UInt8] = Array("aAbB.|*(\\x".utf8) + [0, 1, 0xFF]
        var patterns: [PrefilterPattern] = []
        var seen = Set<[UInt8]>()
        while patterns.count < 200 {
            var p = (0..<(1 + Int(rng.next() % 4))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            if p.first == 0 { p[0] = 0x41 }  // the group builder drops leading NULs
            guard seen.insert(p).inserted else { continue }
            patterns.append(PrefilterPattern(bytes: p, caseless: rng.next() % 2 == 0, id: UInt32(patterns.count)))
        }
        for _ in 0..<50 {
            let buffer = (0..<Int(rng.next() % 300)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let minimumEnd = Int(rng.next() % 40)
            #expect(try Self.hits(.vectorscan, patterns, buffer, minimumEnd: minimumEnd)
                    == Self.hits(.ahoCorasick, patterns, buffer, minimumEnd: minimumEnd))
        }
    }

    @Test("the same rules give the same alerts over real captures with either prefilter")
    func sameAlerts() throws {
        guard VectorscanDatabase.isAvailable else { return }
        let rules = """
            alert http any any -> any any (msg:"uri"; http.uri; content:"/hello"; sid:1;)
            alert tcp any any -> any any (msg:"ua"; content:"user-agent|3a|"; nocase; sid:2;)
            alert http any any -> any any (msg:"server"; flow:to_client; http.server; content:"SimpleHTTP"; sid:3;)
            alert dns any any -> any any (msg:"dns"; dns.query; content:"rampart"; sid:4;)
            alert tcp any any -> any any (msg:"bytes"; content:"|00 00|"; sid:5;)
            alert http any any -> any any (msg:"html"; file.data; content:"<html"; nocase; sid:6;)
            alert udp any any -> any any (msg:"udp"; content:"|01 00 00 01|"; offset:2; depth:4; sid:7;)
            """
        for capture in ["Samples/sample.pcap", "Tests/Captures/appid/web.pcap"] {
            var runs: [[String]] = []
            for engine in PrefilterEngine.allCases {
                let compiled = try EngineRun.compile(rules, engine: engine)
                let run = try EngineRun(bytes: EngineRun.bytes(of: capture), compiled: compiled)
                runs.append(run.alerts.map { "\($0.packetNumber):\($0.signatureID)" })
            }
            #expect(!runs[0].isEmpty)
            #expect(runs[0] == runs[1], "\(capture)")
        }
    }
}

/// A small deterministic generator (tests must not depend on the system's randomness).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
