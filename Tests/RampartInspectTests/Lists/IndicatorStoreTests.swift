import RampartTestSupport
import RampartWire
import Testing

@testable import RampartInspect

/// A store from a few entries per category, for the tests: `[category: [entries]]`, each
/// entry a domain, a URL (it has a `/`) or an address.
func makeStore(_ lists: [String: [String]], maximumEntries: Int = 1000, seed: UInt64 = 7) throws -> IndicatorStore {
    var builder = IndicatorStoreBuilder(maximumEntries: maximumEntries, seed: seed)
    for (category, entries) in lists.sorted(by: { $0.key < $1.key }) {
        let attributes = try builder.attributes(
            categories: [builder.category(category)], sources: [builder.source("\(category).txt")])
        for entry in entries {
            if let network = IPNetwork(entry) {
                try builder.addNetwork(network, attributes: attributes)
            } else if entry.contains("/") {
                try builder.addURL(entry, attributes: attributes)
            } else {
                try builder.addDomain(entry, attributes: attributes)
            }
        }
    }
    return builder.build()
}

extension IndicatorStore {
    /// The categories of a match, by name.
    func categoryNames(_ match: IndicatorMatch?) -> [String] {
        guard let match else { return [] }
        return categories(of: match.attributes).map { name(of: $0) }.sorted()
    }

    func url(_ host: String, _ path: String, capacity: Int = 8192) -> URLLookup {
        var buffer = URLPathBuffer(capacity: capacity)
        var h = host
        var p = path
        return h.withUTF8 { hb in p.withUTF8 { pb in url(host: UnsafeRawBufferPointer(hb), path: UnsafeRawBufferPointer(pb), buffer: &buffer) } }
    }

    func classify(_ host: String, _ path: String) -> URLLookup {
        var buffer = URLPathBuffer()
        var h = host
        var p = path
        return h.withUTF8 { hb in p.withUTF8 { pb in classify(host: UnsafeRawBufferPointer(hb), path: UnsafeRawBufferPointer(pb), buffer: &buffer) } }
    }
}

@Suite("Indicator store: domains, URLs and addresses")
struct IndicatorStoreTests {
    @Test func exactAndParentDomains() throws {
        let store = try makeStore(["malware": ["example.com", "evil.test"]])
        let exact = try #require(store.domain("example.com"))
        #expect(exact.kind == .domain && exact.isExact && store.text(of: exact) == "example.com")
        let parent = try #require(store.domain("a.b.example.com"))
        #expect(!parent.isExact && parent.matchedLength == 11 && store.text(of: parent) == "example.com")
        #expect(store.categoryNames(parent) == ["malware"])
        // A label boundary is needed: "notexample.com" is not under example.com.
        #expect(store.domain("notexample.com") == nil)
        #expect(store.domain("example.co") == nil)
        #expect(store.domain("com") == nil)
        #expect(store.domain("") == nil)
        #expect(store.domain(".") == nil)
    }

    @Test func mostSpecificEntryWins() throws {
        let store = try makeStore(["ads": ["ads.example.com"], "news": ["example.com"], "tracking": ["x.ads.example.com"]])
        #expect(store.categoryNames(store.domain("www.example.com")) == ["news"])
        #expect(store.categoryNames(store.domain("ads.example.com")) == ["ads"])
        #expect(store.categoryNames(store.domain("img.ads.example.com")) == ["ads"])
        #expect(store.categoryNames(store.domain("y.x.ads.example.com")) == ["tracking"])
        #expect(store.text(of: store.domain("y.x.ads.example.com")!) == "x.ads.example.com")
    }

    /// Names of 32 labels or more take the walk that records no parents; both answer alike.
    @Test func deepNamesAreFoundLikeShallowOnes() throws {
        let deep = (1...40).map { "l\($0)" }.joined(separator: ".") + ".example"
        for lists in [["c": ["example", "l40.example"]], ["c": ["example", "l40.example", deep]]] {
            let store = try makeStore(lists)
            #expect(store.text(of: try #require(store.domain("x." + deep))) == (lists["c"]!.count == 3 ? deep : "l40.example"))
            #expect(store.text(of: try #require(store.domain("l40.example"))) == "l40.example")
            #expect(store.text(of: try #require(store.domain("a.b.example"))) == "example")
            #expect(store.domain("example.org") == nil)
        }
    }

