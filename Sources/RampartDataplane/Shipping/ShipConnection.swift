#if canImport(Glibc)
import Glibc
#endif

/// The shipper's TCP connection to the syslog collector: dialled with `SyslogStream.dial`,
/// again after a backoff (0.1 s doubling to `maximumBackoff`, as the in-memory stream does),
/// and able to say how much of what it sent the collector has acknowledged.
///
/// Acknowledged, not merely sent: `send` returning means the kernel took the bytes, and a
/// collector that goes away loses what sat in our send queue. `SIOCOUTQ` gives the bytes
/// in the send queue the peer has not acknowledged, so `sent - unacknowledged` bytes are in
/// the collector's kernel. (It cannot tell whether the collector's process read them:
/// RFC 6587 has no application acknowledgement.)
///
/// ```swift
/// var connection = ShipConnection(destination: address)
/// if connection.establish() { _ = connection.send(frames) }
/// let acknowledged = connection.sent - (connection.unacknowledged() ?? connection.sent)
/// ```
struct ShipConnection {
    var destination: SocketAddress
    private(set) var descriptor: Int32 = -1
    private(set) var state = SyslogStream.State.disconnected
    /// Bytes the kernel took on this connection (0 after each connect).
    private(set) var sent = 0
    private(set) var connects = 0
    /// Why the last attempt or connection failed (an errno), 0 when it did not.
    private(set) var lastError: Int32 = 0
    private var retryAt: Int64 = 0
    private var backoff: Int64
    let initialBackoff: Int64 = 100_000_000
    let maximumBackoff: Int64
    /// `SIOCOUTQ` (linux/sockios.h; the same number as `TIOCOUTQ`), which Glibc's module does
    /// not import.
    static let queuedOutputRequest: UInt = 0x5411

    init(destination: SocketAddress, maximumBackoffNanoseconds: Int64 = SyslogStream.maximumBackoff) {
        self.destination = destination
        maximumBackoff = max(maximumBackoffNanoseconds, initialBackoff)
        backoff = initialBackoff
    }

    var isConnected: Bool { state == .connected }

    /// Nanoseconds until the next connection attempt is due (0: now or connected).
    func retryDelay(now: Int64) -> Int64 { state == .disconnected ? max(retryAt - now, 0) : 0 }

    /// Starts a connection when one is due and finishes one in progress, waiting at most
    /// `waitingMilliseconds`; true once connected.
    mutating func establish(now: Int64, waitingMilliseconds: Int32 = 0) -> Bool {
        if state == .disconnected {
            guard now >= retryAt else { return false }
            let (fd, result) = SyslogStream.dial(destination)
            connects += 1
            guard fd >= 0 else {
                lastError = errno
                scheduleRetry(now: now)
                return false
            }
            descriptor = fd
            state = result
            sent = 0
            if result == .disconnected {
                lastError = errno
                drop(now: now)
                return false
            }
            if result == .connected { connected() }
        }
        if state == .connecting {
            let (result, error) = SyslogStream.finishConnect(descriptor, waitingMilliseconds: waitingMilliseconds)
            switch result {
            case .connecting: return false
            case .disconnected:
                lastError = error
                drop(now: now)
                return false
            case .connected: connected()
            }
        }
        return state == .connected
    }

    /// Hands bytes to the kernel without waiting: how many it took (0 when the send queue is
    /// full); nil when the connection broke (then it is closed and a retry scheduled).
    mutating func send(_ bytes: UnsafeRawBufferPointer, now: Int64) -> Int? {
        guard state == .connected, let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        while true {
            let n = Glibc.send(descriptor, base, bytes.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            if n >= 0 {
                sent += n
                return n
            }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            lastError = errno
            drop(now: now)
            return nil
        }
    }

    /// Bytes sent on this connection that the collector has not acknowledged; nil when the
    /// kernel will not say (then nothing is taken as delivered).
    func unacknowledged() -> Int? {
        guard state == .connected else { return nil }
        var queued: Int32 = 0
        let status = withUnsafeMutablePointer(to: &queued) { ioctl(descriptor, Self.queuedOutputRequest, $0) }
        return status == 0 ? Int(queued) : nil
    }

    /// Whether the collector closed or reset the connection (it is not meant to send
    /// anything; what it sends is read and dropped). Checked without waiting.
    mutating func peerHungUp(now: Int64) -> Bool {
        guard state == .connected else { return false }
        var p = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return false }
        var sink = [UInt8](repeating: 0, count: 512)
        let n = sink.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)) { return false }
        lastError = n == 0 ? ECONNRESET : errno
        drop(now: now)
        return true
    }

    /// Waits up to `milliseconds` for room in the send queue.
    func waitWritable(milliseconds: Int32) {
        guard state == .connected else { return }
        var p = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        _ = poll(&p, 1, milliseconds)
    }

    private mutating func connected() {
        state = .connected
        backoff = initialBackoff
        lastError = 0
    }

    /// Closes the connection and schedules the next attempt.
    mutating func drop(now: Int64) {
        close()
        scheduleRetry(now: now)
    }

    /// Points at a new address (a reload resolved the name again): the next attempt is now.
    mutating func redirect(to address: SocketAddress, now: Int64) {
        destination = address
        close()
        retryAt = now
        backoff = initialBackoff
    }

    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        state = .disconnected
    }

    private mutating func scheduleRetry(now: Int64) {
        retryAt = now + backoff
        backoff = min(backoff * 2, maximumBackoff)
    }
}
