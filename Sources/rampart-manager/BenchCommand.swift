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
        abstract: "Ingest synthetic EVE flow records into a log store on one thread, then time the one-pod-last-hour query.",
        discussion: """
            The records are flows between pods of --namespaces namespaces, spread evenly over
            the last --hours, parsed and written exactly as records from firewalls are (batches
            of 50,000 per transaction). Ingest is reported in records per second of wall time
            and of the thread's CPU time (parsing and writing; making the lines is not
            counted); the query is GET /logs?pod=NS/NAME&since=1h for a different pod each
            run. An existing store is added to (--records 0 only queries).

            Example:
              rampart-manager bench logs --store /tmp/logs.sqlite --records 10000000 --pods 1000
              rampart-manager bench logs --store /tmp/logs-audits.sqlite --records 1000000 --audits
            """)

    @Option(help: "The SQLite file (created if missing).")
    var store: String
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

    func run() throws {
        do {
            let logStore = try LogStore(path: store)
            var bench = LogBenchmark(store: logStore, pods: pods, namespaces: namespaces)
            if audits {
                var settings = AuditSettings()
                settings.learningSeconds = 3600
                bench.auditor = RuntimeAuditor(settings: settings) { StandardError.write($0 + "\n") }
            }
            let now = Date().timeIntervalSince1970
            if records > 0 {
                let result = try bench.ingest(records: records, now: now, hours: hours) { done in
                    StandardError.write("  \(done) records\n")
                }
                print("ingest: \(result.records) records in \(cFormat("%.1f", result.seconds)) s = \(Int(result.perSecond)) records/s (one thread; \(cFormat("%.1f", result.cpuSeconds)) s of its CPU time = \(Int(result.perCPUSecond)) records per CPU second)")
                try logStore.analyze()
            }
            let total = try logStore.count()
            let query = try bench.queryOnePod(now: now, runs: runs)
            print("query one pod, last hour, over \(total) records: median \(cFormat("%.1f", query.median)) ms, worst \(cFormat("%.1f", query.worst)) ms (\(query.rows) rows each, \(runs) runs)")
            print("store: \(try logStore.liveBytes() / 1_048_576) MiB")
        } catch {
            StandardError.write("rampart-manager: \(error)\n")
            throw ExitCode(1)
        }
    }
}
