import ArgumentParser
import RampartInspect
import RampartPolicy
import RampartWire

/// The DNS security stage's cost per query: the engine over the same DNS queries with and
/// without a DNS security profile (categories from a store, the DGA model, tunnelling), and
/// the DGA model alone.
struct DNSBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dns",
        abstract: "Nanoseconds per DNS query of the DNS security stage (lists, DGA model, tunnelling).",
        discussion: """
            Builds --queries DNS queries over UDP (half ordinary names, half generated ones,
            under --parents parent domains), one session, and runs the engine over them with
            a profile and without one, best of 3 passes each; the difference is the stage's
            cost. A store of --listed names (category malware) answers the lookups. With
            --allocations (under the counting allocator) the profiled pass must not allocate
            more than the plain one.

            With --batch N the profiled pass is also run in batches of N packets as the
            firewall's worker receives them, without and with a name prefetch pass (each
            batch's query names read and their store lines asked for before the first is
            processed; an experiment, not in the firewall);
            --hit-share puts that share of the queries under listed names.

            Example:
              .build/release/rampart bench dns --queries 200000
              .build/release/rampart bench dns --listed 1000000 --hit-share 0.5 --batch 32
            """)

    @Option(name: .long, help: "DNS queries per pass.")
    var queries = 200_000

    @Option(name: .long, help: "Listed domains in the indicator store.")
    var listed = 100_000

    @Option(name: .long, help: "Distinct parent domains the queries fall under.")
    var parents = 2_000

    @Option(name: .long, help: "Share of queries (0 to 1) for names under a listed domain (hits).")
    var hitShare = 0.0

    @Option(name: .long, help: "Also run the profiled pass in batches of this many packets, with and without the name prefetch pass (0: not).")
    var batch = 0

    @Flag(name: .long, help: "Count heap allocations during the profiled pass (run with LD_PRELOAD of Benchmarks/allocation-count); fails if any.")
    var allocations = false

    static let profiled = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: bench}
        spec:
          dnsSecurityProfiles:
            - name: dns
              categories: {malware: sinkhole, phishing: block}
              sinkhole: {ipv4: 198.18.0.1}
              dga: {action: alert, threshold: 0.9}
              tunnelling: {action: alert}
          rules:
            - {name: dns, services: [udp/53], action: allow, profiles: [dns]}
          defaults: {intrazone: {action: allow}, interzone: {action: allow}}
        """
    static let plain = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: bench}
        spec:
          rules:
            - {name: dns, services: [udp/53], action: allow}
          defaults: {intrazone: {action: allow}, interzone: {action: allow}}
        """

    func run() throws {
        guard queries > 0, listed >= 0, parents > 0 else { throw ValidationError("--queries and --parents must be positive") }
        var random = SplitMix(seed: 14)
        let words = ["shop", "news", "mail", "cloud", "data", "cdn", "api", "static", "media", "login", "portal", "blue",
                     "green", "river", "stone", "north", "market", "photo", "video", "smart"]
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        func generated(_ n: Int) -> String { String(decoding: (0..<n).map { _ in letters[Int(random.next() % 36)] }, as: UTF8.self) }
        let parentNames = (0..<parents).map { i in
            i % 2 == 0 ? "\(words[i % words.count])\(words[(i / 20) % words.count])\(i).com" : "\(generated(14)).net"
        }
        var frames: [[UInt8]] = []
        frames.reserveCapacity(queries)
        for i in 0..<queries {
            let parent = parentNames[Int(random.next() % UInt64(parents))]
            var name = i % 4 == 0 ? "www.\(parent)" : "\(words[i % words.count]).\(parent)"
            if listed > 0 && Double(random.next() % 1_000_000) < hitShare * 1_000_000 {
                name = "www.\(DNSBench.listedName(Int(random.next() % UInt64(listed))))"
            }
            frames.append(DNSBench.query(name, id: UInt16(truncatingIfNeeded: i)))
        }
        var builder = IndicatorStoreBuilder(seed: 3)
        let malware = try builder.attributes(categories: [try builder.category("malware")], sources: [try builder.source("bench")])
        for i in 0..<listed { try builder.addDomain(DNSBench.listedName(i), attributes: malware) }
        let store = builder.build()

        let counter = allocationCounter()
        if allocations && counter == nil {
            throw ValidationError("""
                --allocations needs the counting allocator preloaded:
                  gcc -O2 -shared -fPIC -o /tmp/librampart-allocation-count.so Benchmarks/allocation-count/allocation_count.c
                  LD_PRELOAD=/tmp/librampart-allocation-count.so rampart bench dns --allocations
                """)
        }
        let nameBuffer = UnsafeMutableRawPointer.allocate(byteCount: DNSQuestion.nameCapacity, alignment: 8)
        defer { nameBuffer.deallocate() }
        func pass(_ policy: String, count: Bool, batch: Int = 0, prefetch: Bool = false) throws -> (seconds: Double, allocations: UInt, stats: EngineStatistics) {
            var engine = Engine(policy: try PolicyMatcher(try PolicyLoader.load(yaml: policy, file: "bench.yaml"), tags: []))
            engine.adoptIndicators(store)
            var sink = NullSink()
            // Warm up: the session, App-ID and the tunnelling table's entries exist before timing.
            for (i, frame) in frames.prefix(2000).enumerated() {
                _ = frame.withUnsafeBytes {
                    engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(seconds: 1, nanoseconds: Int64(i)), packetNumber: 0, sink: &sink)
                }
            }
            let before = count ? counter?() ?? 0 : 0
            let start = monotonicSeconds()
            if batch > 0 {
                // As the firewall's worker does: a batch's names asked for first, then each processed.
                var first = 0
                while first < frames.count {
                    let end = min(first + batch, frames.count)
                    if prefetch {
                        for i in first..<end { frames[i].withUnsafeBytes { DNSBench.prefetchName(of: $0, in: store, buffer: nameBuffer) } }
                    }
                    for i in first..<end {
                        _ = frames[i].withUnsafeBytes {
                            engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(seconds: 2 + Int64(i / 1_000_000), nanoseconds: Int64(i % 1_000_000) * 1000),
                                           packetNumber: 0, sink: &sink)
                        }
                    }
                    first = end
                }
            } else {
                for (i, frame) in frames.enumerated() {
                    _ = frame.withUnsafeBytes {
                        engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(seconds: 2 + Int64(i / 1_000_000), nanoseconds: Int64(i % 1_000_000) * 1000),
                                       packetNumber: 0, sink: &sink)
                    }
                }
            }
            let seconds = monotonicSeconds() - start
            let allocated = count ? (counter?() ?? 0) - before : 0
            return (seconds, allocated, engine.statistics)
        }
        var best = (with: Double.infinity, without: Double.infinity)
        var batched = (plain: Double.infinity, prefetched: Double.infinity)
        var allocated: UInt = 0, plainAllocated: UInt = 0
        var stats = EngineStatistics()
        for round in 0..<3 {
            let w = try pass(DNSBench.profiled, count: allocations && round == 0)
            let o = try pass(DNSBench.plain, count: allocations && round == 0)
            if round == 0 {
                allocated = w.allocations
                plainAllocated = o.allocations
                stats = w.stats
            }
            if batch > 0 {
                // Alternated in the same run, so both meet the same machine.
                batched.plain = min(batched.plain, try pass(DNSBench.profiled, count: false, batch: batch).seconds)
                batched.prefetched = min(batched.prefetched, try pass(DNSBench.profiled, count: false, batch: batch, prefetch: true).seconds)
            }
            best.with = min(best.with, w.seconds)
            best.without = min(best.without, o.seconds)
        }
        let n = Double(queries)
        print("DNS security, \(grouped(queries)) queries under \(grouped(parents)) parents, store of \(grouped(listed)) names, best of 3 (one core):")
        print("  engine without a profile: \(fixed(best.without / n * 1e9, places: 0)) ns/query")
        print("  engine with the profile:  \(fixed(best.with / n * 1e9, places: 0)) ns/query")
        print("  the stage (difference):   \(fixed(max(0, best.with - best.without) / n * 1e9, places: 0)) ns/query")
        if batch > 0 {
            print("  batches of \(batch), profiled, without prefetch: \(fixed(batched.plain / n * 1e9, places: 0)) ns/query, \(grouped(Int(n / batched.plain))) queries/s")
            print("  batches of \(batch), profiled, name prefetch:    \(fixed(batched.prefetched / n * 1e9, places: 0)) ns/query, \(grouped(Int(n / batched.prefetched))) queries/s")
        }
        let d = stats.dnsSecurity
        print("  decisions in a pass: allow \(grouped(d.count(verdict: 1, reason: .clean))), DGA alerts \(grouped(d.count(verdict: 2, reason: .dga))), tunnelling alerts \(grouped(d.count(verdict: 2, reason: .tunnelling)))")
        if let model = DGAModel.builtIn {
            let labels = (0..<10_000).map { i in i % 2 == 0 ? Array("\(words[i % 20])\(words[(i / 20) % 20])".utf8) : Array(generated(14).utf8) }
            var sum = 0.0
            let start = monotonicSeconds()
            for _ in 0..<20 { for label in labels { sum += label.withUnsafeBytes { model.score(label: $0) } } }
            let each = (monotonicSeconds() - start) / Double(20 * labels.count) * 1e9
            print("  DGA model alone: \(fixed(each, places: 0)) ns/label (\(fixed(sum / Double(20 * labels.count), places: 2)) mean score)")
        }
        if allocations {
            // App-ID's DNS decoder still reads each datagram of a session that only asks
            // (it waits for an answer) and makes its strings: the same in both passes.
            print("allocations: \(allocated) with the profile, \(plainAllocated) without, over \(grouped(queries)) queries each")
            if allocated > plainAllocated {
                printError("error: the DNS security stage allocated \(allocated - plainAllocated) times: it must not allocate per query")
                throw ExitCode(1)
            }
        }
    }

    /// The experiment `--batch` measures (not in the firewall: it did not pay, see
    /// docs/PERFORMANCE.md): the query's name read as the DNS stage reads it (the bench's
    /// frames are raw IPv4 with a 20-byte header) and its store lines asked for.
    static func prefetchName(of frame: UnsafeRawBufferPointer, in store: IndicatorStore, buffer: UnsafeMutableRawPointer) {
        guard frame.count > 28 else { return }
        guard case .success(let question) = DNSQuestion.read(UnsafeRawBufferPointer(rebasing: frame[28...]), into: buffer),
              !question.isResponse
        else { return }
        store.prefetchDomain(UnsafeRawBufferPointer(start: buffer, count: question.nameLength))
    }

    /// The store's name `i`: computed, not kept, so 10 M of them need no list in memory.
    static func listedName(_ i: Int) -> String {
        var z = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 31)) &* 0xBF58_476D_1CE4_E5B9
        let letters = Array("abcdefghijklmnopqrstuvwxyz".utf8)
        let tag = (0..<6).map { k in letters[Int((z >> (UInt64(k) * 5)) % 26)] }
        return "listed\(i).\(String(decoding: tag, as: UTF8.self)).org"
    }

    /// An IPv4/UDP DNS query (raw IP), checksum left zero.
    static func query(_ name: String, id: UInt16) -> [UInt8] {
        var dns: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") { dns += [UInt8(label.utf8.count)] + Array(label.utf8) }
        dns += [0, 0, 1, 0, 1]
        let total = 28 + dns.count
        var p: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        p += [0x9C, 0x40, 0, 53, UInt8((8 + dns.count) >> 8), UInt8((8 + dns.count) & 0xFF), 0, 0]
        return p + dns
    }
}

/// Discards every record.
private struct NullSink: EventSink {
    mutating func flowEnded(_ record: FlowRecord) {}
    mutating func flowSummary(_ record: FlowSummary) {}
    mutating func anomaly(_ record: AnomalyRecord) {}
    mutating func alert(_ record: AlertRecord) {}
}

/// A small seeded generator (SplitMix64), so every run measures the same names.
private struct SplitMix {
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
