import Dispatch
import RampartInspect
import RampartPolicy
import RampartWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the workers publish and what the admin API and the signal thread ask of them.
/// Mutexes are taken only between batches, never per packet; requests are broadcast (each
/// worker keeps its own cursor), so every worker reloads and sees every tag update.
///
/// ```swift
/// let board = MetricsBoard(workers: 2)
/// board.publish(snapshot, worker: 1)    // I/O thread 1, every few hundred ms
/// board.snapshot.prometheusText()       // admin thread: the sum over workers
/// board.requestReload()                 // compiled once here; every worker adopts it between batches
/// ```
/// What one worker's reload came to.
public struct ReloadResult: Sendable, Equatable {
    public var generation: Int
    /// The errors that rejected the new policy (the running one stays); nil on success.
    public var error: String?
    /// Rules of the policy running after the reload.
    public var rules: Int

    public init(generation: Int, error: String?, rules: Int) {
        self.generation = generation
        self.error = error
        self.rules = rules
    }
}

public final class MetricsBoard: Sendable {
    public let workers: Int
    let snapshots: Mutex<[FirewallSnapshot]>
    let reloads = Atomic<Int>(0)
    /// The generation of the last policy published (0: the one the firewall started with);
    /// a worker adopts `policy.release` when this moved.
    let publishedGeneration = Atomic<Int>(0)
    /// Reloads refused (the file did not load or compile): counted once, not per worker.
    let rejectedReloads = Atomic<Int>(0)
    let policy: Mutex<PolicyPublication>
    /// Serialises reloads: a later request's policy is never overwritten by an earlier one
    /// that took longer to compile.
    let compiling = Mutex<Int>(0)
    /// Each worker's last reload: the generation it answered and what came of it.
    let reloadResults: Mutex<[ReloadResult?]>
    /// How long `POST /reload` waits for every worker's outcome before answering 202.
    public let reloadWaitSeconds: Double
    let stop = Atomic<Bool>(false)
    /// Accepted tag batches not yet applied by every worker (`base` is the index of the
    /// first one ever kept), each worker's cursor, the highest sequence accepted, and the
    /// admin-managed address→tag map as it stands after them.
    let tagState: Mutex<TagLedger>
    /// How many tag batches were ever accepted: a worker takes the mutex only when it moved.
    let tagBatches = Atomic<Int>(0)
    /// One pipe per worker, written when there is news (tags, reload, stop), so a worker
    /// idle in poll() applies it at once instead of at its next timeout.
    let wakePipes: [(read: Int32, write: Int32)]
    /// The event files' shipping and hold, when syslog goes over TCP from the files.
    let delivery = Mutex<EventDelivery?>(nil)

    /// Addresses the admin tag map may hold; a batch that would take it past is refused whole.
    public let maxTaggedAddresses: Int
    /// Tag batches refused because the map would pass `maxTaggedAddresses`.
    let oversizeTagBatches = Atomic<Int>(0)
    /// `spec.readyAfterTags`: not ready until a whole tag map (`replace: true`) was
    /// accepted in this run, so a node never sends sessions to a firewall that would judge
    /// them without the cluster's tags.
    public let waitForTags: Bool
    private let fullTagMapAccepted = Atomic<Bool>(false)

