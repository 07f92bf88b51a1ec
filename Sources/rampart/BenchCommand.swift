import RampartPOSIX
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RampartInspect
import RampartPolicy
import RampartWire

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Rampart's speed (build with -c release; figures go to docs/PERFORMANCE.md).",
        discussion: """
            Examples:
              scripts/bench.sh                                   # everything, with the peers, in one run
              rampart bench engine --capture /tmp/rampart-bench.pcap --peers
              rampart bench engine --capture /tmp/rampart-bench.pcap --rules ../shared/data/et-open-2024-04/rules
              rampart bench policy --rules 10000 --addresses 100000
              rampart bench lists --entries 1000000,10000000 --ut1 ../shared/data/ut1-blacklists/blacklists
              rampart bench dns --queries 200000
              rampart bench ai --transactions 200000
            """,
        subcommands: [EngineBench.self, PolicyBench.self, ListsBench.self, DNSBench.self, AIBench.self]
    )
}

/// Decode + session + policy over a capture held in memory, on one core.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Packets per second of decode + session + policy over a capture loaded in memory.",
        discussion: """
            The capture's records are indexed first (not timed); then the engine runs
            over all of them --repeat times, each pass with a fresh engine. With
            --peers, tshark and ndpiReader read the same file and their wall times are
            printed beside ours.

            Example:
              rampart bench engine --capture /tmp/rampart-bench.pcap \\
                  --policy Samples/policy.yaml --peers
            """
    )

    @Option(name: .long, help: "The capture to replay (make one with scripts/make-bench-capture.sh).")
    var capture: String

    @Option(name: .long, help: "A policy to decide with (default: allow-all).")
    var policy: String?

    @Option(name: .long, help: "A tag file for the policy.")
    var tags: String?

    @Option(name: .long, help: "Suricata rules to run over every session (a .rules file or a folder), e.g. --rules ../shared/data/et-open-2024-04/rules.")
    var rules: String?

    @Option(name: .long, help: "With --rules: the multi-pattern matcher (vectorscan or aho-corasick).")
    var prefilter: String = PrefilterEngine.preferred.rawValue

    @Option(name: .long, help: "Passes over the capture; the best is reported.")
    var `repeat`: Int = 3

    @Flag(name: .long, help: "Also time tshark and ndpiReader over the same capture.")
    var peers = false

    @Flag(name: .long, help: "Count heap allocations (run with LD_PRELOAD of Benchmarks/allocation-count); fails if decoding allocates.")
    var allocations = false

    @Option(name: .long, help: "With --allocations: fail when the engine allocates more than this per session (the guard in scripts/test.sh).")
    var maxAllocationsPerSession: Double?

    func run() throws {
        let loaded = try policy.map { try LoadedPolicy.load(policyPath: $0, tagsPath: tags) }
            ?? LoadedPolicy.allowAll(tagsPath: tags)
        var compiled: CompiledRules?
        if let rules {
            guard let engine = PrefilterEngine(rawValue: prefilter) else {
                throw ValidationError("--prefilter is vectorscan or aho-corasick (got \(prefilter)).")
            }
            compiled = try CompiledRules.load(path: rules, vars: nil, classification: nil, progress: false, engine: engine)
            print(compiled!.summary)
            print("rule set: read and parsed in \(fixed(compiled!.files.seconds, places: 2)) s, compiled in \(fixed(compiled!.compileSeconds, places: 2)) s, load total \(fixed(compiled!.files.seconds + compiled!.compileSeconds, places: 2)) s; resident after load: \(residentMegabytes().map { fixed($0, places: 0) + " MB" } ?? "?")")
        }
        let bytes = try readFileBytes(capture, limit: 64 << 30)
        var frames: [(range: Range<Int>, linkType: LinkType, timestamp: Timestamp, snapped: Bool)] = []
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        while try reader.next(into: &record) {
            frames.append((record.frameRange, record.linkType, record.timestamp, record.isSnapped))
        }
        guard !frames.isEmpty else { throw ValidationError("\(capture) holds no packets.") }
        print("capture: \(capture), \(grouped(frames.count)) packets, \(grouped(bytes.count)) bytes")

        var best = Double.infinity
        var lastStatistics = EngineStatistics()
        var lastMostEvaluated: [(sid: UInt32, message: String, evaluations: UInt32)] = []
        for pass in 1...max(1, self.repeat) {
            var configuration = EngineConfiguration()
            configuration.sessions = SessionTableConfiguration(capacity: 1 << 20)
            var engine = Engine(configuration: configuration, policy: loaded.matcher, rules: compiled?.rules)
            var sink = CountingSink()
            let start = monotonicSeconds()
            bytes.withUnsafeBytes { file in
                for (i, frame) in frames.enumerated() {
                    _ = engine.process(
                        frame: UnsafeRawBufferPointer(rebasing: file[frame.range]), linkType: frame.linkType,
                        timestamp: frame.timestamp, packetNumber: UInt64(i + 1), snapped: frame.snapped, sink: &sink)
                }
            }
            let seconds = monotonicSeconds() - start
            engine.finish(sink: &sink)
            best = min(best, seconds)
            lastStatistics = engine.statistics
            lastMostEvaluated = engine.mostEvaluatedRules(8)
            print("  pass \(pass): \(fixed(seconds, places: 3)) s, \(fixed(Double(frames.count) / seconds / 1e6, places: 2)) M packets/s, \(grouped(sink.flows)) flows" + (compiled == nil ? "" : ", \(grouped(sink.alerts)) alerts, \(grouped(engine.detectionStatistics.evaluations)) rule evaluations"))
        }
        let mpps = Double(frames.count) / best / 1e6
        print("rampart engine (decode+session+policy\(compiled == nil ? "" : "+signatures"), 1 core): \(fixed(mpps, places: 2)) M packets/s (best of \(self.repeat)), \(fixed(best, places: 3)) s")
        if compiled != nil {
            print("  rules evaluated most (last pass):")
            for r in lastMostEvaluated { print("    \(grouped(Int(r.evaluations)))  sid \(r.sid)  \(r.message)") }
            print("  resident memory (whole process, capture held in memory: \(grouped(bytes.count / (1 << 20))) MB): now \(residentMegabytes().map { fixed($0, places: 0) } ?? "?") MB, peak \(residentMegabytes(peak: true).map { fixed($0, places: 0) } ?? "?") MB")
        }
        print("  sessions: \(grouped(lastStatistics.sessionsCreated)), anomalies: \(grouped(lastStatistics.anomalies.total))")
        // Slots are a power of two at most 80 % full: a capacity of 0.8 × 2^21 uses the
        // memory it pays for.
        let table = SessionTable(configuration: SessionTableConfiguration(capacity: (1 << 21) / 5 * 4))
        let perSession = Double(table.memoryBytes) / Double(table.capacity)
        print("  memory per tracked session: \(MemoryLayout<Session>.stride) bytes (Session) + table overhead = \(fixed(perSession, places: 1)) bytes at full capacity (\(grouped(table.capacity)) sessions in \(grouped(table.memoryBytes)) bytes)")

        if allocations {
            try countAllocations(bytes: bytes, frames: frames, policy: loaded.matcher, rules: compiled?.rules)
        }

        if peers {
            print("peers over the same file (wall time, whole process including reading the file):")
            // tshark -q with nothing to print skips dissection; conversation tables make it
            // dissect every packet and track sessions, as we do.
            timePeer("tshark", ["-n", "-r", capture, "-q", "-z", "conv,tcp", "-z", "conv,udp"])
            // ndpiReader tracks flows and runs nDPI's detection on each: App-ID's peer.
            timePeer("ndpiReader", ["-i", capture, "-n", "1", "-q"])
            print("  rampart engine: \(fixed(best, places: 3)) s")
        }
    }

    /// The per-packet guard: decoding every packet of the capture must not allocate.
    /// The whole engine is measured too, for information: it allocates per session (its
    /// flow record's strings, App-ID's metadata), not per packet.
    func countAllocations(
        bytes: [UInt8], frames: [(range: Range<Int>, linkType: LinkType, timestamp: Timestamp, snapped: Bool)],
        policy: PolicyMatcher, rules: DetectionRuleSet? = nil
    ) throws {
        typealias Counter = @convention(c) () -> UInt
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "rampart_allocation_count") else {
            throw ValidationError("""
                --allocations needs the counting allocator preloaded:
                  gcc -O2 -shared -fPIC -o /tmp/librampart-allocation-count.so Benchmarks/allocation-count/allocation_count.c
                  LD_PRELOAD=/tmp/librampart-allocation-count.so rampart bench engine --capture FILE --allocations
                """)
        }
        let count = unsafeBitCast(symbol, to: Counter.self)
        var packet = DecodedPacket()
        var decoded = 0
        let before = count()
        bytes.withUnsafeBytes { file in
            for frame in frames {
                if PacketDecoder.decode(UnsafeRawBufferPointer(rebasing: file[frame.range]), linkType: frame.linkType, into: &packet) == nil {
                    decoded &+= 1
                }
            }
        }
        let decodeAllocations = count() - before
        print("allocations: decode \(grouped(frames.count)) packets: \(decodeAllocations) (\(grouped(decoded)) decoded)")

        var configuration = EngineConfiguration()
        configuration.sessions = SessionTableConfiguration(capacity: 1 << 20)
        var engine = Engine(configuration: configuration, policy: policy, rules: rules)
        var sink = CountingSink()
        let engineBefore = count()
        bytes.withUnsafeBytes { file in
            for (i, frame) in frames.enumerated() {
                _ = engine.process(
                    frame: UnsafeRawBufferPointer(rebasing: file[frame.range]), linkType: frame.linkType,
                    timestamp: frame.timestamp, packetNumber: UInt64(i + 1), snapped: frame.snapped, sink: &sink)
            }
        }
        let engineAllocations = count() - engineBefore
        let sessions = max(1, Double(engine.statistics.sessionsCreated))
        print("allocations: engine\(rules == nil ? "" : " with \(grouped(rules!.ruleCount)) rules (\(grouped(sink.alerts)) alerts)") \(grouped(engineAllocations)) over \(grouped(frames.count)) packets and \(grouped(Int(sessions))) sessions = \(fixed(Double(engineAllocations) / Double(frames.count), places: 3)) per packet, \(fixed(Double(engineAllocations) / sessions, places: 1)) per session")
        guard decodeAllocations == 0 else {
            printError("error: decoding allocated \(decodeAllocations) times: the per-packet path must not allocate")
            throw ExitCode(1)
        }
        if let limit = maxAllocationsPerSession, Double(engineAllocations) / sessions > limit {
            printError("error: the engine allocated \(fixed(Double(engineAllocations) / sessions, places: 1)) times per session, over the limit of \(fixed(limit, places: 1)): find the new allocation (docs/PERFORMANCE.md, \"heap allocations\") or, if it is deliberate, raise the limit in scripts/test.sh")
            throw ExitCode(1)
        }
    }

    func timePeer(_ tool: String, _ arguments: [String]) {
        guard let path = ["/usr/bin/\(tool)", "/usr/sbin/\(tool)", "/usr/local/bin/\(tool)"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            print("  \(tool): not installed (scripts/setup.sh installs it)")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = monotonicSeconds()
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            print("  \(tool): could not run (\(error))")
            return
        }
        print("  \(tool) \(arguments.joined(separator: " ")): \(fixed(monotonicSeconds() - start, places: 3)) s (exit \(process.terminationStatus))")
    }
}

