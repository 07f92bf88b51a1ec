import FoundationEssentials
import RampartHTTP
import RampartInspect
import RampartJSON
import RampartLog
import RampartPOSIX
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Fetches the firewall's external dynamic lists on their schedules, on a thread of its own
/// (never a packet thread). A new copy is checked as a list before it replaces the last good
/// one on disk, then `changed` is called once per round (the firewall reloads, and the
/// workers adopt the new store between batches like a new policy). A failed or refused
/// fetch keeps the last good copy in force and says so: a warning log line, the feed's
/// `stale` gauge and its outcome counter on `/metrics`.
///
/// ```swift
/// let fetcher = ListFeedFetcher(feeds: feeds, log: log) { board.requestReload() }
/// fetcher.start()        // fetches each feed now, then every `refreshSeconds`
/// fetcher.prometheusText()
/// ```
public final class ListFeedFetcher: Sendable {
    public let feeds: [ListFeed]
    let log: LogWriter
    let changed: @Sendable () -> Void
    let state: Mutex<[ListFeedStatus]>
    let stopSignal = StopSignal()
    let thread = Mutex<NamedThread.Handle?>(nil)

    public init(feeds: [ListFeed], log: LogWriter, changed: @escaping @Sendable () -> Void) {
        self.feeds = feeds
        self.log = log
        self.changed = changed
        var initial: [ListFeedStatus] = []
        for feed in feeds {
            var status = ListFeedStatus(name: feed.name, url: feed.url)
            // A copy left by an earlier run is in force until the first fetch.
            if let bytes = try? readFileBytes(feed.cachePath, limit: feed.maxBytes),
               case .success(let entries) = ListFeedFetcher.check(bytes, feed: feed) {
                status.entries = entries
            }
            initial.append(status)
        }
        state = Mutex(initial)
    }

    public var status: [ListFeedStatus] { state.withLock { $0 } }

    /// Fetches every feed now, then each when it is due, until `stop()`.
    public func start() {
        guard !feeds.isEmpty else { return }
        let started = NamedThread.start(name: "list feeds") { [self] in run() }
        thread.withLock { $0 = started }
    }

    public func stop() {
        stopSignal.stop()
        if let running = thread.withLock({ $0 }) { while !running.isFinished { usleepSeconds(0.01) } }
    }

    private func run() {
        var due = [Double](repeating: 0, count: feeds.count)
        while !stopSignal.isStopped {
            let now = Self.clock()
            var anyChange = false
            for (i, feed) in feeds.enumerated() where due[i] <= now {
                if refresh(i) == .updated { anyChange = true }
                due[i] = Self.clock() + max(ListFeed.minimumRefresh, feed.refreshSeconds)
            }
            if anyChange { changed() }
            let next = due.min() ?? now + 1
            stopSignal.sleep(max(0.05, min(1, next - Self.clock())))
        }
    }

    /// Fetches one feed now and writes its new copy if it passes; what it came to.
    @discardableResult
    public func refresh(_ index: Int) -> ListFeedOutcome {
        let feed = feeds[index]
        let previous = state.withLock { $0[index] }
        let (outcome, entries, problem) = fetch(feed)
        let now = Self.clock()
        state.withLock { all in
            all[index].lastAttempt = now
            all[index].outcomes[outcome, default: 0] += 1
            switch outcome {
            case .updated, .unchanged:
                all[index].lastSuccess = now
                all[index].lastError = nil
                if let entries { all[index].entries = entries }
            case .failed, .refused:
                all[index].lastError = problem
            }
        }
        let fields: [(String, JSONValue)] = [("list", .string(feed.name)), ("url", .string(feed.url))]
        switch outcome {
        case .updated:
            log.info("list-updated", "list \(feed.name): \(entries ?? 0) entries from \(feed.url)",
                     fields + [("entries", .integer(Int64(entries ?? 0)))])
        case .unchanged:
            if previous.lastError != nil { log.info("list-recovered", "list \(feed.name): \(feed.url) answers again; the copy in force is current", fields) }
        case .failed, .refused:
            let kept = previous.entries.map { "the last good copy (\($0) entries) stays in force" }
                ?? "no copy yet: the list is empty until a fetch succeeds"
            log.warning(outcome == .failed ? "list-fetch-failed" : "list-refused",
                        "list \(feed.name): \(problem ?? "?"); \(kept)", fields + [("problem", .string(problem ?? ""))])
        }
        return outcome
    }