    public init(workers: Int = 1, reloadWaitSeconds: Double = 10, maxTaggedAddresses: Int = FirewallConfiguration().maxTaggedAddresses,
                waitForTags: Bool = false) {
        self.maxTaggedAddresses = max(maxTaggedAddresses, 1)
        self.waitForTags = waitForTags
        self.workers = max(workers, 1)
        self.reloadWaitSeconds = reloadWaitSeconds
        reloadResults = Mutex([ReloadResult?](repeating: nil, count: max(workers, 1)))
        snapshots = Mutex([FirewallSnapshot](repeating: FirewallSnapshot(), count: max(workers, 1)))
        tagState = Mutex(TagLedger(workers: max(workers, 1), limit: max(maxTaggedAddresses, 1)))
        policy = Mutex(PolicyPublication())
        wakePipes = (0..<max(workers, 1)).map { _ in
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return (-1, -1) }
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
            return (fds[0], fds[1])
        }
    }

    deinit {
        for pipe in wakePipes where pipe.read >= 0 {
            close(pipe.read)
            close(pipe.write)
        }
    }

    /// The descriptor worker `worker` polls for news (-1 if the pipe could not be made).
    public func wakeDescriptor(worker: Int) -> Int32 {
        worker >= 0 && worker < wakePipes.count ? wakePipes[worker].read : -1
    }

    /// Empties a worker's wake pipe after poll() reported it.
    public func drainWake(worker: Int) {
        let fd = wakeDescriptor(worker: worker)
        guard fd >= 0 else { return }
        var sink = [UInt8](repeating: 0, count: 64)
        while sink.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    private func wakeAll() {
        var one: UInt8 = 1
        // A full pipe already holds a wake-up; nothing is lost by dropping this one.
        for pipe in wakePipes where pipe.write >= 0 { _ = write(pipe.write, &one, 1) }
    }

    /// Whether batches arrived since a worker last read `seen` of them (lock-free).
    public func hasTagUpdates(after seen: Int) -> Bool { tagBatches.load(ordering: .acquiring) != seen }

    public func publish(_ snapshot: FirewallSnapshot, worker: Int = 0) {
        snapshots.withLock { if worker >= 0 && worker < $0.count { $0[worker] = snapshot } }
    }

    /// The workers' snapshots summed (rule names from the first), with per-worker load and
    /// the event files' shipping.
    public var snapshot: FirewallSnapshot {
        var total = FirewallSnapshot.sum(snapshots.withLock { $0 })
        total.counters.policyReloadFailures = UInt64(rejectedReloads.load(ordering: .relaxed))
        total.publishedPolicyGeneration = publishedPolicyGeneration
        total.oversizeTagBatches = oversizeTagBatches.load(ordering: .relaxed)
        total.taggedAddresses = tagState.withLock { $0.tags.count }
        total.maxTaggedAddresses = maxTaggedAddresses
        if let delivery = delivery.withLock({ $0 }) { total.events = delivery.counters }
        return total
    }

    /// Metrics of parts outside the workers (the list feeds), appended to `/metrics`.
    let extraMetrics = Mutex<[@Sendable () -> String]>([])

    /// Appends `text()` to every `/metrics` page.
    public func addMetrics(_ text: @escaping @Sendable () -> String) {
        extraMetrics.withLock { $0.append(text) }
    }

    /// The whole `/metrics` page: the workers' sums, then the other parts'.
    public var prometheusText: String {
        snapshot.prometheusText() + extraMetrics.withLock { $0 }.map { $0() }.joined()
    }

    /// Shows `delivery`'s counters on `/metrics`.
    public func attach(_ delivery: EventDelivery) {
        self.delivery.withLock { $0 = delivery }
    }

    /// How a reload reads and compiles the policy, and where its refusal is logged (once).
    public func setPolicyLoader(_ loader: @escaping PolicySource, log: (@Sendable (String) -> Void)? = nil) {
        policy.withLock { $0.loader = loader; $0.log = log }
    }

    /// Reads and compiles the policy on the calling thread (the admin API's, or the signal
    /// thread), once, and publishes it: every worker adopts it between two batches. A file
    /// that does not load is refused here for every worker at once (logged once, counted in
    /// `rampart_policy_reloads_total{result="rejected"}`); the running policy stays. Returns
    /// the reload's generation, which `reloadOutcome` waits for.
    @discardableResult
    public func requestReload() -> Int {
        compiling.withLock { _ in
            let generation = reloads.add(1, ordering: .releasing).newValue
            let (loader, log) = policy.withLock { ($0.loader, $0.log) }
            guard let loader else {
                reject(generation, "this firewall was started without a policy file to reload", log: log)
                return generation
            }
            do {
                let content = try loader()
                policy.withLock { $0.release = PolicyRelease(generation: generation, content: content) }
                publishedGeneration.store(generation, ordering: .releasing)
                wakeAll()
            } catch {
                reject(generation, "\(error)", log: log)
            }
            return generation
        }
    }

    /// Answers a refused reload for every worker (none of them changes policy).
    private func reject(_ generation: Int, _ error: String, log: (@Sendable (String) -> Void)?) {
        rejectedReloads.add(1, ordering: .relaxed)
        let rules = snapshots.withLock { $0.first?.ruleNames.count ?? 0 }
        reloadResults.withLock { results in
            for i in results.indices { results[i] = ReloadResult(generation: generation, error: error, rules: rules) }
        }
        log?("policy reload rejected, the running policy stays:\n\(error)")
    }

    /// The policy published last (nil until the first reload: workers run the one they
    /// started with).
    public var policyRelease: PolicyRelease? { policy.withLock { $0.release } }

    /// The generation of the policy published last; 0 until the first successful reload.
    public var publishedPolicyGeneration: Int { publishedGeneration.load(ordering: .acquiring) }

    /// A worker says how its reload of `generation` went.
    public func reportReload(_ result: ReloadResult, worker: Int) {
        reloadResults.withLock { results in
            if worker >= 0 && worker < results.count { results[worker] = result }
        }
    }

    /// Every worker's outcome for `generation` (or a later one), waiting up to
    /// `reloadWaitSeconds`; nil when some worker has not answered by then.
    public func reloadOutcome(generation: Int) -> [ReloadResult]? {
        let deadline = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 + reloadWaitSeconds
        while true {
            let results = reloadResults.withLock { $0 }
            let answered = results.compactMap { $0 }.filter { $0.generation >= generation }
            if answered.count == results.count { return answered }
            if Double(DispatchTime.now().uptimeNanoseconds) / 1e9 >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Increases by one for each reload request, published or refused.
    public var reloadGeneration: Int { reloads.load(ordering: .acquiring) }

    /// Asks every worker to stop after its current batch.
    public func requestStop() {
        stop.store(true, ordering: .releasing)
        wakeAll()
    }

    public var stopRequested: Bool { stop.load(ordering: .acquiring) }

    /// Queues a tag update for every worker; refuses one whose sequence number is not above
    /// every one accepted before (stale or duplicate). Returns whether it was accepted.
    public func submit(_ update: TagUpdate) -> Bool {
        submit(TagBatch(sequence: update.sequence, updates: [update]))
    }

    /// Queues a batch (or a resync) for every worker, applied whole between two packet
    /// batches; refuses it when its sequence is not above every one accepted before.
    public func submit(_ batch: TagBatch) -> Bool { offer(batch) == .accepted }

    /// Queues a batch (or a resync) for every worker, or says why not: its sequence is not
    /// above every one accepted before, or it would take the admin map past
    /// `maxTaggedAddresses` (refused whole, counted).
    public func offer(_ batch: TagBatch) -> TagBatchOutcome {
        let outcome = tagState.withLock { $0.offer(batch) }
        switch outcome {
        case .accepted:
            if batch.replace { fullTagMapAccepted.store(true, ordering: .releasing) }
            tagBatches.add(1, ordering: .releasing)
            wakeAll()
        case .tooManyAddresses:
            oversizeTagBatches.add(1, ordering: .relaxed)
        case .stale:
            break
        }
        return outcome
    }

    /// False while `waitForTags` and no whole tag map was accepted in this run.
    public var tagsReady: Bool { !waitForTags || fullTagMapAccepted.load(ordering: .acquiring) }

    /// Installs the tag state read at start (`TagStateFile`): accepted whatever its sequence.
    public func restore(_ batch: TagBatch) {
        tagState.withLock { $0.accept(batch, force: true) }
        tagBatches.add(1, ordering: .releasing)
        wakeAll()
    }

    /// The highest sequence number accepted so far.
    public var lastTagSequence: UInt64 { tagState.withLock { $0.lastSequence } }

    /// How many addresses hold admin tags, and the sequence they stand at.
    public var tagSummary: (sequence: UInt64, addresses: Int) { tagState.withLock { ($0.lastSequence, $0.tags.count) } }

    /// One address's admin tags (nil: none).
    public func adminTags(of address: IPAddress) -> [Tag]? { tagState.withLock { $0.tags[address] } }

    /// The whole admin-managed map with its sequence and a generation that changes with every
    /// accepted batch (for `TagStateFile`).
    public var tagStateCopy: (sequence: UInt64, tags: [IPAddress: [Tag]], generation: Int) {
        tagState.withLock { ($0.lastSequence, $0.tags, $0.base + $0.log.count) }
    }

    /// The batches after `cursor` (the count of batches worker `worker` applied) and the new
    /// cursor. Batches every worker has read are forgotten.
    public func tagUpdates(after cursor: Int, worker: Int = 0) -> (updates: [TagBatch], cursor: Int) {
        tagState.withLock { $0.read(after: cursor, worker: worker) }
    }
}

/// The board's tag bookkeeping (under its mutex).
struct TagLedger: Sendable {
    var log: [TagBatch] = []
    var base = 0
    var cursors: [Int]
    var lastSequence: UInt64 = 0
    var tags: [IPAddress: [Tag]] = [:]
    let limit: Int

    init(workers: Int, limit: Int) {
        cursors = [Int](repeating: 0, count: workers)
        self.limit = limit
    }

    mutating func offer(_ batch: TagBatch) -> TagBatchOutcome {
        guard batch.sequence > lastSequence else { return .stale }
        var count = batch.replace ? 0 : tags.count
        for u in batch.updates {
            let present = !batch.replace && tags[u.address] != nil
            if u.tags.isEmpty { if present { count -= 1 } } else if !present { count += 1 }
        }
        guard count <= limit else { return .tooManyAddresses(count) }
        accept(batch, force: false)
        return .accepted
    }

    mutating func accept(_ batch: TagBatch, force: Bool) {
        lastSequence = force ? max(lastSequence, batch.sequence) : batch.sequence
        if batch.replace { tags = [:] }
        for u in batch.updates { tags[u.address] = u.tags.isEmpty ? nil : u.tags }
        log.append(batch)
    }

    mutating func read(after cursor: Int, worker: Int) -> ([TagBatch], Int) {
        let end = base + log.count
        let from = min(max(cursor, base), end)
        let out = Array(log[(from - base)...])
        if worker >= 0 && worker < cursors.count { cursors[worker] = end }
        let done = min((cursors.min() ?? end) - base, log.count)
        if done > 0 {
            log.removeFirst(done)
            base += done
        }
        return (out, end)
    }
}

/// What became of a tag batch offered to the board.
public enum TagBatchOutcome: Sendable, Equatable {
    case accepted
    /// Its sequence is not above the last accepted one (stale or duplicate).
    case stale
    /// The admin map would hold this many addresses, past `maxTaggedAddresses`.
    case tooManyAddresses(Int)
}