/// The process's resident set (VmRSS), or its peak (VmHWM), in MB, from /proc/self/status.
func residentMegabytes(peak: Bool = false) -> Double? {
    // /proc files report size 0: read them with stdio, not the sized file reader.
    guard let file = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let key = peak ? "VmHWM:" : "VmRSS:"
    for line in text.split(separator: "\n") where line.hasPrefix(key) {
        let digits = line.dropFirst(key.count).filter(\.isNumber)
        return Double(String(digits)).map { $0 / 1024 }
    }
    return nil
}

/// Counts events without writing them, so the benchmark measures the engine alone.
struct CountingSink: EventSink {
    var flows = 0
    var alerts = 0
    mutating func alert(_ record: AlertRecord) { alerts += 1 }
    var anomalies = 0
    var summaries = 0
    mutating func flowEnded(_ record: FlowRecord) { flows += 1 }
    mutating func flowSummary(_ record: FlowSummary) { summaries += 1 }
    mutating func anomaly(_ record: AnomalyRecord) { anomalies += 1 }
}

/// Policy lookups with many rules and tagged addresses.
struct PolicyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Nanoseconds per policy lookup with a synthetic policy of many rules and tagged addresses.",
        discussion: """
            Example:
              rampart bench policy --rules 10000 --addresses 100000
            """
    )

    @Option(name: .long, help: "Rules in the synthetic policy.")
    var rules: Int = 10_000

    @Option(name: .long, help: "Tagged addresses.")
    var addresses: Int = 100_000

    @Option(name: .long, help: "Lookups to time.")
    var lookups: Int = 2_000_000

    func run() throws {
        print("policy lookup: \(grouped(rules)) rules, \(grouped(addresses)) tagged addresses, \(grouped(lookups)) lookups")
        for (name, value) in PolicyBenchmark.run(ruleCount: rules, taggedAddressCount: addresses, lookups: lookups) {
            print("  \(name): \(fixed(value, places: 1))")
        }
    }
}

