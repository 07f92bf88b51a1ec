#if canImport(Glibc)
import Glibc
#endif

/// The Linux calls Swift's Glibc module does not import (they sit behind `_GNU_SOURCE`):
/// `recvmmsg`, `sendmmsg` and `signalfd`, bound once through the C library's own symbols.
/// `mmsghdr` is laid out by hand: a `msghdr` followed by a 32-bit length, padded to 8.
///
/// ```swift
/// let n = SystemCalls.shared.recvmmsg(fd, vector, 32, Int32(MSG_DONTWAIT), nil)
/// ```
public struct SystemCalls: @unchecked Sendable {
    public typealias MultipleMessages = @convention(c) (Int32, UnsafeMutableRawPointer?, UInt32, Int32, UnsafeMutableRawPointer?) -> Int32
    public typealias SignalDescriptor = @convention(c) (Int32, UnsafePointer<sigset_t>?, Int32) -> Int32

    public let recvmmsg: MultipleMessages
    public let sendmmsg: MultipleMessages
    public let signalfd: SignalDescriptor

    /// Bytes of one `struct mmsghdr`.
    public static let messageStride = (MemoryLayout<msghdr>.size + 4 + 7) & ~7
    /// Offset of `msg_len` in a `struct mmsghdr`.
    public static let messageLengthOffset = MemoryLayout<msghdr>.size

    /// The calls of the running C library (nil only on a libc without them).
    public static let shared: SystemCalls? = {
        guard let handle = dlopen(nil, RTLD_NOW),
              let r = dlsym(handle, "recvmmsg"), let s = dlsym(handle, "sendmmsg"), let f = dlsym(handle, "signalfd")
        else { return nil }
        return SystemCalls(
            recvmmsg: unsafeBitCast(r, to: MultipleMessages.self),
            sendmmsg: unsafeBitCast(s, to: MultipleMessages.self),
            signalfd: unsafeBitCast(f, to: SignalDescriptor.self))
    }()
}

/// A system call failed: which one, and `errno`'s text.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public var call: String
    public var code: Int32

    public init(_ call: String, code: Int32 = errno) {
        self.call = call
        self.code = code
    }

    public var description: String { "\(call): \(String(cString: strerror(code)))" }
}
