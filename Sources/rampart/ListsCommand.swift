import ArgumentParser
import RampartInspect
import RampartJSON
import RampartWire

struct ListsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lists",
        abstract: "Check indicator lists (domains, URLs, addresses with categories) and look names up in them.",
        discussion: """
            The lists are those the DNS security and URL filtering profiles read: plain
            lists, hosts files, CSV with a category column, and UT1 category folders
            (docs/lists.md).

            Examples:
              rampart lists check Samples/lists/malware.txt Samples/lists/ut1
              rampart lists lookup Samples/lists/ut1 --name www.casino.example
            """,
        subcommands: [ListsCheckCommand.self, ListsLookupCommand.self]
    )
}

/// The paths and how to read them, shared by `check` and `lookup`.
struct ListLoadOptions: ParsableArguments {
    @Argument(help: "Lists: files (plain, hosts, CSV) or UT1 folders (of category folders, or one category's).")
    var paths: [String]

    @Option(name: .long, help: "How to read every PATH: plain, hosts, csv or ut1 (default: guessed from the layout and the first lines).")
    var format: String?

    @Option(name: .long, help: "The category of entries a list does not categorise itself (default: the file's name without extension; a UT1 folder's name).")
    var category: String?

    @Option(name: .long, help: "The most entries the store may hold; a list that would go past it is an error, not cut short.")
    var maxEntries: Int = IndicatorStoreBuilder.defaultMaximumEntries

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("Name at least one list: a file or a UT1 folder.") }
        if let format, format != "ut1", IndicatorListFormat(rawValue: format) == nil {
            throw ValidationError("--format \(format): expected plain, hosts, csv or ut1.")
        }
        guard maxEntries > 0 else { throw ValidationError("--max-entries must be at least 1.") }
    }

    var choice: ListFormatChoice {
        guard let format else { return .guess }
        return format == "ut1" ? .ut1 : .format(IndicatorListFormat(rawValue: format)!)
    }

    /// Loads every path into one store; errors end the command with exit code 2.
    func load() throws -> (store: IndicatorStore, report: IndicatorListSetReport, seconds: Double) {
        let start = monotonicSeconds()
        var builder = IndicatorStoreBuilder(maximumEntries: maxEntries)
        do {
            let report = try IndicatorListSet.load(
                paths: paths, format: choice, category: category, from: DiskListFiles(), into: &builder)
            let store = builder.build()
            return (store, report, monotonicSeconds() - start)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}

struct ListsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load lists and report what they hold: counts per list and per category, refused lines, memory, load time.",
        discussion: """
            Every refused line is reported as FILE:LINE: 'text': what was expected
            (reason), and skipped; the rest loads. Exit codes: 0 loaded (refused lines
            are reported, not fatal), 1 with --strict when some line was refused, 2 when
            a path cannot be read or the store is full (--max-entries).

            Examples:
              rampart lists check Samples/lists/malware.txt Samples/lists/ut1
              rampart lists check ../shared/data/ut1-blacklists/blacklists --json
              rampart lists check feed.csv --format csv --category malware --strict
            """
    )

    @OptionGroup var options: ListLoadOptions

    @Flag(name: .long, help: "Print one JSON object instead of text.")
    var json = false

    @Flag(name: .long, help: "Exit 1 when any line was refused.")
    var strict = false

    @Option(name: .long, help: "Refused lines printed in text output (all kept ones go to --json: up to 1,000 per list).")
    var showRejections: Int = 20

    func run() throws {
        let (store, report, seconds) = try options.load()
        if json {
            print(Self.json(store: store, report: report, seconds: seconds).serialized())
        } else {
            printText(store: store, report: report, seconds: seconds)
        }
        if strict && report.rejected > 0 { throw ExitCode(1) }
    }

    func printText(store: IndicatorStore, report: IndicatorListSetReport, seconds: Double) {
        var shown = 0
        for list in report.lists {
            var kinds: [String] = []
            if list.domains > 0 { kinds.append("\(grouped(list.domains)) domain\(list.domains == 1 ? "" : "s")") }
            if list.urls > 0 { kinds.append("\(grouped(list.urls)) URL\(list.urls == 1 ? "" : "s")") }
            if list.addresses > 0 { kinds.append("\(grouped(list.addresses)) address\(list.addresses == 1 ? "" : "es")") }
            var line = "\(list.file) (\(list.format.rawValue)): \(grouped(list.lines)) line\(list.lines == 1 ? "" : "s"), \(grouped(list.accepted)) accepted"
            if !kinds.isEmpty { line += " (" + kinds.joined(separator: ", ") + ")" }
            if list.alreadyListed > 0 { line += ", \(grouped(list.alreadyListed)) already listed" }
            if list.ignored > 0 { line += ", \(grouped(list.ignored)) local names skipped" }
            if list.rejected > 0 { line += ", \(grouped(list.rejected)) refused" }
            print(line)
            for rejection in list.rejections where shown < showRejections {
                print("  \(rejection)")
                shown += 1
            }
        }
        for note in report.notes { print("note: \(note)") }
        let s = store.statistics
        print("")
        print("store: \(grouped(s.domains)) domains, \(grouped(s.urls)) URLs on \(grouped(s.urlHosts)) hosts, \(grouped(s.addresses)) addresses = \(grouped(s.entries)) entries from \(report.lists.count) list\(report.lists.count == 1 ? "" : "s")")
        let perEntry = s.entries > 0 ? " (\(fixed(Double(s.memoryBytes) / Double(s.entries), places: 1)) per entry" : ""
        let perDomain = s.domains > 0 ? "; domains \(fixed(Double(s.domainMemoryBytes) / Double(s.domains), places: 1)) each)" : (perEntry.isEmpty ? "" : ")")
        print("memory: \(grouped(s.memoryBytes)) bytes\(perEntry)\(perDomain)")
        print("loaded in \(fixed(seconds, places: 3)) s")
        var rows = [["category", "domains", "urls", "addresses"]]
        for category in store.categories {
            let c = s.perCategory[Int(category.rawValue)]
            rows.append([store.name(of: category), grouped(c.domains), grouped(c.urls), grouped(c.addresses)])
        }
        print("categories (\(store.categories.count)):")
        print(table(rows))
        if report.rejected > 0 {
            let more = report.rejected - shown
            print("refused: \(grouped(report.rejected)) line\(report.rejected == 1 ? "" : "s")" + (more > 0 ? " (\(grouped(more)) not shown: --show-rejections or --json)" : ""))
        }
    }

    static func json(store: IndicatorStore, report: IndicatorListSetReport, seconds: Double) -> JSONValue {
        let s = store.statistics
        let lists: [JSONValue] = report.lists.map { list in
            .object([
                ("file", .string(list.file)), ("format", .string(list.format.rawValue)), ("lines", .integer(list.lines)),
                ("domains", .integer(list.domains)), ("urls", .integer(list.urls)), ("addresses", .integer(list.addresses)),
                ("added", .integer(list.added)), ("already_listed", .integer(list.alreadyListed)),
                ("ignored", .integer(list.ignored)), ("rejected", .integer(list.rejected)),
                ("categories", .object(list.categories.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })),
                ("rejections", .array(list.rejections.map { r in
                    .object([
                        ("line", .integer(r.line)), ("text", .string(r.text)), ("reason", .string(r.problem.name)),
                        ("message", .string(r.problem.message)),
                    ])
                })),
            ])
        }
        let categories: [(String, JSONValue)] = store.categories.map { category in
            let c = s.perCategory[Int(category.rawValue)]
            return (store.name(of: category), .object([
                ("domains", .integer(c.domains)), ("urls", .integer(c.urls)), ("addresses", .integer(c.addresses)),
            ]))
        }
        return .object([
            ("lists", .array(lists)),
            ("notes", .array(report.notes.map { .string($0) })),
            ("store", .object([
                ("domains", .integer(s.domains)), ("urls", .integer(s.urls)), ("url_hosts", .integer(s.urlHosts)),
                ("addresses", .integer(s.addresses)), ("entries", .integer(s.entries)),
                ("rejected", .integer(report.rejected)), ("memory_bytes", .integer(s.memoryBytes)),
                ("domain_memory_bytes", .integer(s.domainMemoryBytes)),
                ("load_seconds", .number(fixed(seconds, places: 4))),
                ("categories", .object(categories)),
            ])),
        ])
    }
}

