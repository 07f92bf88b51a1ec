import ArgumentParser
import FoundationEssentials
import RampartManager
import RampartPOSIX

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the manager's parts.",
        subcommands: [BenchLogs.self])
}

struct BenchLogs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Ingest synthetic EVE flow records into a log store (SQLite, PostgreSQL, or both side by side), then time the one-pod-last-hour query.",
        discussion: """
            The records are flows between pods of --namespaces namespaces, spread evenly over
            the last --hours, parsed and written exactly as records from firewalls are (batches
            of 50,000 per transaction). By default they are ingested on the calling thread
            (the store's engine: parsing and writing; making the lines is not counted), in
            records per second of wall time and of the thread's CPU time. With --over-tcp
            the whole path is timed instead: the records as octet-counted syslog messages
            over TCP into a running receiver, until the last one is committed (CPU time then
            of the whole process). The query is GET /logs?pod=NS/NAME&since=1h for a
            different pod each run. An existing store is added to (--records 0 only queries).
            With both --store and --postgres, the same records go to each, one after the other.

            Example:
              rampart-manager bench logs --store /tmp/logs.sqlite --records 10000000 --pods 1000
              rampart-manager bench logs --store /tmp/logs.sqlite --postgres postgres://bench@%2Ftmp%2Fpg/logs --over-tcp --records 1000000
              rampart-manager bench logs --store /tmp/logs-audits.sqlite --records 1000000 --audits
            """)

    @Option(help: "The SQLite file (created if missing).")
    var store: String?
    @Option(help: "A PostgreSQL store: a postgres:// URI (host may be a socket folder, %2F-encoded).")
    var postgres: String?
    @Option(help: "The file holding the PostgreSQL password.")
    var passwordFile: String?
    @Flag(help: "Time the whole path: syslog over TCP into a running receiver until committed.")
    var overTcp = false
    @Option(help: "Records to ingest.")
    var records = 1_000_000
    @Option(help: "Pods the records are between.")
    var pods = 1000
    @Option(help: "Namespaces the pods are in.")
    var namespaces = 20
    @Option(help: "Hours the records span, ending now.")
    var hours = 24.0
    @Option(help: "Query runs.")
    var runs = 20
    @Flag(help: "Runtime audits on (spec.audits' defaults, learning 1 h of record time): every batch is judged before it is written.")
    var audits = false

    func validate() throws {
        guard store != nil || postgres != nil else { throw ValidationError("give --store FILE, --postgres URI, or both") }
    }

    func run() throws {
        var targets: [(String, LogStoreConfiguration)] = []
        if let store {
            var settings = LogStoreConfiguration()
            settings.store = store
            targets.append(("sqlite", settings))
        }
        if let postgres {
            var settings = LogStoreConfiguration()
            settings.postgres = PostgresLogSettings(parameters: ["dbname": postgres], passwordFile: passwordFile)
            targets.append(("postgres", settings))
        }
        let now = Date().timeIntervalSince1970
        for (label, settings) in targets {
            do {
                let logStore = try LogService.openStore(settings)
                var bench = LogBenchmark(store: logStore, pods: pods, namespaces: namespaces)
                if audits {
                    var settings = AuditSettings()
                    settings.learningSeconds = 3600
                    bench.auditor = RuntimeAuditor(settings: settings) { StandardError.write($0 + "\n") }
                }
                if records > 0 {
                    if overTcp {
                        let result = try bench.ingestOverTCP(records: records, settings: settings, now: now, hours: hours) { StandardError.write($0 + "\n") }
                        print("\(label) ingest over TCP: \(result.records) records in \(cFormat("%.1f", result.seconds)) s = \(Int(result.perSecond)) records/s (syslog frames sent until committed; \(cFormat("%.1f", result.cpuSeconds)) s of the process's CPU time = \(Int(result.perCPUSecond)) records per CPU second)")
                    } else {
                        let result = try bench.ingest(records: records, now: now, hours: hours) { done in
                            StandardError.write("  \(done) records\n")
                        }
                        print("\(label) ingest: \(result.records) records in \(cFormat("%.1f", result.seconds)) s = \(Int(result.perSecond)) records/s (one thread; \(cFormat("%.1f", result.cpuSeconds)) s of its CPU time = \(Int(result.perCPUSecond)) records per CPU second)")
                    }
                    try logStore.analyze()
                }
                let total = try logStore.count()
                let query = try bench.queryOnePod(now: now, runs: runs)
                print("\(label) query one pod, last hour, over \(total) records: median \(cFormat("%.1f", query.median)) ms, worst \(cFormat("%.1f", query.worst)) ms (\(query.rows) rows each, \(runs) runs)")
                print("\(label) store: \(try logStore.liveBytes() / 1_048_576) MiB")
            } catch {
                StandardError.write("rampart-manager: \(label): \(error)\n")
                throw ExitCode(1)
            }
        }
    }
}
