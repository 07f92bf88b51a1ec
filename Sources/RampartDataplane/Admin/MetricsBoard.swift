import RampartInspect
import Synchronization

/// What the workers publish and what the admin API and the signal thread ask of them.
/// Mutexes are taken only between batches, never per packet; requests are broadcast (each
/// worker keeps its own cursor), so every worker reloads and sees every tag update.
///
/// ```swift
/// let board = MetricsBoard(workers: 2)
/// board.publish(snapshot, worker: 1)    // I/O thread 1, every few hundred ms
/// board.snapshot.prometheusText()       // admin thread: the sum over workers
/// board.requestReload()                 // every worker reloads between batches
/// ```
public final class MetricsBoard: Sendable {
    public let workers: Int
    let snapshots: Mutex<[FirewallSnapshot]>
    let reloads = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
    /// Every accepted tag update in order (workers read past their cursor), and the highest
    /// sequence number accepted.
    let tagState = Mutex<(log: [TagUpdate], lastSequence: UInt64)>(([], 0))

    public init(workers: Int = 1) {
        self.workers = max(workers, 1)
        snapshots = Mutex([FirewallSnapshot](repeating: FirewallSnapshot(), count: max(workers, 1)))
    }

    public func publish(_ snapshot: FirewallSnapshot, worker: Int = 0) {
        snapshots.withLock { if worker >= 0 && worker < $0.count { $0[worker] = snapshot } }
    }

    /// The workers' snapshots summed (rule names from the first), with per-worker load.
    public var snapshot: FirewallSnapshot {
        FirewallSnapshot.sum(snapshots.withLock { $0 })
    }

    /// Asks every worker to reload the policy between its batches.
    public func requestReload() { reloads.add(1, ordering: .releasing) }

    /// Increases by one for each reload request; a worker reloads when it changes.
    public var reloadGeneration: Int { reloads.load(ordering: .acquiring) }

    /// Asks every worker to stop after its current batch.
    public func requestStop() { stop.store(true, ordering: .releasing) }

    public var stopRequested: Bool { stop.load(ordering: .acquiring) }

    /// Queues a tag update for every worker; refuses one whose sequence number is not above
    /// every one accepted before (stale or duplicate). Returns whether it was accepted.
    public func submit(_ update: TagUpdate) -> Bool {
        tagState.withLock { state in
            guard update.sequence > state.lastSequence else { return false }
            state.lastSequence = update.sequence
            state.log.append(update)
            return true
        }
    }

    /// The highest sequence number accepted so far.
    public var lastTagSequence: UInt64 { tagState.withLock { $0.lastSequence } }

    /// The updates after `cursor` (a worker's count of updates applied) and the new cursor.
    public func tagUpdates(after cursor: Int) -> (updates: [TagUpdate], cursor: Int) {
        tagState.withLock { state in
            guard cursor < state.log.count else { return ([], state.log.count) }
            return (Array(state.log[max(cursor, 0)...]), state.log.count)
        }
    }
}
