import RampartPOSIX
import ArgumentParser
import RampartInspect
import RampartPolicy
import RampartRules
import RampartWire

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Run the firewall's engine over a capture file and write EVE JSON events.",
        discussion: """
            Reads a pcap or pcapng capture, tracks every session, decides each by the
            policy, and writes one JSON line per session (event_type "flow") and per
            decode problem (event_type "anomaly") in the shape of Suricata's EVE. A
            summary goes to standard error; a progress bar too, when standard error is a
            terminal and the file is large.

            Without --policy every session is allowed and logged (a policy whose default
            rules allow everything).

            With --rules, the Suricata rules in PATH (a .rules file, or a folder of them)
            are applied to every allowed session as Suricata would (in IDS mode: alerts say
            "allowed"; verdicts stay the policy's), whatever the policy's profiles say; each
            match is an "alert" record written beside the flows, and the rule set's load
            summary (rules active, refused and why, load and compile time) goes to standard
            error. --vars and --classification are read as by rampart rules check.

            Files: with --rules (unless --no-files), --hashes or --yara, every HTTP body
            (both directions; chunked and gzip/deflate decoded) and SMTP attachment is
            typed from its content, hashed (MD5, SHA-256) and checked against the hash
            lists and YARA rules; each is a "fileinfo" record (docs/files.md).

            With --lists (repeatable), the indicator lists in PATH (a plain, hosts or CSV
            file, or a folder in the UT1 layout, as rampart lists check reads them) are the
            ones the policy's URL filtering and DNS security profiles look names up in, as
            the firewall's spec.lists are.

            Exit codes:
              0   the whole capture was inspected
              1   the capture could not be read or is corrupt part-way (events up to that
                  point are written; the message says where)
              2   the policy, tag or rule files are invalid or unreadable (nothing inspected)
              3   the events could not be written (disk full, bad --out path)
              64  the command line is wrong

            Examples:
              rampart inspect Samples/sample.pcap --policy Samples/policy.yaml \\
                  --tags Samples/tags.yaml --out eve.json
              rampart inspect Samples/sample.pcap --rules local.rules --out eve.json
              rampart inspect capture.pcap --rules ../shared/data/et-open-2024-04/rules --out eve.json
              rampart inspect capture.pcap --hashes bad.sha256 --yara malware.yar --out eve.json
              rampart inspect web.pcap --policy policy.yaml --lists lists/ut1 --lists gambling.txt --out eve.json
            """
    )

    @Argument(help: "The capture file (pcap or pcapng); '-' reads standard input. Read a chunk at a time, so any size works.")
    var capture: String

    @Option(name: .long, help: "The policy file (YAML, kind SecurityPolicy).")
    var policy: String?

    @Option(name: .long, help: "A tag file (YAML, kind AddressTags) giving addresses their tags.")
    var tags: String?

    @Option(name: .long, help: "Suricata rules to apply to every session: a .rules file or a folder of them (e.g. --rules local.rules); matches are written as alert records.")
    var rules: String?

    @Option(name: .long, help: "With --rules: address and port variables in suricata.yaml's vars: layout (e.g. --vars suricata.yaml).")
    var vars: String?

    @Option(name: .long, help: "With --rules: classification.config (default: the one in the rules' folder, if any).")
    var classification: String?

    @Option(name: .long, help: "A list of known-bad file hashes (SHA-256 or MD5, one per line: sha256sum/md5sum output or ClamAV .hdb); repeatable. Files of HTTP and SMTP sessions are then tracked and written as fileinfo records (e.g. --hashes bad.sha256).")
    var hashes: [String] = []

    @Option(name: .long, help: "YARA rules to scan each file with: a .yar file or a folder of *.yar/*.yara; repeatable (e.g. --yara malware.yar).")
    var yara: [String] = []

    @Flag(name: .long, help: "With --rules: do not track files (no fileinfo records).")
    var noFiles = false

    @Option(name: .long, help: "Indicator lists for the policy's URL filtering and DNS security profiles: a list file or a UT1 folder (repeatable, e.g. --lists ut1/ --lists gambling.txt).")
    var lists: [String] = []

    @Option(name: .long, help: "Where to write the EVE JSON lines ('-' for standard output).")
    var out: String = "-"

    @Option(name: .long, help: "Session table capacity (memory is bounded by it; when full, sessions are evicted and counted).")
    var sessions: Int = 1 << 18

    @Flag(name: .long, help: "Verify checksums and report bad ones as anomalies (off: captures taken on a sending host carry unfinished checksums).")
    var verifyChecksums = false

    @Option(name: .long, help: "Anomaly records written per kind per second of capture time; the rest are counted and summarised in one record with \"suppressed\" (0: every one).")
    var anomaliesPerSecond: Int = AnomalyRateLimit().perKindPerSecond

    @Option(name: .long, help: "Summarise denied sessions that got no answer per source, destination port and rule over this many seconds of capture time: the first of each written whole, the rest counted in one flow_summary record (0: each its own record).")
    var summaryInterval: Int = 0

    @Option(name: .long, help: "Flow records written per second of capture time; the rest are counted in flow_summary records (0: no limit).")
    var flowsPerSecond: Int = 0

    @Flag(name: .long, help: "Do not print the summary on standard error.")
    var quiet = false

    @Flag(name: .long, help: "Never draw a progress bar.")
    var noProgress = false

    func validate() throws {
        guard sessions >= 16 && sessions <= 1 << 26 else {
            throw ValidationError("--sessions must be between 16 and 67108864 (got \(sessions)).")
        }
        guard anomaliesPerSecond >= 0 else {
            throw ValidationError("--anomalies-per-second must be 0 (no limit) or more (got \(anomaliesPerSecond)).")
        }
        guard (0 ... 86_400).contains(summaryInterval) else {
            throw ValidationError("--summary-interval must be 0 (no summaries) to 86400 seconds (got \(summaryInterval)).")
        }
        guard flowsPerSecond >= 0 else {
            throw ValidationError("--flows-per-second must be 0 (no limit) or more (got \(flowsPerSecond)).")
        }
    }

    func run() throws {
        let loaded: LoadedPolicy
        if let policy {
            loaded = try LoadedPolicy.load(policyPath: policy, tagsPath: tags)
        } else {
            loaded = try LoadedPolicy.allowAll(tagsPath: tags)
        }
        var compiled: CompiledRules?
        if let rules {
            do {
                compiled = try CompiledRules.load(path: rules, vars: vars, classification: classification, progress: !noProgress)
            } catch let e as FileReadError {
                printError("error: \(e)")
                throw ExitCode(2)
            } catch let p as RuleProblem {
                printError("error: \(p)")
                throw ExitCode(2)
            }
            if !quiet { printError(compiled!.summary) }
        }
        var files: FileInspection?
        if !hashes.isEmpty || !yara.isEmpty || (rules != nil && !noFiles) {
            do {
                files = try FileInspectionFiles.load(hashes: hashes, yara: yara)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            if !quiet && (!hashes.isEmpty || !yara.isEmpty) { printError("files: \(files!.summary)") }
        }
        var indicators: IndicatorStore?
        if !lists.isEmpty {
            var builder = IndicatorStoreBuilder()
            do {
                let report = try IndicatorListSet.load(paths: lists, from: DiskListFiles(), into: &builder)
                if !quiet && report.rejected > 0 {
                    printError("lists: \(report.rejected) lines refused (rampart lists check \(lists.joined(separator: " ")) names them)")
                }
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            indicators = builder.build()
        }
        // Streamed a chunk at a time: memory is bounded by the session table, not the file.
        let source: FileCaptureSource
        do {
            source = try FileCaptureSource(path: capture)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
        defer { source.close() }
        let writer: EventWriter
        do {
            writer = try EventWriter(path: out)
        } catch {
            printError("error: \(error)")
            throw ExitCode(3)
        }

        var configuration = EngineConfiguration()
        configuration.sessions = SessionTableConfiguration(capacity: sessions)
        configuration.verifyChecksums = verifyChecksums
        configuration.anomalyRateLimit = AnomalyRateLimit(perKindPerSecond: anomaliesPerSecond)
        configuration.records = RecordBudget(summaryIntervalSeconds: summaryInterval, flowsPerSecond: flowsPerSecond)
        var engine = Engine(configuration: configuration, policy: loaded.matcher, rules: compiled?.rules, files: files)
        engine.adoptIndicators(indicators)
        var sink = writer
        var progress = ProgressBar(label: "inspecting", enabled: !noProgress && (source.size ?? 0) > 32 << 20)
        let started = monotonicSeconds()
        var captureError: CaptureError?
        do {
            var reader = try CaptureReader(source: source)
            try engine.inspect(&reader, sink: &sink) { fraction, packets, open in
                progress.update(
                    fraction: fraction, detail: "\(grouped(packets)) packets, \(grouped(open)) sessions")
            }
        } catch {
            captureError = error
        }
        progress.finish()
        let elapsed = monotonicSeconds() - started
        let wrote = writer.close()

        if !quiet {
            printError(InspectSummary(
                capture: capture, statistics: engine.statistics, policy: loaded.matcher,
                flows: writer.flowCount, anomalies: writer.anomalyCount, alerts: writer.alertCount,
                files: engine.files == nil ? nil : (writer.fileCount, writer.maliciousCount),
                detection: engine.rules == nil ? nil : engine.detectionStatistics, seconds: elapsed).text)
        }
        if let captureError {
            printError("error: \(capture): \(captureError)")
            printError("The events up to that point were written. If the capture was still being written, wait and retry; otherwise it is damaged.")
            throw ExitCode(1)
        }
        if !wrote {
            printError("error: could not write all events to \(out) (disk full or not writable?)")
            throw ExitCode(3)
        }
    }
}

extension LoadedPolicy {
    /// The policy used without --policy: no rules, and both default rules allow and log.
    static let allowAllYAML = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata:
          name: allow-all
        spec:
          defaults:
            intrazone: {action: allow, log: {end: true}}
            interzone: {action: allow, log: {end: true}}
        """

    static func allowAll(tagsPath: String?) throws -> LoadedPolicy {
        do {
            let document = try PolicyLoader.load(yaml: allowAllYAML, file: "<built-in allow-all policy>")
            var tags: [(IPAddress, [Tag])] = []
            if let tagsPath { tags = try TagFile.load(yaml: try readTextFile(tagsPath), file: tagsPath) }
            return LoadedPolicy(document: document, matcher: try PolicyMatcher(document, tags: tags), tagCount: tags.count)
        } catch let errors as PolicyErrors {
            printError(errors.description)
            throw ExitCode(2)
        } catch let error as FileReadError {
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }
}
