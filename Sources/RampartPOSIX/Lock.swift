#if canImport(Glibc)
import Glibc
#endif

/// A mutual-exclusion lock over a `pthread_mutex_t`, for classes that guard several fields
/// with one lock (where `Synchronization.Mutex`, which owns the value it guards, does not fit).
/// Foundation's `NSLock` is the same thing outside FoundationEssentials.
///
/// ```swift
/// let lock = Lock()
/// lock.withLock { count += 1 }
/// ```
public final class Lock: @unchecked Sendable {
    // The mutex lives at a stable address: pthread objects must never move.
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A condition variable with its own lock, as Foundation's `NSCondition`: take the lock,
/// test the predicate, `wait` (which releases the lock while asleep), and `signal` under
/// the lock after changing what the predicate reads.
///
/// ```swift
/// inbox.lock()
/// while queue.isEmpty { _ = inbox.wait(seconds: 0.25) }
/// inbox.unlock()
/// ```
public final class Condition: @unchecked Sendable {
    private let mutex = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        // Deadlines on the monotonic clock: a wall-clock step neither wakes nor strands a waiter.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    public func lock() { mutex.lock() }
    public func unlock() { mutex.unlock() }
    public func signal() { pthread_cond_signal(condition) }
    public func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits (the lock held by the caller) until signalled or `seconds` have passed; false
    /// on the timeout. Spurious wake-ups return true: callers test their predicate again.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let whole = Int(seconds)
        var nanoseconds = deadline.tv_nsec + Int((seconds - Double(whole)) * 1e9)
        deadline.tv_sec += whole + nanoseconds / 1_000_000_000
        nanoseconds %= 1_000_000_000
        deadline.tv_nsec = nanoseconds
        return pthread_cond_timedwait(condition, mutex.mutex, &deadline) == 0
    }
}
