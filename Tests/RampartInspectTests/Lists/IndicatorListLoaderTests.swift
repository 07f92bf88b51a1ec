import RampartWire
import Testing

@testable import RampartInspect

/// Files in memory, for the loaders' folder walks.
struct MemoryFiles: ListFileSystem {
    var files: [String: String] = [:]
    var links: [String: String] = [:]

    func kind(of path: String) -> ListPathKind {
        let path = links[path] ?? path
        if files[path] != nil { return .file }
        return files.keys.contains { $0.hasPrefix(path + "/") } ? .folder : .missing
    }

    func entries(of folder: String) throws -> [String] {
        let folder = links[folder] ?? folder
        let names = files.keys.compactMap { key -> String? in
            guard key.hasPrefix(folder + "/") else { return nil }
            return key.dropFirst(folder.count + 1).split(separator: "/").first.map(String.init)
        }
        let linked = links.keys.compactMap { key -> String? in
            key.hasPrefix(folder + "/") ? String(key.dropFirst(folder.count + 1)) : nil
        }
        return Array(Set(names + linked))
    }

    func symbolicLinkTarget(of path: String) -> String? { links[path] }

    func contents(of file: String) throws -> [UInt8] {
        guard let text = files[links[file] ?? file] else { throw IndicatorListSetError("no such file") }
        return Array(text.utf8)
    }
}

private func load(
    _ text: String, format: IndicatorListFormat, content: IndicatorListContent = .any, file: String = "list.txt",
    category: String = "test", builder: inout IndicatorStoreBuilder
) throws -> IndicatorListReport {
    let list = IndicatorList(file: file, format: format, content: content, category: category)
    return try Array(text.utf8).withUnsafeBytes { try IndicatorListLoader.load($0, list, into: &builder) }
}