/// The indicator store (issue 14): build time, memory and nanoseconds per lookup.
struct ListsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lists",
        abstract: "Nanoseconds per lookup, bytes per entry and build time of the indicator store (synthetic domains, UT1).",
        discussion: """
            Engine only: the store's lookups on names, URLs and addresses already in
            memory, no packets. Synthetic stores hold --entries domains from a seeded
            generator (plus 1 % as many URLs and address prefixes); queries are drawn at
            random (exact hits, www. below a hit, misses, 10,000 hot names), built before
            timing, best of 3 passes (--passes) in the thread's CPU time; the same exact, parent and missing names again in
            batches of 32 (IndicatorStore.domains(_:into:), which hashes up to 16 names and
            prefetches their table lines before comparing any); beside them, the time of one dependent memory load
            over as much memory as the store holds (the floor of a lookup that misses every
            cache). With --ut1 the real lists are loaded too and their own lines looked up. With --allocations (run under the counting allocator)
            every lookup is counted and the command fails if any allocated.

            Example:
              rampart bench lists --entries 1000000,10000000 --ut1 ../shared/data/ut1-blacklists/blacklists
            """
    )

    @Option(name: .long, help: "Synthetic store sizes, comma-separated (e.g. 1000000,10000000).")
    var entries: String = "1000000"

    @Option(name: .long, help: "Lookups per query set.")
    var lookups: Int = 1_000_000

    @Option(name: .long, help: "The synthetic generator's seed (also the store's hash seed).")
    var seed: UInt64 = 42

    @Option(name: .long, help: "Timed passes per query set; the best is shown (more on a busy machine).")
    var passes: Int = 3

    @Option(name: .long, help: "A UT1 folder to load and measure too.")
    var ut1: String?

    @Flag(name: .long, help: "Count heap allocations during lookups (run with LD_PRELOAD of Benchmarks/allocation-count); fails if any lookup allocated.")
    var allocations = false

    func run() throws {
        let sizes = entries.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--entries: expected sizes such as 1000000,10000000") }
        guard lookups > 0 else { throw ValidationError("--lookups must be at least 1") }
        guard passes > 0 else { throw ValidationError("--passes must be at least 1") }
        ListsBenchmark.passes = passes
        let counter = allocationCounter()
        if allocations && counter == nil {
            throw ValidationError("""
                --allocations needs the counting allocator preloaded:
                  gcc -O2 -shared -fPIC -o /tmp/librampart-allocation-count.so Benchmarks/allocation-count/allocation_count.c
                  LD_PRELOAD=/tmp/librampart-allocation-count.so rampart bench lists --allocations
                """)
        }
        var allocated: UInt = 0
        print("indicator store, engine only (lookups on bytes in memory, one core), \(grouped(lookups)) lookups per set, best of \(passes):")
        for size in sizes {
            let f = try ListsBenchmark.synthetic(entries: size, lookups: lookups, seed: seed, counter: allocations ? counter : nil)
            print("synthetic, \(grouped(f.entries)) domains (seed \(seed)): built in \(fixed(f.buildSeconds, places: 2)) s; \(fixed(f.bytesPerDomain, places: 1)) bytes per domain, \(fixed(f.bytesPerEntry, places: 1)) per entry with the URLs and addresses")
            for (name, ns) in f.nanoseconds { print("  \(name): \(fixed(ns, places: 1)) ns/lookup") }
            if f.memoryBytes >= 4 << 20 {
                let floor = ListsBenchmark.dependentLoadNanoseconds(bytes: f.memoryBytes)
                print("  reference: one dependent load, random cache lines over \(grouped(f.memoryBytes >> 20)) MiB: \(fixed(floor, places: 1)) ns")
            }
            if allocations {
                print("allocations: \(f.allocations) in \(grouped(f.allocationLookups)) lookups")
                allocated += f.allocations
            }
        }
        if let ut1 {
            let f = try ListsBenchmark.ut1(path: ut1, lookups: lookups, counter: allocations ? counter : nil)
            let s = f.statistics
            print("UT1 (\(ut1)): \(f.lists) lists loaded in \(fixed(f.loadSeconds, places: 2)) s: \(grouped(s.domains)) domains, \(grouped(s.urls)) URLs, \(grouped(s.addresses)) addresses, \(f.rejected) lines refused; \(grouped(s.memoryBytes)) bytes (\(fixed(Double(s.domainMemoryBytes) / Double(max(1, s.domains)), places: 1)) per domain)")
            for (name, ns) in f.nanoseconds { print("  \(name): \(fixed(ns, places: 1)) ns/lookup") }
            if allocations {
                print("allocations: \(f.allocations) in \(grouped(f.allocationLookups)) lookups")
                allocated += f.allocations
            }
        }
        if allocations && allocated > 0 {
            printError("error: indicator lookups allocated \(allocated) times: the store's lookups must not allocate")
            throw ExitCode(1)
        }
    }
}

