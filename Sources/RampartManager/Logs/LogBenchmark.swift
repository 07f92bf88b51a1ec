#if canImport(Glibc)
import Glibc
#endif
import RampartPOSIX
import RampartWire

/// `rampart-manager bench logs`: synthetic EVE flow records from pods of a few namespaces,
/// spread over the last `hours`, ingested on the calling thread exactly as the log store
/// ingests them (each line parsed into a `LogRecord` with both ends' tags, written in
/// batches of `LogService.batchLimit` per transaction); then the one-pod-last-hour query, timed.
///
/// ```swift
/// let bench = LogBenchmark(store: store, pods: 1000)
/// let ingest = try bench.ingest(records: 1_000_000, now: now, hours: 24)
/// let query = try bench.queryOnePod(now: now, runs: 20)
/// ```
public struct LogBenchmark {
    public let store: any LogBackend
    public let pods: Int
    public let namespaces: Int
    private var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
    private let apps = ["http", "tls", "postgresql", "dns", "redis", "ssh", "kafka", "mysql"]
    private let actions = ["allow", "allow", "allow", "allow", "deny", "reset-client"]

    /// The manager's map for the synthetic pods, made once (as the manager holds its map).
    private var map: [String: [String]] = [:]

    /// Runtime audits judging every batch before it is written, as the log service does (nil: none).
    public var auditor: RuntimeAuditor?

    public init(store: any LogBackend, pods: Int = 1000, namespaces: Int = 20) {
        self.store = store
        self.pods = max(pods, 2)
        self.namespaces = max(namespaces, 1)
        for pod in 0 ..< self.pods { map[address(of: pod)] = makeTags(pod) }
    }

    public func address(of pod: Int) -> String { "10.\(128 + pod / 65536).\(pod / 256 % 256).\(pod % 256)" }
    public func namespace(of pod: Int) -> String { "ns-\(pod % namespaces)" }
    public func name(of pod: Int) -> String { "\(namespace(of: pod))/web-\(pod)" }

    public func tags(of address: String) -> [String]? { map[address] }

    private func makeTags(_ pod: Int) -> [String] {
        let ns = namespace(of: pod)
        return ["cluster:prod", "kind:pod", "ns:\(ns)", "pod:\(name(of: pod))", "workload:web-\(pod % 50)", "workload-kind:deployment",
                "label:app=web-\(pod % 50)", "serviceaccount:default"]
    }

    private mutating func next() -> UInt64 {
        seed ^= seed << 13
        seed ^= seed >> 7
        seed ^= seed << 17
        return seed
    }

