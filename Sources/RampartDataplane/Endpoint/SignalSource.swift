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
        guard let calls = SystemCalls.shared else { throw SystemError("dlsym(signalfd)", code: ENOSYS) }
        var set = sigset_t()
        sigemptyset(&set)
        for s in Self.handled { sigaddset(&set, s) }
        guard pthread_sigmask(SIG_BLOCK, &set, nil) == 0 else { throw SystemError("pthread_sigmask") }
        // SFD_NONBLOCK and SFD_CLOEXEC equal O_NONBLOCK and O_CLOEXEC (<sys/signalfd.h>).
        let fd = calls.signalfd(-1, &set, O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("signalfd") }
        descriptor = fd
    }


    deinit { close(descriptor) }

    /// The next pending signal, or nil.
    public func next() -> Int32? {
        // struct signalfd_siginfo: 128 bytes, ssi_signo first.
        var info = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0),
                    UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let n = withUnsafeMutableBytes(of: &info) { read(descriptor, $0.baseAddress, 128) }
        guard n == 128 else { return nil }
        return withUnsafeBytes(of: &info) { Int32(bitPattern: $0.load(as: UInt32.self)) }
    }
}