    private func fetch(_ feed: ListFeed) -> (ListFeedOutcome, Int?, String?) {
        var headers: [String] = []
        let validators = (try? readFileBytes(feed.cachePath + ".validators", limit: 4096)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let haveCopy = access(feed.cachePath, R_OK) == 0
        if haveCopy {
            for line in validators.split(separator: "\n") {
                if line.hasPrefix("etag: ") { headers.append("If-None-Match: \(line.dropFirst(6))") }
                if line.hasPrefix("last-modified: ") { headers.append("If-Modified-Since: \(line.dropFirst(15))") }
            }
        }
        var tls: TLSSettings?
        do {
            if let caFile = feed.caFile { tls = TLSSettings(certificateAuthority: try readFileBytes(caFile, limit: 1 << 20)) }
            if let tokenFile = feed.tokenFile {
                let token = String(decoding: try readFileBytes(tokenFile, limit: 4096), as: UTF8.self)
                    .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
                headers.append("Authorization: Bearer \(token.trimming(.whitespaces))")
            }
        } catch {
            return (.failed, nil, "cannot read \(error)")
        }
        let response: HTTPResponse
        do {
            let connection = try HTTPConnection(tls: tls, connectTimeout: 5)
            response = try connection.request(url: feed.url, headers: headers, timeout: 60, maxBodyBytes: feed.maxBytes)
        } catch {
            return (.failed, nil, "\(error)")
        }
        if response.status == 304 && haveCopy { return (.unchanged, nil, nil) }
        guard response.status == 200 else {
            return (.failed, nil, "\(feed.url) answered \(response.status)")
        }
        if haveCopy, let old = try? readFileBytes(feed.cachePath, limit: feed.maxBytes), old == response.body {
            return (.unchanged, nil, nil)
        }
        let entries: Int
        switch Self.check(response.body, feed: feed) {
        case .success(let n): entries = n
        case .failure(let problem): return (.refused, nil, problem.description)
        }
        var kept = ""
        if let etag = response.headers["etag"] { kept += "etag: \(etag)\n" }
        if let modified = response.headers["last-modified"] { kept += "last-modified: \(modified)\n" }
        do {
            try Data(response.body).write(to: URL(fileURLWithPath: feed.cachePath), options: .atomic)
            try Data(kept.utf8).write(to: URL(fileURLWithPath: feed.cachePath + ".validators"), options: .atomic)
        } catch {
            return (.failed, nil, "cannot write the copy to \(feed.cachePath): \(error)")
        }
        return (.updated, entries, nil)
    }

    /// Whether `bytes` are a list worth putting in force: loaded into a scratch store, at
    /// least one entry and no more refused lines than good ones (an HTML error page served
    /// with status 200 is not a list); the number of entries.
    public static func check(_ bytes: [UInt8], feed: ListFeed) -> Result<Int, ListFeedProblem> {
        var builder = IndicatorStoreBuilder()
        let report: IndicatorListReport
        do {
            report = try bytes.withUnsafeBytes { raw throws(IndicatorListLoadError) in
                let format = IndicatorListFormat.guess(fileName: feed.url, bytes: raw)
                return try IndicatorListLoader.load(raw, IndicatorList(file: feed.name, format: format, category: feed.name), into: &builder)
            }
        } catch {
            return .failure(ListFeedProblem("not loadable: \(error)"))
        }
        if report.accepted == 0 { return .failure(ListFeedProblem("the answer holds no entry (\(report.rejected) lines refused)")) }
        if report.rejected > report.accepted {
            let first = report.rejections.first.map { "; first: \($0)" } ?? ""
            return .failure(ListFeedProblem("\(report.rejected) of \(report.rejected + report.accepted) lines refused: not a list\(first)"))
        }
        return .success(report.accepted)
    }

    /// The feeds' gauges and counters in Prometheus text.
    public func prometheusText() -> String {
        var page = PrometheusText()
        let all = status
        page.family("rampart_list_feed_fetches_total", .counter, "Fetches of external dynamic lists, by outcome.",
                    all.flatMap { feed in
                        ListFeedOutcome.allCases.map { (labels: [("list", feed.name), ("outcome", $0.rawValue)], value: feed.outcomes[$0] ?? 0) }
                    })
        page.family("rampart_list_feed_stale", .gauge,
                    "1 when the last fetch failed or was refused: an older copy, or none, is in force.",
                    all.map { (labels: [("list", $0.name)], value: $0.stale ? 1 : 0) })
        page.family("rampart_list_feed_entries", .gauge, "Entries in the copy in force (absent before the first good copy).",
                    all.compactMap { feed in feed.entries.map { (labels: [("list", feed.name)], value: $0) } })
        page.family("rampart_list_feed_last_success_timestamp_seconds", .gauge,
                    "Unix time the copy in force was last fetched or confirmed.",
                    all.compactMap { feed in feed.lastSuccess.map { (labels: [("list", feed.name)], value: String(Int64($0))) } })
        return page.text
    }

    static func clock() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

/// Why a fetched copy was not put in force.
public struct ListFeedProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