    @Test func caseAndTrailingDotAreIgnored() throws {
        let store = try makeStore(["malware": ["Example.COM."]])
        #expect(store.domain("EXAMPLE.com")?.isExact == true)
        #expect(store.domain("www.example.com.")?.matchedLength == 11)
        #expect(store.domain("WWW.EXAMPLE.COM.") != nil)
    }

    @Test func anEntryListedTwiceMergesCategoriesAndSources() throws {
        var builder = IndicatorStoreBuilder(seed: 1)
        let a = try builder.attributes(categories: [builder.category("gambling")], sources: [builder.source("one")])
        let b = try builder.attributes(categories: [builder.category("games")], sources: [builder.source("two")])
        #expect(try builder.addDomain("casino.example", attributes: a) == .added)
        #expect(try builder.addDomain("casino.example", attributes: a) == .unchanged)
        #expect(try builder.addDomain("CASINO.example.", attributes: b) == .merged)
        let store = builder.build()
        let match = try #require(store.domain("casino.example"))
        #expect(store.categoryNames(match) == ["gambling", "games"])
        #expect(store.sources(of: match.attributes).map { store.name(of: $0) }.sorted() == ["one", "two"])
        #expect(store.statistics.domains == 1)
        #expect(store.statistics.perCategory.map(\.domains) == [1, 1])
        #expect(store.contains(store.category(named: "games")!, in: match.attributes))
    }

    @Test func urlsMatchTheLongestPathPrefixAtBoundaries() throws {
        let store = try makeStore([
            "ads": ["example.com/ads"], "banners": ["example.com/ads/banners/"], "site": ["example.com/"],
            "query": ["example.com/p?t=1"],
        ])
        #expect(store.categoryNames(store.url("example.com", "/ads").match) == ["ads"])
        #expect(store.url("example.com", "/ads").match?.isExact == true)
        #expect(store.categoryNames(store.url("example.com", "/ads/x").match) == ["ads"])
        #expect(store.categoryNames(store.url("example.com", "/ads?id=1").match) == ["ads"])
        #expect(store.categoryNames(store.url("example.com", "/ads/banners/1.png").match) == ["banners"])
        // "/ads" does not cover "/adsense": the site entry ("/") answers.
        #expect(store.categoryNames(store.url("example.com", "/adsense").match) == ["site"])
        #expect(store.categoryNames(store.url("example.com", "/p?t=1&u=2").match) == ["query"])
        #expect(store.categoryNames(store.url("example.com", "/p?t=12").match) == ["site"])
        #expect(store.text(of: store.url("example.com", "/ads/banners/a").match!) == "example.com/ads/banners/")
        #expect(store.url("other.com", "/ads").match == nil)
    }

    @Test func urlHostsMatchSubdomainsAndIgnorePortsAndCase() throws {
        let store = try makeStore(["ads": ["example.com/ads"], "deep": ["cdn.example.com/ads/x"]])
        #expect(store.categoryNames(store.url("WWW.Example.com:8080", "/ads/1").match) == ["ads"])
        #expect(store.categoryNames(store.url("cdn.example.com.", "/ads/x/y").match) == ["deep"])
        // The deeper host has a listed path, but not this one: the parent's entry answers.
        #expect(store.categoryNames(store.url("cdn.example.com", "/ads/z").match) == ["ads"])
        #expect(store.url("example.com", "/other").match == nil)
    }