    /// One EVE flow line between two random pods at `time` (Unix seconds).
    mutating func line(time: Double) -> String {
        let client = Int(next() % UInt64(pods)), server = Int(next() % UInt64(pods))
        let app = apps[Int(next() % UInt64(apps.count))]
        let action = actions[Int(next() % UInt64(actions.count))]
        let port = 1024 + Int(next() % 60000)
        let stamp = RFC3339.string(time).dropLast() + "000+0000"
        let clientTags = tags(of: address(of: client)) ?? [], serverTags = tags(of: address(of: server)) ?? []
        return "{\"timestamp\":\"\(stamp)\",\"flow_id\":\(next() % 1_000_000_000_000),\"event_type\":\"flow\",\"src_ip\":\"\(address(of: client))\","
            + "\"src_port\":\(port),\"dest_ip\":\"\(address(of: server))\",\"dest_port\":5432,\"proto\":\"TCP\",\"app_proto\":\"\(app)\","
            + "\"flow\":{\"pkts_toserver\":12,\"pkts_toclient\":10,\"bytes_toserver\":1804,\"bytes_toclient\":5210,\"start\":\"\(stamp)\","
            + "\"end\":\"\(stamp)\",\"age\":0,\"state\":\"closed\",\"reason\":\"tcp\",\"alerted\":false,\"action\":\"\(action)\"},"
            + "\"rampart\":{\"rule\":\"rule-\(next() % 40)\",\"action\":\"\(action)\",\"end_reason\":\"fin\",\"app\":\"\(app)\","
            + "\"src_zone\":\"pods\",\"dest_zone\":\"pods\",\"src_tags\":[\(clientTags.map { "\"\($0)\"" }.joined(separator: ","))],"
            + "\"dest_tags\":[\(serverTags.map { "\"\($0)\"" }.joined(separator: ","))]}}"
    }

    public struct IngestResult: Sendable {
        public var records: Int
        /// Parsing and writing only (making the lines is not counted): wall time, and the
        /// thread's CPU time (user and system; the machine may be shared).
        public var seconds: Double
        public var cpuSeconds: Double
        public var perSecond: Double { Double(records) / max(seconds, 1e-9) }
        public var perCPUSecond: Double { Double(records) / max(cpuSeconds, 1e-9) }
    }

    /// Ingests `records` lines with times spread evenly over the `hours` before `now`, oldest first.
    public mutating func ingest(records: Int, now: Double, hours: Double, progress: (Int) -> Void = { _ in }) throws(StoreError) -> IngestResult {
        var spent = 0.0, cpu = 0.0
        var done = 0
        let step = hours * 3600 / Double(max(records, 1))
        while done < records {
            let count = min(LogService.batchLimit, records - done)
            var lines: [String] = []
            lines.reserveCapacity(count)
            for index in 0 ..< count { lines.append(line(time: now - hours * 3600 + Double(done + index) * step)) }
            let started = LogBenchmark.monotonic(), startedCPU = LogBenchmark.threadCPU()
            var batch = lines.compactMap { LogRecord(eve: $0, firewall: "fw-bench", tags: tags(of:)) }
            if let auditor { batch += auditor.observe(batch) }
            try store.insert(batch)
            spent += LogBenchmark.monotonic() - started
            cpu += LogBenchmark.threadCPU() - startedCPU
            done += count
            if done % 1_000_000 < LogService.batchLimit { progress(done) }
        }
        return IngestResult(records: done, seconds: spent, cpuSeconds: cpu)
    }

    /// The whole path: the records as RFC 5424 messages, octet-counted, sent over one TCP
    /// connection from another thread into a running `LogService` (its receiver, queue and
    /// writer thread), timed from the first byte sent until the last record is committed.
    /// The messages are made before the clock starts.
    public mutating func ingestOverTCP(records: Int, settings: LogStoreConfiguration, now: Double, hours: Double,
                                       log: @escaping @Sendable (String) -> Void) throws -> IngestResult {
        var settings = settings
        settings.listen = "127.0.0.1:0"
        settings.sources = [IPNetwork("127.0.0.0/8")!]
        let map = self.map
        let service = try LogService(settings: settings, firewalls: [], tags: { map[$0] }, log: log)
        try service.listen(firewalls: [])
        service.start()
        defer { service.stop() }
        guard let port = service.receiver?.local.split(separator: ":").last.flatMap({ UInt16($0) }) else { throw StoreError("no port") }
        var frames: [UInt8] = []
        frames.reserveCapacity(records * 1200)
        let step = hours * 3600 / Double(max(records, 1))
        for index in 0 ..< records {
            let message = "<134>1 - fw-bench rampart-firewall - flow - " + line(time: now - hours * 3600 + Double(index) * step)
            frames += Array("\(message.utf8.count) ".utf8)
            frames += Array(message.utf8)
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw StoreError("cannot connect to the receiver on 127.0.0.1:\(port)") }
        let before = service.storedRecords
        let started = LogBenchmark.monotonic(), startedCPU = LogBenchmark.processCPU()
        var sent = 0
        while sent < frames.count {
            let n = frames.withUnsafeBytes { send(fd, $0.baseAddress! + sent, min(1 << 20, $0.count - sent), Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw StoreError("sending to the receiver failed: errno \(errno)") }
            sent += n
        }
        while service.storedRecords - before < records {
            guard service.unreadableRecords == 0 else { throw StoreError("the receiver could not read \(service.unreadableRecords) records") }
            usleep(1_000)
        }
        let seconds = LogBenchmark.monotonic() - started, cpu = LogBenchmark.processCPU() - startedCPU
        return IngestResult(records: records, seconds: seconds, cpuSeconds: cpu)
    }

    public struct QueryResult: Sendable {
        public var rows: Int
        /// Milliseconds per run, sorted.
        public var milliseconds: [Double]
        public var median: Double { milliseconds[milliseconds.count / 2] }
        public var worst: Double { milliseconds.last ?? 0 }
    }

    /// `GET /logs?pod=NS/NAME&since=1h&limit=LIMIT` for a different pod each run.
    public func queryOnePod(now: Double, runs: Int = 20, limit: Int = 1000) throws(StoreError) -> QueryResult {
        var times: [Double] = []
        var rows = 0
        for run in 0 ..< max(runs, 1) {
            var query = LogQuery()
            query.pod = name(of: (run * 7919) % pods)
            query.from = Int64((now - 3600) * 1000)
            query.limit = limit
            let started = LogBenchmark.monotonic()
            rows += try store.search(query).count
            times.append((LogBenchmark.monotonic() - started) * 1000)
        }
        return QueryResult(rows: rows / max(runs, 1), milliseconds: times.sorted())
    }

    /// The process's CPU time (all threads: the TCP mode's sender, receiver and writer).
    static func processCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func threadCPU() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func monotonic() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
