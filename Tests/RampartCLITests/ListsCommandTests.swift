import Foundation
import Testing

/// `rampart lists check` and `lookup` over the sample lists (Samples/lists), as a user runs
/// them; and the allocation guard of the store's lookups.
@Suite("rampart lists: check and lookup")
struct ListsCommandTests {
    static let samples = ["Samples/lists/malware.txt", "Samples/lists/ads.hosts", "Samples/lists/feed.csv", "Samples/lists/ut1"]

    @Test func checkReportsListsCategoriesAndMemory() throws {
        let result = try RampartProcess.run(["lists", "check"] + Self.samples)
        #expect(result.status == 0, "\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("Samples/lists/malware.txt (plain): 8 lines, 7 accepted (2 domains, 2 URLs, 3 addresses)"))
        #expect(out.contains("Samples/lists/ads.hosts (hosts): 5 lines, 3 accepted (3 domains), 3 local names skipped"))
        #expect(out.contains("Samples/lists/feed.csv (csv): 4 lines, 3 accepted (3 domains)"))
        #expect(out.contains("note: Samples/lists/ut1/ads: an alias of publicite, not loaded twice"))
        #expect(out.contains("store: 12 domains, 5 URLs on 5 hosts, 4 addresses = 21 entries from 9 lists"))
        #expect(out.contains("memory: "))
        #expect(out.contains("loaded in "))
        #expect(out.range(of: #"gambling +2 +1 +1"#, options: .regularExpression) != nil, "\(out)")
    }

    @Test func checkAsJSON() throws {
        let result = try RampartProcess.run(["lists", "check", "--json"] + Self.samples)
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let store = try #require(object["store"] as? [String: Any])
        #expect(store["domains"] as? Int == 12 && store["urls"] as? Int == 5 && store["addresses"] as? Int == 4)
        let categories = try #require(store["categories"] as? [String: [String: Int]])
        #expect(categories["phishing"]?["domains"] == 2)
        #expect((object["lists"] as? [Any])?.count == 9)
    }

    @Test func refusedLinesNameTheirFileAndLine() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let list = directory.appendingPathComponent("feed.txt")
        try "good.example\nexa mple.com\n10.0.0.0/33\nalso.example\n".write(to: list, atomically: true, encoding: .utf8)
        let lenient = try RampartProcess.run(["lists", "check", list.path])
        #expect(lenient.status == 0)
        #expect(lenient.stdout.contains("\(list.path):2: 'exa mple.com': U+0020 is not allowed in a name"))
        #expect(lenient.stdout.contains("\(list.path):3: '10.0.0.0/33': expected an IPv4 or IPv6 address"))
        #expect(lenient.stdout.contains("refused: 2 lines"))
        #expect(lenient.stdout.contains("2 accepted (2 domains), 2 refused"))
        let strict = try RampartProcess.run(["lists", "check", "--strict", list.path])
        #expect(strict.status == 1)
    }

    @Test func aFullStoreIsAnError() throws {
        let result = try RampartProcess.run(["lists", "check", "--max-entries", "3", "Samples/lists/malware.txt"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("Samples/lists/malware.txt:5: the indicator store is full: it holds its maximum of 3 entries"))
    }

    @Test func unreadablePathsAndBadQueries() throws {
        #expect(try RampartProcess.run(["lists", "check", "Samples/lists/none.txt"]).status == 2)
        #expect(try RampartProcess.run(["lists", "check", "--format", "xml", "Samples/lists/malware.txt"]).status == 64)
        #expect(try RampartProcess.run(["lists", "lookup", "Samples/lists/ut1"]).status == 64)
        let bad = try RampartProcess.run(["lists", "lookup", "Samples/lists/ut1", "--name", "bad name"])
        #expect(bad.status == 64 && bad.stderr.contains("U+0020 is not allowed"))
    }

    @Test func lookupAnswersNamesURLsAndAddresses() throws {
        let result = try RampartProcess.run(
            ["lists", "lookup"] + Self.samples + [
                "--name", "WWW.Casino.Example.", "--name", "ads.shop.example", "--name", "nothing.example", "--name", "bücher.example",
                "--url", "http://shop.example/a/../ads/banner.png", "--url", "https://x.shop.example:8443/home",
                "--ip", "198.51.100.9", "--ip", "192.0.2.1",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines == [
            "WWW.Casino.Example. (www.casino.example): listed — casino.example (parent domain); categories: gambling; from: ut1/gambling/domains",
            "ads.shop.example: listed — ads.shop.example (exact name); categories: publicite; from: ut1/publicite/domains",
            "nothing.example: not listed",
            "bücher.example (xn--bcher-kva.example): not listed",
            "http://shop.example/a/../ads/banner.png: listed — shop.example/ads/ (URL prefix); categories: publicite; from: ut1/publicite/urls",
            "https://x.shop.example:8443/home: listed — shop.example (parent domain); categories: shopping; from: ut1/shopping/domains",
            "198.51.100.9: listed — 198.51.100.0/24 (prefix /24); categories: malware; from: Samples/lists/malware.txt",
            "192.0.2.1: not listed",
        ])
        let json = try RampartProcess.run(["lists", "lookup", "Samples/lists/feed.csv", "--name", "login-bank.example", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["listed"] as? Bool == true)
        #expect(object["categories"] as? [String] == ["phishing", "banking"])
        #expect(object["entry"] as? String == "login-bank.example")
    }

    /// The store's hot-path promise: no lookup allocates. The bench counts every malloc during
    /// the lookups under the counting allocator (the same guard scripts/test.sh runs on the
    /// release build).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc"), "gcc is needed to build the counting allocator"))
    func lookupsDoNotAllocate() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let shim = directory.appendingPathComponent("librampart-allocation-count.so").path
        let built = try RampartProcess.shell(
            "gcc -O2 -shared -fPIC -o '\(shim)' Benchmarks/allocation-count/allocation_count.c")
        #expect(built.status == 0, "\(built.output)")
        let result = try RampartProcess.run(
            // 60,000 names: a table over 2 MiB, so the batched rows take the grouped, prefetching path.
            ["bench", "lists", "--entries", "60000", "--lookups", "20000", "--allocations", "--ut1", "Samples/lists/ut1"],
            environment: ["LD_PRELOAD": shim])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("allocations: 0 in 160,000 lookups"), "\(result.stdout)")
    }
}