    @Test func urlPathsAreNormalisedBeforeMatching() throws {
        let store = try makeStore(["malware": ["http://example.com/Payload/run.exe"], "shop": ["bücher.example/Jogos de Ação"]])
        for path in [
            "/Payload/run.exe", "/a/../Payload/run.exe", "//Payload//run.exe", "/./Payload/./run.exe",
            "/%50ayload/run%2Eexe", "/Payload/sub/%2e%2e/run.exe", "/Payload/run.exe#fragment",
        ] {
            #expect(store.categoryNames(store.url("example.com", path).match) == ["malware"], "\(path)")
        }
        // Paths keep their case.
        #expect(store.url("example.com", "/payload/run.exe").match == nil)
        #expect(store.categoryNames(store.url("xn--bcher-kva.example", "/Jogos%20de%20A%c3%a7%C3%A3o").match) == ["shop"])
    }

    @Test func aPathLongerThanTheBufferIsSaidSo() throws {
        let store = try makeStore(["ads": ["example.com/ads"]])
        let long = "/ads/" + String(repeating: "a", count: 100)
        let answer = store.url("example.com", long, capacity: 32)
        #expect(answer.match == nil && answer.pathTooLong)
        // Hosts with no listed URL never normalise the path.
        #expect(store.url("other.com", long, capacity: 32).pathTooLong == false)
    }

    @Test func classifyPrefersURLsThenDomains() throws {
        let store = try makeStore(["news": ["example.com"], "ads": ["example.com/ads"]])
        #expect(store.classify("example.com", "/ads/1").match?.kind == .url)
        #expect(store.categoryNames(store.classify("www.example.com:443", "/home").match) == ["news"])
        #expect(store.classify("other.com", "/ads").match == nil)
    }

    @Test func addressesMatchTheLongestPrefix() throws {
        let store = try makeStore([
            "wide": ["10.0.0.0/8"], "narrow": ["10.1.0.0/16"], "host": ["10.1.2.3"],
            "v6wide": ["2001:db8::/32"], "v6narrow": ["2001:db8:1::/48"], "v6host": ["2001:db8:1::7"],
        ])
        func names(_ a: String) -> [String] { store.categoryNames(store.address(IPAddress(a)!)) }
        #expect(names("10.1.2.3") == ["host"])
        #expect(store.address(IPAddress("10.1.2.3")!)?.isExact == true)
        #expect(names("10.1.2.4") == ["narrow"])
        #expect(names("10.200.0.1") == ["wide"])
        #expect(names("11.0.0.1") == [])
        #expect(names("2001:db8:1::7") == ["v6host"])
        #expect(names("2001:db8:1::8") == ["v6narrow"])
        #expect(names("2001:db8:2::1") == ["v6wide"])
        #expect(names("2001:db9::1") == [])
        #expect(store.text(of: store.address(IPAddress("10.9.9.9")!)!) == "10.0.0.0/8")
        #expect(store.address(IPAddress("10.9.9.9")!)?.matchedLength == 8)
        #expect(store.text(of: store.address(IPAddress("2001:db8:2::1")!)!) == "2001:db8::/32")
    }

    @Test func addressFamiliesDoNotMix() throws {
        let store = try makeStore(["all6": ["::/0"], "all4": ["0.0.0.0/0"]])
        #expect(store.categoryNames(store.address(IPAddress("192.0.2.1")!)) == ["all4"])
        #expect(store.categoryNames(store.address(IPAddress("2001:db8::1")!)) == ["all6"])
    }

    @Test func aFullStoreIsAnErrorNotATruncation() throws {
        var builder = IndicatorStoreBuilder(maximumEntries: 3, seed: 1)
        let a = try builder.attributes(categories: [builder.category("c")], sources: [builder.source("s")])
        try builder.addDomain("a.example", attributes: a)
        try builder.addURL("b.example/x", attributes: a)
        try builder.addNetwork(IPNetwork("192.0.2.0/24")!, attributes: a)
        // Entries already held still merge.
        #expect(try builder.addDomain("a.example", attributes: a) == .unchanged)
        #expect(throws: IndicatorStoreError.full(limit: 3)) { try builder.addDomain("c.example", attributes: a) }
        #expect(throws: IndicatorStoreError.full(limit: 3)) { try builder.addURL("b.example/y", attributes: a) }
        #expect(throws: IndicatorStoreError.full(limit: 3)) { try builder.addNetwork(IPNetwork("192.0.3.0/24")!, attributes: a) }
        #expect("\(IndicatorStoreError.full(limit: 3))".contains("maximum of 3 entries"))
    }

