#if canImport(Glibc)
import Glibc
#endif
import RampartInspect
import RampartWire

/// `rampart bench lists`: the indicator store alone (engine only: no packets, no parsing of
/// DNS or HTTP), built from synthetic domains drawn by a seeded generator and from the real
/// UT1 lists, then timed lookup by lookup over query sets built beforehand (not timed).
enum ListsBenchmark {
    /// Queries held end to end in one byte array, so timing them reads no `String`.
    struct QuerySet {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        var count: Int { starts.count - 1 }

        mutating func append(_ query: some Collection<UInt8>) {
            bytes.append(contentsOf: query)
            starts.append(bytes.count)
        }

        /// Calls `body` with each query's bytes, in order.
        @inline(__always)
        func each(_ body: (UnsafeRawBufferPointer) -> Void) {
            bytes.withUnsafeBytes { all in
                starts.withUnsafeBufferPointer { s in
                    for i in 0..<(s.count - 1) {
                        body(UnsafeRawBufferPointer(rebasing: all[s[i]..<s[i + 1]]))
                    }
                }
            }
        }
    }

    /// A query set copied into memory that does not move, as the views a batched lookup
    /// takes, with a worker-sized answer buffer.
    final class PinnedQueries {
        let bytes: UnsafeMutableRawBufferPointer
        let queries: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>
        let answers: UnsafeMutableBufferPointer<IndicatorMatch?>

