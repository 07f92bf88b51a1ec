import Foundation
import RampartConfig
import RampartDataplane
import RampartInspect
import RampartPolicy
import Testing

/// `spec.lists`: the firewall's indicator lists, read with the policy (files, UT1 folders,
/// CSV with a category column) and published with it.
@Suite("Firewall configuration: spec.lists")
struct IndicatorListConfigurationTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: p}
        spec:
          urlFilteringProfiles: [{name: u, categories: {gambling: block}}]
          rules:
            - {name: web, services: [tcp/80], action: allow, profiles: [u]}
        """

    @Test("files, a UT1 folder and a CSV are read relative to the file; categories from the name, the folders and the column")
    func listsAreLoaded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-lists-\(UInt64.random(in: 0 ... .max))")
        let manager = FileManager.default
        try manager.createDirectory(at: directory.appendingPathComponent("ut1/gambling"), withIntermediateDirectories: true)
        try manager.createDirectory(at: directory.appendingPathComponent("ut1/press"), withIntermediateDirectories: true)
        defer { try? manager.removeItem(at: directory) }
        try "casino.example\n".write(to: directory.appendingPathComponent("ut1/gambling/domains"), atomically: true, encoding: .utf8)
        try "news.example/politics\n".write(to: directory.appendingPathComponent("ut1/press/urls"), atomically: true, encoding: .utf8)
        try "# bad\nevil.example\n".write(to: directory.appendingPathComponent("bad.txt"), atomically: true, encoding: .utf8)
        try "domain,category\nphish.example,phishing\nother.example,\n".write(
            to: directory.appendingPathComponent("feed.csv"), atomically: true, encoding: .utf8)
        let config = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
              lists:
                - {name: malware, path: bad.txt}
                - {name: ut1, path: ut1}
                - {name: feed, path: feed.csv, category: suspicious}
            ---
            \(Self.policy)
            """
        let path = directory.appendingPathComponent("fw.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let file = try ConfigurationFile.load(path: path)
        #expect(file.firewall.lists == [IndicatorListSource(name: "malware", path: "bad.txt"), IndicatorListSource(name: "ut1", path: "ut1"),
                                        IndicatorListSource(name: "feed", path: "feed.csv", category: "suspicious")])
        let store = try #require(file.indicators)
        func categories(_ name: String) -> [String] {
            guard let match = store.domain(name) else { return [] }
            return store.categories(of: match.attributes).map { store.name(of: $0) }
        }
        #expect(categories("www.evil.example") == ["malware"])
        #expect(categories("casino.example") == ["gambling"])
        #expect(categories("phish.example") == ["phishing"])
        #expect(categories("other.example") == ["suspicious"])
        #expect(categories("unlisted.example") == [])
        #expect(file.listsSummary?.contains("3 list(s): 4 domains, 1 URLs") == true)
        #expect(PolicyRelease.Content(file).indicators != nil)

        // A list that cannot be read refuses the configuration, naming the list.
        try config.replacingOccurrences(of: "path: bad.txt", with: "path: missing.txt").write(toFile: path, atomically: true, encoding: .utf8)
        #expect {
            try ConfigurationFile.load(path: path)
        } throws: { error in
            ((error as? PolicyErrors)?.errors ?? []).contains { $0.message.contains("spec.lists 'malware'") && $0.message.contains("no such file") }
        }
    }

    @Test("spec.lists is checked with file:line:column")
    func badLists() {
        let text = """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: fw}
            spec:
              lists:
                - {name: a, path: a.txt}
                - {name: a, path: b.txt}
                - {name: c, pth: c.txt}
                - {name: d, path: ""}
            ---
            \(Self.policy)
            """
        #expect {
            try ConfigurationFile.parse(text, file: "fw.yaml")
        } throws: { error in
            let messages = ((error as? PolicyErrors)?.errors ?? []).map(\.description)
            return messages == [
                "fw.yaml:7:14: duplicate list name 'a'; first defined at 6:14",
                "fw.yaml:8:7: a list is missing the required field 'path'",
                "fw.yaml:8:17: unknown field 'pth' in a list; did you mean 'path'?",
                "fw.yaml:9:23: a list path must not be empty; give a file or a UT1 folder",
            ]
        }
        let none = try? ConfigurationFile.parse(text.replacingOccurrences(of: "  lists:\n    - {name: a, path: a.txt}\n    - {name: a, path: b.txt}\n    - {name: c, pth: c.txt}\n    - {name: d, path: \"\"}", with: "  lists: []"), file: "fw.yaml")
        #expect(none?.firewall.lists == [])
    }
}
