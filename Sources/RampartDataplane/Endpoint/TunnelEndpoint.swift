#if canImport(Glibc)
import Glibc
#endif
import RampartInspect
import RampartLog
import RampartPolicy
import RampartWire

/// The firewall's I/O loop on one thread: waits on the tunnel socket and the signal
/// descriptor, receives batches with `recvmmsg`, runs them through the worker, sends what
/// it queued with `sendmmsg` (never blocking: what the kernel refuses is counted), and
/// between batches publishes counters, adopts the policy the board published and watches
/// for shutdown.
///
/// ```swift
/// board.setPolicyLoader { try PolicyRelease.Content(ConfigurationFile.load(path: path)) }
/// let endpoint = TunnelEndpoint(socket: socket, worker: worker, board: board, signals: signals)
/// endpoint.run()     // returns on SIGTERM/SIGINT after flushing session records
/// ```
public final class TunnelEndpoint {
    public let socket: TunnelSocket
    public let worker: FirewallWorker<EventLog>
    public let board: MetricsBoard
    public let signals: SignalSource?
    /// Whether a reload decides existing sessions again (`FirewallConfiguration.rematchOnReload`).
    public var rematchOnReload = false
    /// Where reload outcomes and refused senders are reported: level, event, message
    /// (JSON lines on standard error by default).
    public var log: (LogLevel, String, String) -> Void = { level, event, message in
        LogWriter(component: "rampart-firewall").write(level, event, message)
    }
    public var publishIntervalNanoseconds: Int64 = 250_000_000
    /// Session table slots looked at per publish interval for timeouts when packets are few
    /// (packets sweep a few each too): 65,536 every 250 ms passes over a 262,144-session table
    /// (524,288 slots) in 2 s, at a cost of well under a millisecond per pass.
    public var idleSweepSlots = 65_536
    /// Batches read back to back before looking at signals again.
    public var batchesPerWakeup = 16
    /// Whether runs of queued datagrams (same peer and length) leave as one UDP GSO send
    /// each; set by `enableOffloads`. Turned off by itself when the kernel keeps refusing.
    public private(set) var segmentedSend = false
    let segmented: SegmentBatch
    /// Segmented sends refused in a row (EIO/EINVAL); at `segmentedFailureLimit` the
    /// endpoint stops trying.
    var segmentedFailures = 0
    static var segmentedFailureLimit: Int { 16 }
    var ruleNames: [String]
    /// Tags set through the admin API, applied again to the matcher of every reload.
    var apiTags: [IPAddress: [Tag]] = [:]
    /// For each address in `apiTags`: the tags the configuration file gives it (restored
    /// when the admin map drops the address).
    var fileTags: [IPAddress: [Tag]] = [:]
    var stopping = false

    /// This worker's index (its slot on the board).
    public let index: Int
    /// The generation of the policy this worker runs (the board's `publishedPolicyGeneration`
    /// once adopted).
    public private(set) var policyGeneration: Int
    var tagCursor = 0
    /// `board.tagBatches` when this worker last looked: the mutex is taken only when it moved.
    var tagBatchesSeen = 0
    /// Tag work taken from the board and not yet applied, oldest first: a big batch is
    /// applied a slice at a time between packet batches, never all at once.
    var pendingTags: [PendingTagWork] = []
    /// Tag updates applied per turn of the loop at most (a 200,000-address resync once held
    /// forwarding for seconds). Each address changes whole; a batch's addresses change in
    /// order, a slice per turn.
    public var tagSliceSize = 2048
    /// Whether tag work is waiting for the next turn of the loop.
    public var hasPendingTags: Bool { !pendingTags.isEmpty }

    /// - Parameter signals: the signal descriptor when this loop handles signals itself (one
    ///   worker); with several workers the main thread reads signals and asks through `board`.
    public init(socket: TunnelSocket, worker: FirewallWorker<EventLog>, board: MetricsBoard, signals: SignalSource?, index: Int = 0) {
        self.index = index
        policyGeneration = board.publishedPolicyGeneration
        self.socket = socket
        self.worker = worker
        self.board = board
        self.signals = signals
        ruleNames = worker.engine.policy.rules.map(\.name)
        segmented = SegmentBatch(capacity: worker.outgoing.capacity)
    }

