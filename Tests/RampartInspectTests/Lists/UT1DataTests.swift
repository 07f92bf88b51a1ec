import Foundation
import RampartWire
import Testing

@testable import RampartInspect

/// Files on disk, for the tests that read real lists.
struct DiskFiles: ListFileSystem {
    func kind(of path: String) -> ListPathKind {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return .missing }
        return isFolder.boolValue ? .folder : .file
    }

    func entries(of folder: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder) }

    func symbolicLinkTarget(of path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    func contents(of file: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: file))) }
}

/// The public UT1 category lists beside the repository (`../shared/data/ut1-blacklists`),
/// never copied into it.
let ut1Folder: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let folder = root.deletingLastPathComponent().appendingPathComponent("shared/data/ut1-blacklists/blacklists").path
    return FileManager.default.fileExists(atPath: folder + "/gambling/domains") ? folder : nil
}()

@Suite("The real UT1 lists, loaded whole")
struct UT1DataTests {
    @Test(.enabled(if: ut1Folder != nil, "the UT1 lists are not at ../shared/data/ut1-blacklists/blacklists (relative to the repository); nothing to check"))
    func loadWholeAndResolveKnownEntries() throws {
        let folder = try #require(ut1Folder)
        var builder = IndicatorStoreBuilder()
        let report = try IndicatorListSet.load(paths: [folder], from: DiskFiles(), into: &builder)
        let store = builder.build()
        let s = store.statistics
        // 2026-12 snapshot: 345,555 distinct names, 23,350 distinct IPv4 addresses and
        // ~24,000 URLs over 66 categories with domains. Loose bounds, so an update of the
        // lists does not fail this test, but a loader that drops or duplicates does.
        #expect(s.domains > 250_000 && s.domains < 1_000_000, "\(s.domains) domains")
        #expect(s.addresses > 10_000 && s.addresses < 100_000, "\(s.addresses) addresses")
        #expect(s.urls > 10_000 && s.urls < 100_000, "\(s.urls) URLs")
        #expect(store.categories.count > 50, "\(store.categories.count) categories")
        // A handful of bad lines at most, each with its file and line.
        #expect(report.rejected < 100, "\(report.rejections.prefix(10))")
        for rejection in report.rejections { #expect(rejection.line > 0 && rejection.file.hasPrefix(folder)) }
        #expect(report.notes.contains { $0.hasSuffix("porn: an alias of adult, not loaded twice") })
        #expect(report.notes.contains { $0.hasSuffix("ads: an alias of publicite, not loaded twice") })
        // Memory: the store's promise, on real names.
        #expect(Double(s.domainMemoryBytes) / Double(s.domains) <= 64, "\(s.domainMemoryBytes / s.domains) bytes per domain")

        func categories(_ match: IndicatorMatch?) -> Set<String> { Set(store.categoryNames(match)) }
        #expect(categories(store.domain("pokerstars.com")).contains("gambling"))
        #expect(categories(store.domain("www.pokerstars.com")).contains("gambling"))
        #expect(categories(store.domain("m.facebook.com")).contains("social_networks"))
        #expect(categories(store.domain("coinhive.com")).contains("cryptojacking"))
        #expect(categories(store.domain("BIT.LY.")).contains("shortener"))
        #expect(categories(store.domain("chatgpt.com")).contains("ai"))
        #expect(categories(store.address(IPAddress("118.123.4.224")!)) == ["agressif"])
        #expect(categories(store.url("dmoz.org", "/World/Espa%C3%B1ol/Juegos/Azar/").match).contains("games"))
        #expect(categories(store.url("0001-5cf.pages.dev", "/awards").match).contains("malware"))
        #expect(store.domain("rampart-firewall.invalid") == nil)
        let facebook = try #require(store.domain("facebook.com"))
        #expect(store.sources(of: facebook.attributes).map { store.name(of: $0) }.contains("ut1/social_networks/domains"))
    }
}
