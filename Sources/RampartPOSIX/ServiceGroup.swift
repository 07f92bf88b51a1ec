#if canImport(Glibc)
import Glibc
#endif

/// The services of a daemon (its listeners, loops, shippers), started in order and stopped
/// in reverse, so that what depends on another part stops before it: the API stops
/// accepting before the manager it calls stops, the event shipper drains last. A start that
/// fails stops the services already started, in reverse, before the error reaches the
/// caller: nothing half-started is left running.
///
/// ```swift
/// let signals = ProcessSignals.block()          // first, before any thread starts
/// let group = ServiceGroup()
/// try group.start("manager", manager.start, stop: manager.stop)
/// try group.start("api", listener.start, stop: listener.stop)
/// while ProcessSignals.wait(signals) == SIGHUP { reload() }
/// group.stopAll()
/// ```
public final class ServiceGroup: @unchecked Sendable {
    private var started: [(name: String, stop: () -> Void)] = []
    private let lock = Lock()

    public init() {}

    /// Starts one service; on failure stops those started before it, in reverse, and
    /// rethrows.
    public func start(_ name: String, _ start: () throws -> Void, stop: @escaping () -> Void) throws {
        do {
            try start()
        } catch {
            stopAll()
            throw error
        }
        lock.withLock { started.append((name, stop)) }
    }

    /// Registers a service that is already running (started elsewhere, e.g. before the
    /// group existed), to be stopped with the others.
    public func adopt(_ name: String, stop: @escaping () -> Void) {
        lock.withLock { started.append((name, stop)) }
    }

    /// The names of the running services, in start order.
    public var running: [String] { lock.withLock { started.map(\.name) } }

    /// Stops every started service, the last started first. Calling it again does nothing.
    public func stopAll() {
        let services = lock.withLock { () -> [(name: String, stop: () -> Void)] in
            defer { started = [] }
            return started
        }
        for service in services.reversed() { service.stop() }
    }
}

/// The signals a daemon acts on, in one place: blocked in the calling thread before any
/// other thread starts (threads inherit the mask), so they arrive only where the daemon
/// waits for them, never in the middle of a write on another thread; SIGPIPE ignored, so a
/// peer that hangs up is an error return, not the end of the process.
public enum ProcessSignals {
    /// SIGTERM and SIGINT stop a daemon; SIGHUP asks it to reload.
    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Blocks `handled` in the calling thread and ignores SIGPIPE; returns the set to wait on.
    @discardableResult
    public static func block(_ signals: [Int32] = handled) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        signal(SIGPIPE, SIG_IGN)
        return set
    }

    /// Waits for one of the blocked signals and returns it.
    public static func wait(_ set: sigset_t) -> Int32 {
        var set = set
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
