import CLinux
import RampartPOSIX
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
    public static let handled: [Int32] = ProcessSignals.handled

    /// Blocks the signals (and ignores SIGPIPE: a TLS write to a client that left must be
    /// an error, not the end of the firewall) as every daemon does, then reads them from a
    /// descriptor the packet loop can poll.
    public init() throws {
        var set = ProcessSignals.block(Self.handled)
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
