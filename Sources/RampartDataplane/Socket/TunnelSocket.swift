import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// The firewall's UDP tunnel socket: non-blocking, bound to the listen address, read and
/// written in batches with `recvmmsg`/`sendmmsg`.
///
/// ```swift
/// let socket = try TunnelSocket(bind: SocketAddress(parsing: "0.0.0.0:6080")!)
/// let n = socket.receive(batch)          // 0 when nothing is waiting
/// let sent = socket.send(outgoing)       // never blocks; the rest is counted as dropped
/// ```
public final class TunnelSocket: @unchecked Sendable {
    public let descriptor: Int32
    public let local: SocketAddress

    /// - Parameter reusePort: join an SO_REUSEPORT group (one socket per worker; see
    ///   `ReuseportSteering`).
    public init(bind address: SocketAddress, reusePort: Bool = false, receiveBuffer: Int = 8 << 20, sendBuffer: Int = 8 << 20) throws {
        let family = address.address.isIPv4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort {
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                let error = SystemError("setsockopt(SO_REUSEPORT)")
                close(fd)
                throw error
            }
        }
        var size = Int32(clamping: receiveBuffer)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        size = Int32(clamping: sendBuffer)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var storage = sockaddr_storage()
        let length = address.write(to: &storage)
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let error = SystemError("bind \(address)")
            close(fd)
            throw error
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        descriptor = fd
        local = withUnsafePointer(to: &actual) { SocketAddress(reading: UnsafeRawPointer($0)) } ?? address
    }

    deinit { close(descriptor) }

    /// Asks the kernel to coalesce received datagrams of one flow (UDP GRO); each receive
    /// then reports its segment size (`MessageBatch.receivedSegmentSize`). False when the
    /// kernel does not offer it.
    public func enableReceiveCoalescing() -> Bool {
        var one: Int32 = 1
        return setsockopt(descriptor, UDPSegmentation.level, UDPSegmentation.receiveOffloadOption, &one, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// Whether the kernel knows UDP segmentation offload (`UDP_SEGMENT`, Linux 4.18): sends
    /// of a `SegmentBatch` are cut into datagrams by the kernel.
    public func supportsSegmentedSend() -> Bool {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, UDPSegmentation.level, UDPSegmentation.segmentOption, &value, &length) == 0
    }

    /// Receives up to `count` datagrams into the prepared messages of `batch`; returns how
    /// many arrived (0 when none is waiting or on error; `errno` says which).
    @inlinable
    public func receive(_ batch: MessageBatch, count: Int) -> Int {
        let n = clinux_recvmmsg(descriptor, batch.messages, UInt32(min(count, batch.capacity)), Int32(MSG_DONTWAIT))
        return n > 0 ? Int(n) : 0
    }

    /// Sends `batch.count` messages starting at `start`; returns how many the kernel took,
    /// or -1 with `errno` set when the first one failed.
    @inlinable
    public func send(_ batch: MessageBatch, from start: Int) -> Int {
        send(batch, from: start, count: batch.count &- start)
    }

    /// Sends `count` messages of `batch` starting at `start` (as `send(_:from:)`).
    @inlinable
    public func send(_ batch: MessageBatch, from start: Int, count: Int) -> Int {
        guard start >= 0, count > 0, start &+ count <= batch.count else { return 0 }
        let n = clinux_sendmmsg(descriptor, batch.messages + start, UInt32(count), Int32(MSG_DONTWAIT))
        return Int(n)
    }

    /// Sends the messages of `batch` from `start`, each a run of datagrams the kernel cuts
    /// (UDP GSO); returns how many messages it took, or -1 with `errno` set when the first
    /// one failed (EIO or EINVAL: this path or peer cannot take segmented sends).
    @inlinable
    public func send(_ batch: SegmentBatch, from start: Int) -> Int {
        guard start >= 0, start < batch.count else { return 0 }
        let n = clinux_sendmmsg(descriptor, batch.messages + start, UInt32(batch.count &- start), Int32(MSG_DONTWAIT))
        return Int(n)
    }
}