        init(_ set: QuerySet, batch: Int) {
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, set.bytes.count), alignment: 64)
            set.bytes.withUnsafeBytes { memory.copyMemory(from: $0) }
            let views = UnsafeMutableBufferPointer<UnsafeRawBufferPointer>.allocate(capacity: set.count)
            for i in 0..<set.count {
                views[i] = UnsafeRawBufferPointer(rebasing: memory[set.starts[i]..<set.starts[i + 1]])
            }
            bytes = memory
            queries = views
            answers = UnsafeMutableBufferPointer.allocate(capacity: batch)
            answers.initialize(repeating: nil)
        }

        deinit {
            bytes.deallocate()
            queries.deallocate()
            answers.deallocate()
        }
    }

    /// Names looked up `batch` at a time (`IndicatorStore.domains(_:into:)`: the next names'
    /// lines prefetched while one is compared), as a worker would with the names of a batch
    /// of packets.
    static func batched(_ store: IndicatorStore, _ pinned: PinnedQueries, batch: Int) -> Int {
        var hits = 0
        var start = 0
        let count = pinned.queries.count
        while start < count {
            let n = min(batch, count - start)
            store.domains(UnsafeBufferPointer(rebasing: pinned.queries[start..<(start + n)]), into: pinned.answers)
            for k in 0..<n { if let m = pinned.answers[k] { hits &+= 1 &+ m.matchedLength } }
            start += n
        }
        return hits
    }

    /// Queries per batch in the batched rows: a worker's receive batch.
    static let batch = 32

    static let topLevel: [[UInt8]] = ["com", "net", "org", "de", "ru", "io", "info", "xyz", "fr", "uk", "top", "site", "online", "shop", "co", "nl", "br", "pl", "in", "cn"].map { Array($0.utf8) }
    static let alphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// Synthetic name number `i`: 2 labels (60 %), 3 (30 %) or 4 (10 %), a registrable label
    /// of 4-14 characters (a hyphen now and then), shorter labels above it, a common TLD.
    /// Deterministic in (`seed`, `i`), so hits can be drawn again without keeping the names.
    static func syntheticName(_ i: UInt64, seed: UInt64, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var random = BenchRandom(seed: seed ^ (i &* 0x9E37_79B9_7F4A_7C15))
        let shape = random.below(10)
        let extra = shape < 6 ? 0 : (shape < 9 ? 1 : 2)
        for _ in 0..<extra {
            for _ in 0..<(2 + random.below(7)) { out.append(alphabet[random.below(26)]) }
            out.append(0x2E)
        }
        let length = 4 + random.below(11)
        for k in 0..<length {
            if k > 1 && k < length - 1 && random.below(12) == 0 {
                out.append(0x2D)
            } else {
                out.append(alphabet[random.below(alphabet.count)])
            }
        }
        out.append(0x2E)
        out.append(contentsOf: topLevel[random.below(topLevel.count)])
    }

    struct Figures {
        var entries = 0
        var buildSeconds = 0.0
        var bytesPerDomain = 0.0
        var bytesPerEntry = 0.0
        var memoryBytes = 0
        var nanoseconds: [(String, Double)] = []
        var allocations: UInt = 0
        var allocationLookups = 0
    }

    /// The CPU time of this thread, in seconds: on a shared machine, the time other
    /// processes held the core is not counted (their effect on the caches still is).
    static func threadSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// The best of `passes` runs of `body` over `count` lookups, in nanoseconds per lookup.
    /// Passes per query set (`--passes`): on a shared machine more passes let the best one
    /// fall in a quiet moment. Set once by the command before any timing.
    nonisolated(unsafe) static var passes = 3

    static func time(passes: Int = ListsBenchmark.passes, count: Int, _ body: () -> Int) -> Double {
        var best = Double.infinity
        var sink = 0
        for _ in 0..<passes {
            let start = threadSeconds()
            sink &+= body()
            best = min(best, threadSeconds() - start)
        }
        if sink == -1 { print("") }  // keeps the work observable
        return best / Double(max(1, count)) * 1e9
    }

    static func names(_ store: IndicatorStore, _ queries: QuerySet) -> Int {
        var hits = 0
        queries.each { if let m = store.domain($0) { hits &+= 1 &+ m.matchedLength } }
        return hits
    }

    static func urls(_ store: IndicatorStore, hosts: QuerySet, paths: QuerySet, buffer: inout URLPathBuffer) -> Int {
        var hits = 0
        hosts.bytes.withUnsafeBytes { h in
            paths.bytes.withUnsafeBytes { p in
                for i in 0..<hosts.count {
                    let host = UnsafeRawBufferPointer(rebasing: h[hosts.starts[i]..<hosts.starts[i + 1]])
                    let path = UnsafeRawBufferPointer(rebasing: p[paths.starts[i]..<paths.starts[i + 1]])
                    if let m = store.classify(host: host, path: path, buffer: &buffer).match { hits &+= 1 &+ m.matchedLength }
                }
            }
        }
        return hits
    }

    static func addresses(_ store: IndicatorStore, _ queries: [IPAddress]) -> Int {
        var hits = 0
        queries.withUnsafeBufferPointer { q in
            for a in q { if let m = store.address(a) { hits &+= 1 &+ m.matchedLength } }
        }
        return hits
    }

    /// A store of `entries` synthetic domains (plus 1 % as many URLs and as many address
    /// prefixes), timed.
    static func synthetic(entries: Int, lookups: Int, seed: UInt64, counter: (() -> UInt)?) throws -> Figures {
        var figures = Figures()
        var name: [UInt8] = []
        name.reserveCapacity(64)
        let extras = max(1, entries / 100)
        let start = monotonicSeconds()
        var builder = IndicatorStoreBuilder(maximumEntries: entries + 2 * extras + 1, seed: seed)
        let attributes = try (0..<8).map { k in
            try builder.attributes(categories: [builder.category("category-\(k)")], sources: [builder.source("synthetic")])
        }
        for i in 0..<entries {
            syntheticName(UInt64(i), seed: seed, into: &name)
            _ = try name.withUnsafeBytes { try builder.addNormalizedDomain($0, attributes: attributes[i & 7]) }
        }
        let domainsBuilt = monotonicSeconds() - start
        var random = BenchRandom(seed: seed ^ 0xADD)
        for i in 0..<extras {
            syntheticName(UInt64(i) &+ 0x5000_0000, seed: seed, into: &name)
            let url = ListedURL(host: name, path: Array("/p/\(i % 97)/".utf8))
            try builder.addURL(url, attributes: attributes[i & 7])
            let length = 16 + random.below(17)
            let value = UInt32(truncatingIfNeeded: random.next())
            try builder.addNetwork(IPNetwork(address: IPAddress(ipv4: value), prefixLength: length)!, attributes: attributes[i & 7])
        }
        let store = builder.build()
        figures.buildSeconds = monotonicSeconds() - start
        let s = store.statistics
        figures.entries = s.domains
        figures.bytesPerDomain = Double(s.domainMemoryBytes) / Double(s.domains)
        figures.bytesPerEntry = Double(s.memoryBytes) / Double(s.entries)
        figures.memoryBytes = s.memoryBytes
        _ = domainsBuilt

        // Query sets, built before any timing.
        var exact = QuerySet()
        var parent = QuerySet()
        var miss = QuerySet()
        var hot = QuerySet()
        let hotNames = (0..<10_000).map { _ in UInt64(random.below(entries)) }
        for _ in 0..<lookups {
            syntheticName(UInt64(random.below(entries)), seed: seed, into: &name)
            exact.append(name)
            parent.append(Array("www.".utf8) + name)
            syntheticName(random.next(), seed: seed ^ 0xDEAD_BEEF, into: &name)
            miss.append(name)
            syntheticName(hotNames[random.below(hotNames.count)], seed: seed, into: &name)
            hot.append(name)
        }
        var urlHosts = QuerySet()
        var urlPaths = QuerySet()
        var addressQueries: [IPAddress] = []
        for k in 0..<lookups {
            let i = random.below(extras)
            syntheticName(UInt64(i) &+ 0x5000_0000, seed: seed, into: &name)
            urlHosts.append(name)
            urlPaths.append(Array((k & 1 == 0 ? "/p/\(i % 97)/index.html?id=\(k)" : "/q/\(k)/a/../b").utf8))
            addressQueries.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())))
        }

        var buffer = URLPathBuffer()
        let pinnedExact = PinnedQueries(exact, batch: batch)
        let pinnedParent = PinnedQueries(parent, batch: batch)
        let pinnedMiss = PinnedQueries(miss, batch: batch)
        figures.nanoseconds = [
            ("exact hit", time(count: lookups) { names(store, exact) }),
            ("parent hit", time(count: lookups) { names(store, parent) }),
            ("miss", time(count: lookups) { names(store, miss) }),
            ("hit, 10,000 hot names", time(count: lookups) { names(store, hot) }),
            ("exact hit, batches of \(batch), prefetched", time(count: lookups) { batched(store, pinnedExact, batch: batch) }),
            ("parent hit, batches of \(batch), prefetched", time(count: lookups) { batched(store, pinnedParent, batch: batch) }),
            ("miss, batches of \(batch), prefetched", time(count: lookups) { batched(store, pinnedMiss, batch: batch) }),
            ("URL (host listed)", time(count: lookups) { urls(store, hosts: urlHosts, paths: urlPaths, buffer: &buffer) }),
            ("address", time(count: lookups) { addresses(store, addressQueries) }),
        ]
        if let counter {
            let before = counter()
            _ = names(store, exact) &+ names(store, parent) &+ names(store, miss)
            _ = urls(store, hosts: urlHosts, paths: urlPaths, buffer: &buffer)
            _ = addresses(store, addressQueries)
            _ = batched(store, pinnedExact, batch: batch) &+ batched(store, pinnedParent, batch: batch) &+ batched(store, pinnedMiss, batch: batch)
            figures.allocations = counter() - before
            figures.allocationLookups = 8 * lookups
        }
        return figures
    }

    struct UT1Figures {
        var loadSeconds = 0.0
        var statistics: IndicatorStoreStatistics
        var lists = 0
        var rejected = 0
        var nanoseconds: [(String, Double)] = []
        var allocations: UInt = 0
        var allocationLookups = 0
    }

    /// The real UT1 lists: load time, counts, memory, lookups of their own names (exact and
    /// as parents), of names not listed, of their URLs and addresses.
    static func ut1(path: String, lookups: Int, counter: (() -> UInt)?) throws -> UT1Figures {
        let start = monotonicSeconds()
        var builder = IndicatorStoreBuilder()
        let report = try IndicatorListSet.load(paths: [path], format: .ut1, from: DiskListFiles(), into: &builder)
        let store = builder.build()
        var figures = UT1Figures(loadSeconds: monotonicSeconds() - start, statistics: store.statistics)
        figures.lists = report.lists.count
        figures.rejected = report.rejected

        // The lists' own lines, read again for queries (not timed).
        var names: [[UInt8]] = []
        var urlLines: [[UInt8]] = []
        var ips: [IPAddress] = []
        let files = DiskListFiles()
        for list in report.lists {
            let bytes = try files.contents(of: list.file)
            for line in bytes.split(separator: 0x0A) where !line.isEmpty {
                if list.file.hasSuffix("/urls") {
                    urlLines.append(Array(line))
                } else if let a = IPAddress(String(decoding: line, as: UTF8.self)) {
                    ips.append(a)
                } else {
                    names.append(Array(line))
                }
            }
        }
        var random = BenchRandom(seed: 0x0717)
        var exact = QuerySet()
        var parent = QuerySet()
        var miss = QuerySet()
        var name: [UInt8] = []
        var urlHosts = QuerySet()
        var urlPaths = QuerySet()
        var addressQueries: [IPAddress] = []
        for _ in 0..<lookups {
            let n = names[random.below(names.count)]
            exact.append(n)
            parent.append(Array("www.".utf8) + n)
            syntheticName(random.next(), seed: 0xFEED, into: &name)
            miss.append(name)
            let u = urlLines[random.below(urlLines.count)]
            let slash = u.firstIndex(of: 0x2F) ?? u.count
            urlHosts.append(u[..<slash])
            urlPaths.append(slash < u.count ? Array(u[slash...]) + Array("/x".utf8) : Array("/".utf8))
            addressQueries.append(random.below(2) == 0 ? ips[random.below(ips.count)] : IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())))
        }
        var buffer = URLPathBuffer()
        let pinnedExact = PinnedQueries(exact, batch: batch)
        let pinnedParent = PinnedQueries(parent, batch: batch)
        let pinnedMiss = PinnedQueries(miss, batch: batch)
        figures.nanoseconds = [
            ("exact hit", time(count: lookups) { Self.names(store, exact) }),
            ("parent hit", time(count: lookups) { Self.names(store, parent) }),
            ("miss", time(count: lookups) { Self.names(store, miss) }),
            ("exact hit, batches of \(batch), prefetched", time(count: lookups) { batched(store, pinnedExact, batch: batch) }),
            ("parent hit, batches of \(batch), prefetched", time(count: lookups) { batched(store, pinnedParent, batch: batch) }),
            ("miss, batches of \(batch), prefetched", time(count: lookups) { batched(store, pinnedMiss, batch: batch) }),
            ("URL (listed host, path below a listed one)", time(count: lookups) { urls(store, hosts: urlHosts, paths: urlPaths, buffer: &buffer) }),
            ("address (half listed)", time(count: lookups) { addresses(store, addressQueries) }),
        ]
        if let counter {
            let before = counter()
            _ = Self.names(store, exact) &+ Self.names(store, parent) &+ Self.names(store, miss)
            _ = urls(store, hosts: urlHosts, paths: urlPaths, buffer: &buffer)
            _ = addresses(store, addressQueries)
            _ = batched(store, pinnedExact, batch: batch) &+ batched(store, pinnedParent, batch: batch) &+ batched(store, pinnedMiss, batch: batch)
            figures.allocations = counter() - before
            figures.allocationLookups = 8 * lookups
        }
        return figures
    }
}

