#if canImport(Glibc)
import RampartPOSIX
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import RampartInspect
import RampartJSON
import RampartRules
import RampartVersion

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Work with Suricata rule files (threat signatures).",
        subcommands: [RulesCheckCommand.self]
    )
}

struct RulesCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load Suricata 7 rules and report which load and why the others do not.",
        discussion: """
            PATH is a rules file or a folder; in a folder every *.rules file is read (not
            its subfolders), in name order. Each enabled rule either loads or is refused;
            rules commented out (# alert ...) are counted and ignored. The report gives the
            rules seen, loaded and the share loaded, every refused rule as
            FILE:LINE:COLUMN: sid N KEYWORD: reason, and the count of refusals per reason.
            The supported language is described in docs/threats.md.

            Variables ($HOME_NET, $HTTP_PORTS ...) default to Suricata's suricata.yaml;
            --vars reads a file in suricata.yaml's vars: layout. classification.config is
            read from --classification, else from PATH's folder when it has one.

            With --matcher the set is also compiled for the engine (prefilter databases,
            pcre programs), and the rules the parser loads but the engine cannot run yet
            (an application App-ID does not name, a buffer no decoder feeds, xbits ...)
            are counted as refused, each with its reason.

            Exit codes:
              0   the share of rules loaded is at least --min-share (default: every rule)
              1   fewer rules loaded than --min-share asks
              2   PATH, --vars or --classification cannot be read or is malformed

            Examples:
              rampart rules check ../shared/data/et-open-2024-04/rules --min-share 0.95
              rampart rules check ../shared/data/et-open-2024-04/rules --matcher --min-share 0.8
            """,
        version: RampartVersion.current
    )

    @Argument(help: "A rules file, or a folder of *.rules files.")
    var path: String

    @Option(name: .long, help: "Address and port variables in suricata.yaml's vars: layout (address-groups, port-groups).")
    var vars: String?

    @Option(name: .long, help: "classification.config giving each classtype its description and priority.")
    var classification: String?

    @Flag(name: .long, help: "Write the report as one JSON object on standard output.")
    var json = false

    @Option(name: .long, help: "The share of enabled rules (0-1) that must load for exit code 0.")
    var minShare: Double = 1.0

    @Flag(name: .long, help: "Also compile the set for the matcher and count as refused the rules it cannot run (a buffer or keyword the engine does not feed yet), e.g. rampart rules check local.rules --matcher.")
    var matcher = false

    func validate() throws {
        guard minShare >= 0, minShare <= 1 else { throw ValidationError("--min-share must be between 0 and 1, e.g. --min-share 0.95") }
    }

    func run() throws {
        let started = monotonicSeconds()
        let loaded: RuleSetFiles
        do {
            loaded = try RuleSetFiles.load(path: path, vars: vars, classification: classification, progress: true)
        } catch let e as FileReadError {
            printError("error: \(e)")
            throw ExitCode(2)
        } catch let p as RuleProblem {
            printError("error: \(p)")
            throw ExitCode(2)
        }
        var report = loaded.report
        var active = loaded.set.rules.count
        if matcher {
            // The matcher's own refusals: rules the parser loads but the engine cannot feed.
            let compiled = try DetectionRuleSet(loaded.set)
            report.refused += compiled.report.refused
            report.refused.sort { ($0.file, $0.line) < ($1.file, $1.line) }
            report.loaded = compiled.report.active
            active = compiled.report.active
        }
        let seconds = monotonicSeconds() - started
        if json {
            print(reportJSON(report, loaded: active, seconds: seconds))
        } else {
            printText(report, files: loaded.files.count, seconds: seconds, classificationSource: loaded.classificationSource)
        }
        if report.shareLoaded < minShare { throw ExitCode(1) }
    }

    func printText(_ r: RuleLoadReport, files: Int, seconds: Double, classificationSource: String) {
        print("\(path): \(grouped(files)) file\(files == 1 ? "" : "s"), \(grouped(r.enabled)) rules enabled (\(grouped(r.commentedOut)) commented out, ignored)")
        print("classification: \(classificationSource)")
        print("loaded \(grouped(r.loaded)) of \(grouped(r.enabled)) (\(fixed(r.shareLoaded * 100, places: 2)) %) in \(fixed(seconds, places: 2)) s")
        if !r.unknownClasstypes.isEmpty {
            let names = r.unknownClasstypes.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }
            print("unknown classtypes, loaded with priority 3: \(names.joined(separator: ", "))")
        }
        guard !r.refused.isEmpty else { return }
        print("refused \(grouped(r.refused.count)):")
        for p in r.refused { print("  \(p)") }
        print("refusals by reason:")
        print(table(r.reasons.map { [grouped($0.count), $0.reason] }))
    }

    func reportJSON(_ r: RuleLoadReport, loaded: Int, seconds: Double) -> String {
        func s(_ t: String) -> String { JSONValue.quoted(t) }
        let refused = r.refused.map { p in
            "{\"file\":\(s(p.file)),\"line\":\(p.line),\"column\":\(p.column),\"sid\":\(p.sid.map(String.init) ?? "null"),"
                + "\"keyword\":\(p.keyword.map(s) ?? "null"),\"kind\":\(s(p.kind.rawValue)),\"reason\":\(s(p.reason)),\"message\":\(s(p.message))}"
        }
        let reasons = r.reasons.map { "{\"reason\":\(s($0.reason)),\"count\":\($0.count)}" }
        return "{\"path\":\(s(path)),\"files\":\(r.files),\"enabled\":\(r.enabled),\"commented_out\":\(r.commentedOut),"
            + "\"loaded\":\(loaded),\"share_loaded\":\(fixed(r.shareLoaded, places: 6)),\"seconds\":\(fixed(seconds, places: 3)),"
            + "\"reasons\":[\(reasons.joined(separator: ","))],\"refused\":[\(refused.joined(separator: ","))]}"
    }
}

/// PATH itself when it is a file; the *.rules files of PATH, in name order, when a folder.
func ruleFiles(_ path: String) throws -> [String] {
    if isRegularFile(path) { return [path] }
    guard isDirectory(path), let dir = opendir(path) else {
        throw FileReadError(path: path, reason: "no such file or folder (check the path)")
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        if name.hasSuffix(".rules"), isRegularFile(path + "/" + name) { names.append(name) }
    }
    guard !names.isEmpty else { throw FileReadError(path: path, reason: "the folder has no *.rules file") }
    return names.sorted().map { path + "/" + $0 }
}

func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
}

func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

func parentFolder(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}
