import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// The signals the firewall acts on, read from a `signalfd` by the I/O thread between
/// batches (no handler, no locks). The signals are blocked in the calling thread, so call
/// `init` before starting any other thread: threads inherit the mask.
///
/// ```swift
/// let signals = try SignalSource()       // first thing in main
/// if let s = signals.next(), s == SIGHUP { reload() }
/// ```
public final class SignalSource: @unchecked Sendable {
    public let descriptor: Int32
    public static let handled: [Int32] = [SIGHUP, SIGTERM, SIGINT]

    public init() throws {
        var set = sigset_t()
        sigemptyset(&set)
        for s in Self.handled { sigaddset(&set, s) }
        guard pthread_sigmask(SIG_BLOCK, &set, nil) == 0 else { throw SystemError("pthread_sigmask") }
        let fd = clinux_signalfd(&set)
        guard fd >= 0 else { throw SystemError("signalfd") }
        descriptor = fd
    }


    deinit { close(descriptor) }

    /// The next pending signal, or nil.
    public func next() -> Int32? {
        let signal = clinux_signalfd_next(descriptor)
        return signal > 0 ? signal : nil
    }
}