extension ListsBenchmark {
    /// The memory floor of a lookup, measured beside it: nanoseconds per dependent load
    /// when chasing pointers through `bytes` of memory in a random order of cache lines
    /// (2 MiB aligned and offered for huge pages, as the store's tables are). A lookup that
    /// misses every cache cannot be faster than one of these.
    static func dependentLoadNanoseconds(bytes: Int, loads: Int = 2_000_000) -> Double {
        let lines = max(2, bytes / 64)
        let size = (lines * 64 + (2 << 20) - 1) / (2 << 20) * (2 << 20)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 2 << 20)
        defer { memory.deallocate() }
        #if canImport(Glibc)
        _ = madvise(memory, size, MADV_HUGEPAGE)
        #endif
        var order = Array(0..<lines)
        var random = BenchRandom(seed: 0x1A7E)
        for i in stride(from: lines - 1, to: 0, by: -1) { order.swapAt(i, random.below(i + 1)) }
        for k in 0..<lines {
            memory.storeBytes(of: order[(k + 1) % lines] * 64, toByteOffset: order[k] * 64, as: Int.self)
        }
        var offset = order[0] * 64
        let start = threadSeconds()
        for _ in 0..<loads { offset = memory.load(fromByteOffset: offset, as: Int.self) }
        let seconds = threadSeconds() - start
        if offset == -1 { print("") }
        return seconds / Double(loads) * 1e9
    }
}

/// The preloaded counting allocator's counter (Benchmarks/allocation-count), or nil.
func allocationCounter() -> (() -> UInt)? {
    typealias Counter = @convention(c) () -> UInt
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "rampart_allocation_count") else { return nil }
    let count = unsafeBitCast(symbol, to: Counter.self)
    return { count() }
}