struct ListsLookupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lookup",
        abstract: "Load lists and answer which entry and categories match a domain name, a URL or an address.",
        discussion: """
            A name matches a listed name or its closest listed parent (www.casino.example
            matches casino.example); a URL matches the longest listed path prefix of its
            host or a parent host after normalisation, else the host as a name; an
            address matches the longest listed prefix. Unicode names are written as
            A-labels first. Each query prints one line: listed or not, the entry, its
            categories and the lists it came from. Exit codes: 0 answered (listed or
            not), 2 when a list cannot be loaded, 64 when a query is not a name, URL or
            address.

            Examples:
              rampart lists lookup Samples/lists/ut1 --name www.casino.example
              rampart lists lookup Samples/lists/ut1 Samples/lists/malware.txt --url 'http://shop.example/ads/banner.png' --ip 203.0.113.9
            """
    )

    @OptionGroup var options: ListLoadOptions

    @Option(name: .long, help: "A domain name to look up (repeatable).")
    var name: [String] = []

    @Option(name: .long, help: "A URL to look up: scheme://host/path or host/path (repeatable).")
    var url: [String] = []

    @Option(name: .long, help: "An IPv4 or IPv6 address to look up (repeatable).")
    var ip: [String] = []

    @Flag(name: .long, help: "Print one JSON object per query, one per line.")
    var json = false

    func validate() throws {
        guard !(name.isEmpty && url.isEmpty && ip.isEmpty) else {
            throw ValidationError("Give something to look up: --name example.com, --url example.com/path or --ip 192.0.2.1.")
        }
        for n in name {
            if case .failure(let problem) = DomainName.normalize(n) { throw ValidationError("--name \(n): \(problem)") }
        }
        for u in url {
            if case .failure(let problem) = ListedURL.parse(u) { throw ValidationError("--url \(u): \(problem)") }
        }
        for a in ip where IPAddress(a) == nil {
            throw ValidationError("--ip \(a): expected an IPv4 or IPv6 address (192.0.2.1, 2001:db8::1).")
        }
    }

    func run() throws {
        let (store, _, _) = try options.load()
        var buffer = URLPathBuffer()
        for query in name {
            let normal = try DomainName.normalize(query).get()
            let shown = normal == query ? query : "\(query) (\(normal))"
            answer(query: shown, kind: "name", store.domain(normal), store: store)
        }
        for query in url {
            // The hot path's own steps: the host as sent (A-labels), the raw request target
            // normalised by the lookup itself.
            let bytes = Array(query.utf8)
            let (host, target) = try bytes.withUnsafeBytes { raw in
                let parts = try ListedURL.components(raw).get()
                let host = try ListedURL.normalizedHost(UnsafeRawBufferPointer(rebasing: raw[parts.host]), bracketed: parts.isBracketed).get()
                return (host, Array(raw[parts.target]))
            }
            let lookup = host.withUnsafeBytes { h in
                target.withUnsafeBytes { t in store.classify(host: h, path: t, buffer: &buffer) }
            }
            answer(query: query, kind: "url", lookup.match, store: store, note: lookup.pathTooLong ? "path too long to normalise" : nil)
        }
        for query in ip {
            answer(query: query, kind: "ip", store.address(IPAddress(query)!), store: store)
        }
    }

    func answer(query: String, kind: String, _ match: IndicatorMatch?, store: IndicatorStore, note: String? = nil) {
        let categories = match.map { store.categories(of: $0.attributes).map { store.name(of: $0) } } ?? []
        let sources = match.map { store.sources(of: $0.attributes).map { store.name(of: $0) } } ?? []
        let how: String? = match.map { m in
            switch m.kind {
            case .domain: m.isExact ? "exact name" : "parent domain"
            case .url: m.isExact ? "exact URL" : "URL prefix"
            case .address: m.isExact ? "exact address" : "prefix /\(m.matchedLength)"
            }
        }
        if json {
            var fields: [(String, JSONValue)] = [("query", .string(query)), ("kind", .string(kind)), ("listed", .bool(match != nil))]
            if let match, let how {
                fields += [
                    ("entry", .string(store.text(of: match))), ("entry_kind", .string(match.kind.description)),
                    ("match", .string(how)), ("categories", .array(categories.map { .string($0) })),
                    ("sources", .array(sources.map { .string($0) })),
                ]
            }
            if let note { fields.append(("note", .string(note))) }
            print(JSONValue.object(fields).serialized())
            return
        }
        guard let match, let how else {
            print("\(query): not listed" + (note.map { " (\($0))" } ?? ""))
            return
        }
        print("\(query): listed — \(store.text(of: match)) (\(how)); categories: \(categories.joined(separator: ", ")); from: \(sources.joined(separator: ", "))")
    }
}