/// AI transactions per second with every AI detector on, and the time each request adds.
struct AIBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ai",
        abstract: "AI transactions per second (every AI detector on) and the time added per request.",
        discussion: """
            Each transaction is a chat request of about 2 KB (OpenAI chat completions and
            Anthropic messages in turn) and its answer of about 4 KB of text, inspected
            whole: parsing, prompt-injection rules and classifier, secrets, personal data,
            the model allow-list, and the URLs in the answer (five links, with a scheme or
            without) looked up in a URL filtering list of synthetic names (--list-entries,
            built before timing) and judged by its profile. Run with whole answers, streamed
            (server-sent events of a few words each) inspected at their end, and streamed
            inspected as the firewall does, as they flow (each event a packet, the detectors
            looking at what it added: the "flowing" line), on one core.
            --no-urls leaves the URL check out (same bodies), to see what it costs;
            --no-templates parses every streamed event in full (none read from the event
            before it, as for a server whose events never repeat but for their text);
            --answers runs only the lines named (to profile one of them).

            Example:
              taskset -c 0 rampart bench ai --transactions 200000
              taskset -c 0 rampart bench ai --transactions 200000 --no-urls
              taskset -c 0 rampart bench ai --transactions 50000 --answers flowing
            """
    )

    @Option(name: .long, help: "Transactions per run.")
    var transactions: Int = 200_000

    @Flag(name: .long, inversion: .prefixedNo, help: "Check URLs in model output against a URL filtering list.")
    var urls = true

    @Option(name: .long, help: "Names in the URL filtering list (synthetic, eight categories).")
    var listEntries: Int = 1_000_000

    @Flag(name: .long, inversion: .prefixedNo, help: "Read a streamed event that repeats the one before but for its text without parsing it.")
    var templates = true

    @Option(name: .long, help: "The lines to run, comma-separated: whole, streamed, flowing.")
    var answers: String = "whole,streamed,flowing"

    static let lines: [(name: String, streamed: Bool, flowing: Bool)] = [("whole", false, false), ("streamed", true, false), ("flowing", true, true)]

    var named: [String] { answers.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }

    func validate() throws {
        for n in named where !AIBench.lines.contains(where: { $0.name == n }) {
            throw ValidationError("--answers: '\(n)' is not a line; expected whole, streamed or flowing, comma-separated.")
        }
        guard transactions > 0 else { throw ValidationError("--transactions must be at least 1.") }
        guard listEntries > 400 else { throw ValidationError("--list-entries must be more than 400 (the answers name listed sites).") }
    }

    func run() throws {
        let named = self.named
        let list = urls ? try AIBenchmark.urlList(entries: listEntries) : nil
        if let list {
            print("URL check: \(grouped(list.entries)) listed names in 8 categories (built in \(fixed(list.buildSeconds, places: 2)) s)")
        } else {
            print("URL check: off (--no-urls)")
        }
        if !templates { print("Event templates: off (--no-templates): every streamed event parsed in full") }
        for (_, streamed, flowing) in AIBench.lines.filter({ named.contains($0.name) }) {
            let r = AIBenchmark.run(transactions: transactions, streamed: streamed, flowing: flowing, urls: list, templates: templates,
                                    clock: monotonicSeconds)
            let perSecond = Double(r.transactions) / r.seconds
            let name = flowing ? "flowing " : (streamed ? "streamed" : "whole   ")
            print("ai \(name): \(grouped(Int(perSecond))) transactions/s on 1 core "
                + "(\(grouped(r.transactions)) in \(fixed(r.seconds, places: 2)) s; request \(grouped(r.requestBytes)) B, "
                + "answer \(grouped(r.responseBytes)) B on the wire, \(grouped(r.responseText)) B of text; \(r.detections) detections)")
            print("  added per request: p50 \(fixed(r.requestNanos.0 / 1000, places: 1)) µs, p99 \(fixed(r.requestNanos.1 / 1000, places: 1)) µs, "
                + "p99.9 \(fixed(r.requestNanos.2 / 1000, places: 1)) µs; per transaction: p50 \(fixed(r.transactionNanos.0 / 1000, places: 1)) µs, "
                + "p99 \(fixed(r.transactionNanos.1 / 1000, places: 1)) µs")
        }
    }
}