    /// Turns on UDP GRO on the socket (`receive`) and UDP GSO sends (`send`) where the
    /// kernel offers them; returns what is on.
    ///
    /// ```swift
    /// let on = endpoint.enableOffloads(receive: settings.udpGRO, send: settings.udpGSO)
    /// ```
    @discardableResult
    public func enableOffloads(receive: Bool, send: Bool) -> (receive: Bool, send: Bool) {
        worker.receiveCoalescing = receive && socket.enableReceiveCoalescing()
        segmentedSend = send && socket.supportsSegmentedSend()
        segmentedFailures = 0
        return (worker.receiveCoalescing, segmentedSend)
    }

    /// Runs until SIGTERM or SIGINT (or `stop()` from the loop's own thread), then ends
    /// every session so their flow records are written, and flushes the log.
    public func run() {
        applyTagUpdates(limit: .max)   // the tag state restored at start, whole before the first packet
        publish()
        var fds = [pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: signals?.descriptor ?? -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: board.wakeDescriptor(worker: index), events: Int16(POLLIN), revents: 0)]
        var lastPublish = Self.monotonic()
        while !stopping {
            // With tag work pending, look at the socket and come straight back for the next slice.
            // Otherwise wait only until the next publish is due: a whole interval from each wakeup
            // let a packet's count wait a whole interval even when the publish was due sooner.
            let untilPublish = lastPublish + publishIntervalNanoseconds - Self.monotonic()
            let timeout = hasPendingTags ? 0 : Int32(clamping: max(0, (untilPublish + 999_999) / 1_000_000))
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready > 0 && fds[2].revents & Int16(POLLIN) != 0 { board.drainWake(worker: index) }
            // Tags first: an update accepted before these packets arrived applies to them.
            applyTagUpdates()
            if ready > 0 && fds[0].revents & Int16(POLLIN) != 0 {
                for _ in 0 ..< batchesPerWakeup where runBatch() < worker.batchSize { break }
            }
            if ready > 0 && fds[1].revents & Int16(POLLIN) != 0 { handleSignals() }
            if board.stopRequested { stopping = true }
            if board.publishedPolicyGeneration != policyGeneration { adoptPublishedPolicy() }
            let now = Self.monotonic()
            if now - lastPublish >= publishIntervalNanoseconds {
                lastPublish = now
                reportRefusedSenders(now: now)
                // Sessions end on time even when no packet comes to sweep them: an idle
                // firewall would otherwise hold a finished connection's record until traffic.
                worker.engine.advance(to: Self.realtime(), maxSlots: idleSweepSlots, sink: &worker.sink)
                worker.sink.flush()
                publish()
            }
        }
        worker.engine.finish(sink: &worker.sink)
        worker.sink.flush()
        publish(ready: false)
    }

    /// Receives one batch and sends its output; returns how many datagrams arrived.
    @discardableResult
    public func runBatch() -> Int {
        worker.prepareReceive()
        let n = socket.receive(worker.receive, count: worker.batchSize)
        guard n > 0 else { return 0 }
        worker.counters.receiveBatches &+= 1
        let timestamp = Self.realtime()
        worker.beginBatch()
        for i in 0 ..< n { worker.handleReceived(i, timestamp: timestamp) }
        flush()
        return n
    }

    /// Sends the queued datagrams; a full socket buffer drops the rest (counted), never waits.
    func flush() {
        let batch = worker.outgoing
        if segmentedSend && batch.count > 1 {
            flushSegmented()
        } else {
            flush(from: 0, to: batch.count)
        }
        batch.count = 0
    }

    /// Sends queued datagrams `start ..< end` one message each.
    func flush(from start: Int, to end: Int) {
        let batch = worker.outgoing
        var start = start
        while start < end {
            let sent = socket.send(batch, from: start, count: end &- start)
            if sent <= 0 {
                let reason: DropReason = (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ? .sendQueueFull : .sendFailed
                // The first message of the rest failed: count it and go on with the others.
                worker.counters.count(reason)
                start &+= 1
                continue
            }
            for i in start ..< start &+ sent {
                worker.counters.datagramsSent &+= 1
                worker.counters.bytesSent &+= UInt64(batch.vectors[i].iov_len)
            }
            start &+= sent
        }
    }

    /// Sends the queued datagrams as runs (UDP GSO); a run the kernel refuses (EIO, EINVAL:
    /// no checksum offload on the way, a segment over the path MTU) goes one by one.
    func flushSegmented() {
        let batch = worker.outgoing
        let messages = segmented.build(from: batch)
        var k = 0
        while k < messages {
            let sent = socket.send(segmented, from: k)
            if sent <= 0 {
                let code = errno
                let first = segmented.firsts[k], run = segmented.runs[k]
                if run > 1 && (code == EIO || code == EINVAL) {
                    worker.counters.segmentedSendFallbacks &+= 1
                    segmentedFailures &+= 1
                    if segmentedFailures >= Self.segmentedFailureLimit { segmentedSend = false }
                    flush(from: first, to: first &+ run)
                } else {
                    let reason: DropReason = (code == EAGAIN || code == EWOULDBLOCK || code == ENOBUFS) ? .sendQueueFull : .sendFailed
                    for _ in 0 ..< run { worker.counters.count(reason) }
                }
                k &+= 1
                continue
            }
            for m in k ..< k &+ sent {
                let first = segmented.firsts[m], run = segmented.runs[m]
                if run > 1 {
                    segmentedFailures = 0
                    worker.counters.segmentedSends &+= 1
                    worker.counters.segmentedDatagrams &+= UInt64(run)
                }
                worker.counters.datagramsSent &+= UInt64(run)
                for i in first ..< first &+ run { worker.counters.bytesSent &+= UInt64(batch.vectors[i].iov_len) }
            }
            k &+= sent
        }
    }

    func handleSignals() {
        while let signal = signals?.next() {
            switch signal {
            case SIGHUP:
                // One worker reads its own signals: it compiles here, then adopts below.
                board.requestReload()
                adoptPublishedPolicy()
            case SIGTERM, SIGINT: stopping = true
            default: break
            }
        }
    }

    /// Stops the loop after the current batch (call from the loop's thread).
    public func stop() { stopping = true }

    /// Swaps in the policy the board published (compiled once, by whoever asked for the
    /// reload), between two batches: a matcher of this worker's own over the shared compiled
    /// policy, the admin tags applied again. Sessions keep their verdict unless
    /// `rematchOnReload`. Reports the outcome for `POST /reload`; worker 0 logs it.
    @discardableResult
    public func adoptPublishedPolicy() -> (error: String?, rules: Int) {
        guard let release = board.policyRelease, release.generation != policyGeneration else { return (nil, ruleNames.count) }
        policyGeneration = release.generation
        do {
            let matcher = try PolicyMatcher(compiled: release.content.compiled, tags: release.content.tags)
            for (address, tags) in apiTags {
                fileTags[address] = matcher.tags(of: address)
                matcher.setTags(tags, for: address)
            }
            worker.engine.replacePolicy(matcher, rematch: rematchOnReload, sink: &worker.sink)
            if release.content.rules !== worker.engine.rules || release.content.files !== worker.engine.files {
                worker.engine.replaceRules(release.content.rules, files: release.content.files)
            }
            worker.engine.adoptIndicators(release.content.indicators)
            worker.blockPages = release.content.blockPages
            worker.sink.flush()
            ruleNames = matcher.rules.map(\.name)
            worker.counters.policyReloads &+= 1
            if index == 0 { log(.info, "policy-reloaded", "policy reloaded (\(ruleNames.count) rules, generation \(release.generation))") }
            do { try worker.sink.syslog?.resolveAgain() } catch {
                if index == 0 { log(.warning, "syslog-resolve-failed", "\(error); syslog keeps sending to \(worker.sink.syslog?.destination.description ?? "-")") }
            }
        } catch {
            // The board compiled it already; a matcher that still refuses is reported, not hidden.
            log(.error, "policy-adopt-failed", "worker \(index) could not adopt policy generation \(release.generation), it keeps the running one: \(error)")
            board.reportReload(ReloadResult(generation: release.generation, error: "\(error)", rules: ruleNames.count), worker: index)
            publish()
            return ("\(error)", ruleNames.count)
        }
        board.reportReload(ReloadResult(generation: release.generation, error: nil, rules: ruleNames.count), worker: index)
        publish()
        return (nil, ruleNames.count)
    }

    /// Applies the tag batches the admin API accepted, at most `limit` updates (default
    /// `tagSliceSize`) per call; what remains goes at the next call. A resync first drops the
    /// admin tags of the addresses it no longer lists (back to their file tags), then sets
    /// the rest in order. Returns whether work remains.
    @discardableResult
    public func applyTagUpdates(limit: Int? = nil) -> Bool {
        if board.hasTagUpdates(after: tagBatchesSeen) {
            tagBatchesSeen = board.tagBatches.load(ordering: .acquiring)
            let (batches, cursor) = board.tagUpdates(after: tagCursor, worker: index)
            tagCursor = cursor
            for batch in batches { pendingTags.append(PendingTagWork(batch)) }
            // Grown once, here, rather than rehashed in the middle of a slice when a big batch
            // crosses a table's load limit (a 200,000-address resync crossed three).
            let incoming = batches.reduce(0) { $0 + $1.updates.count }
            if incoming > tagSliceSize {
                apiTags.reserveCapacity(apiTags.count + incoming)
                fileTags.reserveCapacity(fileTags.count + incoming)
                worker.engine.policy.reserveTags(incoming)
            }
        }
        var budget = max(limit ?? tagSliceSize, 1)
        let policy = worker.engine.policy
        while budget > 0, !pendingTags.isEmpty {
            if pendingTags[0].resolveRemovals {
                // Decided when the batch's turn comes, against the admin map as it stands then.
                pendingTags[0].resolveRemovals = false
                let kept = Set(pendingTags[0].updates.lazy.filter { !$0.tags.isEmpty }.map(\.address))
                pendingTags[0].removals = apiTags.keys.filter { !kept.contains($0) }
            }
            while budget > 0, let address = pendingTags[0].removals.popLast() {
                restoreFileTags(address, policy)
                budget -= 1
            }
            while budget > 0, pendingTags[0].next < pendingTags[0].updates.count {
                let update = pendingTags[0].updates[pendingTags[0].next]
                pendingTags[0].next += 1
                if update.tags.isEmpty {
                    restoreFileTags(update.address, policy)
                } else {
                    if apiTags[update.address] == nil { fileTags[update.address] = policy.tags(of: update.address) }
                    policy.setTags(update.tags, for: update.address)
                    apiTags[update.address] = update.tags
                }
                worker.counters.tagUpdates &+= 1
                budget -= 1
            }
            if pendingTags[0].removals.isEmpty && pendingTags[0].next == pendingTags[0].updates.count {
                pendingTags.removeFirst()
            }
        }
        return hasPendingTags
    }

    /// Drops an address's admin tags: back to the tags the configuration file gave it.
    private func restoreFileTags(_ address: IPAddress, _ policy: PolicyMatcher) {
        guard apiTags.removeValue(forKey: address) != nil else { return }
        if let file = fileTags.removeValue(forKey: address), !file.isEmpty {
            policy.setTags(file, for: address)
        } else {
            policy.removeTags(for: address)
        }
    }

    /// Refused tunnel senders: at most one line per 10 s per worker, with the count since
    /// the last one and the last sender (the metric counts every datagram).
    var refusedReported: UInt64 = 0
    var refusedReportedAt: Int64?

    func reportRefusedSenders(now: Int64) {
        let refused = worker.counters.dropped(.tunnelSource)
        guard refused > refusedReported else { return }
        if let last = refusedReportedAt, now - last < 10_000_000_000 { return }
        log(.warning, "tunnel-source-refused", "refused \(refused - refusedReported) tunnel datagram(s) from senders that are neither enrolled nodes nor in spec.tunnelSourceNetworks (last: \(worker.lastRefusedSender?.description ?? "-")); rampart_drops_total{reason=\"tunnel_source\"}")
        refusedReported = refused
        refusedReportedAt = now
    }

    func publish(ready: Bool = true) {
        var counters = worker.counters
        if let syslog = worker.sink.syslog {
            counters.syslogMessages = UInt64(syslog.sent)
            counters.syslogErrors = syslog.failuresByReason.map { UInt64($0.count) }
            counters.syslogTruncated = UInt64(syslog.truncated)
            counters.syslogConnects = UInt64(syslog.connects)
        }
        var snapshot = FirewallSnapshot(
            counters: counters, engine: worker.engine.statistics, activeSessions: worker.engine.activeSessions,
            ruleNames: ruleNames, ready: ready)
        snapshot.policyGeneration = policyGeneration
        board.publish(snapshot, worker: index)
    }

    static func monotonic() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    static func realtime() -> Timestamp {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return Timestamp(seconds: Int64(t.tv_sec), nanoseconds: Int64(t.tv_nsec))
    }
}

/// One accepted tag batch being applied a slice at a time.
struct PendingTagWork {
    let updates: [TagUpdate]
    var next = 0
    /// A resync's addresses to drop, found when its turn comes.
    var removals: [IPAddress] = []
    var resolveRemovals: Bool

    init(_ batch: TagBatch) {
        updates = batch.updates
        resolveRemovals = batch.replace
    }
}