@Suite("List loaders: plain, hosts, CSV, UT1 folders; bad lines reported and skipped")
struct IndicatorListLoaderTests {
    @Test func plainListsTakeDomainsURLsAndAddresses() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load(
            """
            # malware feed
            Evil.Example
            cdn.evil.example/payloads/   # trailing comment
            192.0.2.66
            198.51.100.0/24
            2001:db8:bad::/48

            evil.example
            """, format: .plain, category: "malware", builder: &builder)
        #expect(report.lines == 8)
        #expect(report.domains == 2 && report.urls == 1 && report.addresses == 3)
        #expect(report.added == 5 && report.alreadyListed == 1 && report.rejected == 0)
        #expect(report.categories == ["malware": 6])
        let store = builder.build()
        #expect(store.categoryNames(store.domain("a.evil.example")) == ["malware"])
        #expect(store.url("cdn.evil.example", "/payloads/x.exe").match != nil)
        #expect(store.address(IPAddress("198.51.100.7")!) != nil)
        #expect(store.sources(of: store.domain("evil.example")!.attributes).map { store.name(of: $0) } == ["list.txt"])
    }

    @Test func badLinesAreReportedWithFileAndLineAndSkipped() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load(
            """
            good.example
            exa mple.com
            a..b.example
            \(String(repeating: "x", count: 64)).example
            10.0.0.0/33
            10.0.0.256
            http:///nohost
            also-good.example
            """, format: .plain, file: "lists/feed.txt", builder: &builder)
        #expect(report.accepted == 2)
        #expect(report.rejected == 6)
        #expect(report.rejections.map(\.line) == [2, 3, 4, 5, 6, 7])
        #expect(report.rejections.map(\.problem.name) == [
            "domain.bad_character", "domain.empty_label", "domain.label_too_long", "ip.bad_address", "ip.bad_address",
            "url.no_host",
        ])
        #expect(report.rejections[0].description == "lists/feed.txt:2: 'exa mple.com': U+0020 is not allowed in a name; expected letters, digits, '-' and '_' between dots (domain.bad_character)")
        #expect(report.rejections[3].description.hasPrefix("lists/feed.txt:5: '10.0.0.0/33': expected an IPv4 or IPv6 address"))
        #expect(builder.build().domain("also-good.example") != nil)
    }

    @Test func domainListsRefuseURLs() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load("a.example\nb.example/path\n192.0.2.1\n", format: .plain, content: .domains, builder: &builder)
        #expect(report.domains == 1 && report.addresses == 1 && report.rejected == 1)
        #expect(report.rejections.first?.problem == .urlInDomainList)
    }

    @Test func urlListsTakeBareHostsAsWholeSites() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load("a.example\nb.example/path\n", format: .plain, content: .urls, builder: &builder)
        #expect(report.urls == 2 && report.rejected == 0)
        let store = builder.build()
        #expect(store.url("www.a.example", "/anything").match != nil)
    }

    @Test func hostsFiles() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load(
            """
            # StevenBlack-style
            127.0.0.1 localhost
            ::1 localhost ip6-localhost
            0.0.0.0 0.0.0.0
            0.0.0.0 ads.example tracker.example   # two names
            0.0.0.0\tTelemetry.Example
            ads2.example
            not-an-address ads3.example
            0.0.0.0 bad_name!.example
            0.0.0.0
            """, format: .hosts, file: "hosts", builder: &builder)
        #expect(report.domains == 3)
        #expect(report.ignored == 4)
        #expect(report.rejections.map(\.line) == [7, 8, 9, 10])
        #expect(report.rejections.map(\.problem) == [.hostsBadAddress, .hostsBadAddress, .badCharacter(0x21), .hostsWithoutName])
        #expect(builder.build().domain("telemetry.example") != nil)
    }

    @Test func csvWithACategoryColumn() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load(
            """
            # exported feed
            domain,category,first_seen
            phish.example,phishing,2026-01-02
            "casino.example","gambling;games",2026-01-03
            plain.example,,2026-01-04
            bad name.example,phishing,2026-01-05
            short.example
            "unterminated.example,phishing
            """, format: .csv, file: "feed.csv", category: "feed", builder: &builder)
        #expect(report.domains == 3)
        #expect(report.categories == ["phishing": 1, "gambling": 1, "games": 1, "feed": 1])
        #expect(report.rejections.map(\.line) == [6, 7, 8])
        #expect(report.rejections.map(\.problem) == [.badCharacter(0x20), .csvMissingField(expected: 2, found: 1), .csvUnterminatedQuote])
        let store = builder.build()
        #expect(store.categoryNames(store.domain("casino.example")) == ["gambling", "games"])
        #expect(store.categoryNames(store.domain("plain.example")) == ["feed"])
    }

    @Test func csvQuotedFieldsAndOtherSeparators() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load(
            """
            category;url;note
            ads;example.com/ads;"a note; with ""quotes"" and
            a new line"
            malware;http://evil.example/x;
            """, format: .csv, builder: &builder)
        #expect(report.urls == 2 && report.rejected == 0, "\(report.rejections) \(report)")
        #expect(report.lines == 4)
        #expect(builder.build().url("evil.example", "/x").match != nil)
    }

    @Test func csvAddressColumnsTakeAddressesOnly() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load("ip,category\n192.0.2.0/24,c2\nexample.com,c2\n300.0.0.1,c2\n", format: .csv, builder: &builder)
        #expect(report.addresses == 1)
        #expect(report.rejections.map(\.problem) == [.nameInAddressList, .badAddress])
    }

    @Test func csvWithoutTheColumnsIsRefusedAtItsHeader() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try load("name,first_seen\nx.example,2026\n", format: .csv, file: "f.csv", builder: &builder)
        #expect(report.accepted == 0)
        #expect(report.rejections.first?.description.hasPrefix("f.csv:1: 'name,first_seen': expected a header naming") == true)
    }

    @Test func formatsAreGuessed() {
        func guess(_ text: String, _ name: String = "list") -> IndicatorListFormat {
            Array(text.utf8).withUnsafeBytes { IndicatorListFormat.guess(fileName: name, bytes: $0) }
        }
        #expect(guess("a.example\nb.example\n") == .plain)
        #expect(guess("# hosts\n127.0.0.1 localhost\n0.0.0.0 a.example\n0.0.0.0 b.example\n") == .hosts)
        #expect(guess("domain,category\na.example,ads\n") == .csv)
        #expect(guess("a.example\n", "feed.CSV") == .csv)
        #expect(guess("192.0.2.1\n10.0.0.0/8\n") == .plain)
    }

    @Test func aFullStoreStopsTheLoadWithTheLine() throws {
        var builder = IndicatorStoreBuilder(maximumEntries: 2, seed: 3)
        #expect {
            try load("a.example\nb.example\na.example\nc.example\n", format: .plain, file: "big.txt", builder: &builder)
        } throws: { error in
            "\(error)" == "big.txt:4: the indicator store is full: it holds its maximum of 2 entries; raise the limit (--max-entries) or load fewer lists"
        }
    }

    @Test func linesTooLongAndNotUTF8AreRefused() throws {
        var builder = IndicatorStoreBuilder(seed: 3)
        var bytes = Array("ok.example\n".utf8) + [0x62, 0xFF, 0x2E, 0x63, 0x6F, 0x6D, 0x0A]
        bytes += Array(String(repeating: "a", count: 5000).utf8) + [0x0A]
        let list = IndicatorList(file: "x", format: .plain, category: "c")
        let report = try bytes.withUnsafeBytes { try IndicatorListLoader.load($0, list, into: &builder) }
        #expect(report.domains == 1)
        #expect(report.rejections.map(\.problem) == [.notUTF8, .lineTooLong(5000)])
    }

    @Test func ut1FoldersAreWalked() throws {
        let files = MemoryFiles(
            files: [
                "ut1/blacklists/gambling/domains": "casino.example\n192.0.2.9\n",
                "ut1/blacklists/gambling/urls": "games.example/poker\n",
                "ut1/blacklists/gambling/usage": "black\n",
                "ut1/blacklists/gambling/expressions": "(casino|poker)\n",
                "ut1/blacklists/games/domains": "casino.example\nplay.example\n",
                "ut1/blacklists/adult/urls": "example.org/adult/\n",
                "ut1/blacklists/porn": "adult",
                "ut1/blacklists/README": "The UT1 lists, described at length in this file.\n",
                "ut1/README.md": "mirror",
            ],
            links: ["ut1/blacklists/jeux": "ut1/blacklists/games"])
        var builder = IndicatorStoreBuilder(seed: 3)
        let report = try IndicatorListSet.load(paths: ["ut1"], from: files, into: &builder)
        #expect(report.lists.map(\.file) == [
            "ut1/blacklists/adult/urls", "ut1/blacklists/gambling/domains", "ut1/blacklists/gambling/urls",
            "ut1/blacklists/games/domains",
        ])
        #expect(report.notes.contains("ut1/blacklists/porn: an alias of adult, not loaded twice"))
        #expect(report.notes.contains("ut1/blacklists/jeux: an alias of games, not loaded twice"))
        #expect(report.notes.contains("ut1/blacklists/gambling/expressions: regular expressions are not loaded"))
        let store = builder.build()
        let casino = try #require(store.domain("www.casino.example"))
        #expect(store.categoryNames(casino) == ["gambling", "games"])
        #expect(store.sources(of: casino.attributes).map { store.name(of: $0) }.sorted() == ["ut1/gambling/domains", "ut1/games/domains"])
        #expect(store.categoryNames(store.address(IPAddress("192.0.2.9")!)) == ["gambling"])
        #expect(store.categoryNames(store.url("example.org", "/adult/x").match) == ["adult"])

        // One category folder by itself, and one file of it.
        var one = IndicatorStoreBuilder(seed: 3)
        _ = try IndicatorListSet.load(paths: ["ut1/blacklists/games", "ut1/blacklists/gambling/urls"], from: files, into: &one)
        let oneStore = one.build()
        #expect(oneStore.categoryNames(oneStore.domain("play.example")) == ["games"])
        #expect(oneStore.categoryNames(oneStore.url("games.example", "/poker").match) == ["gambling"])
    }

    @Test func pathsThatCannotBeListsAreErrors() throws {
        let files = MemoryFiles(files: ["lists/a.txt": "a.example\n", "empty/README": "nothing here"])
        var builder = IndicatorStoreBuilder(seed: 3)
        #expect(throws: IndicatorListSetError.self) { try IndicatorListSet.load(paths: ["nope"], from: files, into: &builder) }
        #expect(throws: IndicatorListSetError.self) { try IndicatorListSet.load(paths: ["empty"], from: files, into: &builder) }
        #expect(throws: IndicatorListSetError.self) {
            try IndicatorListSet.load(paths: ["lists/a.txt"], format: .ut1, from: files, into: &builder)
        }
        let report = try IndicatorListSet.load(paths: ["lists/a.txt"], from: files, into: &builder)
        #expect(report.lists.first?.categories == ["a": 1])
    }
}
