import Synchronization

/// A flag one thread raises to end another thread's blocking work (a watch stream, a
/// backoff sleep) at its next check.
///
/// ```swift
/// let stop = StopSignal()
/// NamedThread.start(name: "watch pods") { reflector.run(until: stop) }
/// stop.stop()
/// ```
public final class StopSignal: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func stop() { flag.store(true, ordering: .releasing) }
    public var isStopped: Bool { flag.load(ordering: .acquiring) }

    /// Sleeps up to `seconds`, waking early (and returning false) once stopped.
    @discardableResult
    public func sleep(_ seconds: Double) -> Bool {
        var left = seconds
        while left > 0 {
            if isStopped { return false }
            let step = min(left, 0.05)
            usleepSeconds(step)
            left -= step
        }
        return !isStopped
    }
}

#if canImport(Glibc)
import Glibc
#endif

public func usleepSeconds(_ seconds: Double) {
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}