    @Test func invalidNamesAreRefused() throws {
        var builder = IndicatorStoreBuilder(seed: 1)
        let a = try builder.attributes(categories: [builder.category("c")], sources: [builder.source("s")])
        #expect(throws: IndicatorStoreError.invalid(.badCharacter(0x20))) { try builder.addDomain("exa mple.com", attributes: a) }
        #expect(throws: IndicatorStoreError.invalid(.emptyLabel)) { try builder.addDomain("a..b", attributes: a) }
        #expect(throws: IndicatorStoreError.invalid(.labelTooLong(64))) {
            try builder.addDomain(String(repeating: "a", count: 64) + ".com", attributes: a)
        }
        #expect(builder.entryCount == 0)
    }

    /// Randomised: the store against a reference that checks every parent with a Set.
    @Test func agreesWithAReferenceOnRandomNames() throws {
        var random = SeededRandom(seed: 0x11575)
        let labels = ["a", "b", "ex", "mail", "cdn", "x1", "www", "co", "uk", "com", "net"]
        func name() -> String { (0..<Int.random(in: 1...4, using: &random)).map { _ in labels.randomElement(using: &random)! }.joined(separator: ".") }
        var listed: [String: String] = [:]
        var builder = IndicatorStoreBuilder(seed: random.next())
        let categories = ["one", "two", "three"]
        var attributes: [String: IndicatorAttributes] = [:]
        for c in categories {
            attributes[c] = try builder.attributes(categories: [builder.category(c)], sources: [builder.source(c)])
        }
        for _ in 0..<300 {
            let n = name()
            if listed[n] == nil {
                let c = categories.randomElement(using: &random)!
                listed[n] = c
                try builder.addDomain(n, attributes: attributes[c]!)
            }
        }
        let store = builder.build()
        for _ in 0..<3000 {
            let query = name() + (Bool.random(using: &random) ? "" : "." + name())
            let parts = query.split(separator: ".")
            var expected: String?
            for k in stride(from: parts.count, through: 1, by: -1) {
                let suffix = parts.suffix(k).joined(separator: ".")
                if listed[suffix] != nil { expected = suffix; break }
            }
            let match = store.domain(query.uppercased())
            #expect(match.map { store.text(of: $0) } == expected, "\(query)")
            if let expected, let match { #expect(store.categoryNames(match) == [listed[expected]!]) }
        }
    }

    /// The batched lookup (a group's lines prefetched, then compared) answers exactly as one
    /// lookup at a time: hits, parents, misses, a trailing dot, case, empty and dot-only
    /// names, in batches shorter and longer than a group, also in a store whose names are
    /// too deep to record (the one-at-a-time walk).
    @Test func batchedLookupsAnswerAsSingleOnes() throws {
        // A name of 33 labels makes the second store take the unrecorded walk.
        let deep = Array(repeating: "d", count: 32).joined(separator: ".") + ".test"
        let plain = ["example.com", "a.b.example.com", "bad.test", String(repeating: "l", count: 40) + ".test"]
        var random = SeededRandom(seed: 0xBA7C)
        let shapes = ["example.com", "WWW.Example.COM.", "a.b.example.com", "x.a.b.example.com", "b.example.com", "bad.test",
                      "notbad.test", "", ".", "..", "com", String(repeating: "l", count: 40) + ".test", "z." + String(repeating: "l", count: 40) + ".test",
                      deep, "x." + deep]
        for store in [try makeStore(["malware": plain]), try makeStore(["malware": plain + [deep]])] {
        for count in [0, 1, 3, IndicatorStore.lookupGroup, IndicatorStore.lookupGroup + 1, 50] {
            let names = (0..<count).map { _ in shapes.randomElement(using: &random)! }
            let bytes = names.map { Array($0.utf8) }
            var answers = [IndicatorMatch?](repeating: nil, count: count)
            // Views of each name's bytes, alive for the batch.
            let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.reduce(0) { $0 + $1.count }), alignment: 8)
            defer { storage.deallocate() }
            var views: [UnsafeRawBufferPointer] = []
            var offset = 0
            for b in bytes {
                b.withUnsafeBytes { (storage.baseAddress! + offset).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(storage.baseAddress!), byteCount: b.count) }
                views.append(UnsafeRawBufferPointer(start: storage.baseAddress! + offset, count: b.count))
                offset += b.count
            }
            var grouped = answers
            views.withUnsafeBufferPointer { q in answers.withUnsafeMutableBufferPointer { store.domains(q, into: $0) } }
            // The grouped path itself, which `domains` keeps for tables larger than the caches.
            views.withUnsafeBufferPointer { q in grouped.withUnsafeMutableBufferPointer { store.domainsGrouped(q, into: $0) } }
            for (k, view) in views.enumerated() {
                store.prefetchDomain(view)
                #expect(answers[k] == store.domain(view), "\(names[k])")
                #expect(grouped[k] == store.domain(view), "\(names[k])")
            }
        }
        }
    }

    /// Randomised: longest prefix against a reference scanning every listed prefix, with
    /// IPv4 lengths of every size (the /16 filter) and IPv6 ones.
    @Test func addressesAgreeWithAReference() throws {
        var random = SeededRandom(seed: 0xC1D2)
        var builder = IndicatorStoreBuilder(seed: random.next())
        var listed: [IPNetwork: String] = [:]
        for k in 0..<400 {
            let v4 = k % 4 != 0
            let address = v4
                ? IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()) & 0xC0A8_FFFF | (k % 3 == 0 ? 0 : 0x0A00_0000))
                : IPAddress(high: 0x2001_0DB8_0000_0000 | (random.next() & 0xFFFF_FFFF), low: random.next())
            let network = IPNetwork(address: address, prefixLength: Int.random(in: 0...(v4 ? 32 : 128), using: &random))!
            let category = "c\(k % 5)"
            if listed[network] == nil {
                listed[network] = category
                try builder.addNetwork(network, attributes: builder.attributes(categories: [builder.category(category)], sources: [builder.source("s")]))
            }
        }
        let store = builder.build()
        for k in 0..<5000 {
            let query = k % 2 == 0
                ? IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next()) & (k % 3 == 0 ? 0xFFFF_FFFF : 0xC0A8_FFFF))
                : IPAddress(high: 0x2001_0DB8_0000_0000 | (random.next() & 0xFFFF), low: random.next())
            let best = listed.keys.filter { $0.contains(query) }.max { $0.prefixLength < $1.prefixLength }
            let match = store.address(query)
            #expect(match.map { store.text(of: $0) } == best.map { "\($0)" }, "\(query)")
            if let best, let match { #expect(store.categoryNames(match) == [listed[best]!]) }
        }
    }

    @Test func statisticsCountAndMeasure() throws {
        let store = try makeStore(["a": ["x.example", "y.example", "x.example/p", "192.0.2.1"], "b": ["z.example"]])
        let s = store.statistics
        #expect(s.domains == 3 && s.urls == 1 && s.urlHosts == 1 && s.addresses == 1 && s.entries == 5)
        #expect(s.perCategory[Int(store.category(named: "a")!.rawValue)] == .init(domains: 2, urls: 1, addresses: 1))
        #expect(s.memoryBytes > 0 && s.domainMemoryBytes > 0)
        #expect(IndicatorStore.empty.domain("example.com") == nil)
        #expect(IndicatorStore.empty.address(IPAddress("192.0.2.1")!) == nil)
        #expect(IndicatorStore.empty.url("example.com", "/").match == nil)
    }
}
