#if canImport(Glibc)
import Glibc
#endif

/// The TCP side of syslog (RFC 6587 octet counting: `LENGTH SP MESSAGE`), owned by one
/// worker and driven only from it: a bounded queue of whole frames, flushed with
/// non-blocking sends when a record is added and at every event-log flush. Nothing waits:
/// a connect in progress is checked with `poll(…, 0)`, a full queue drops the new frame
/// (counted), and a lost connection is dialled again after a backoff (0.1 s doubling to
/// 10 s). A frame cut by a lost connection is dropped (counted) so the next connection
/// starts on a frame boundary.
///
/// ```swift
/// var stream = SyslogStream(destination: address, queueBytes: 256 << 10)
/// stream.enqueue(message)   // framed, queued, sent when the socket takes it
/// stream.flush()
/// ```
struct SyslogStream {
    enum State { case disconnected, connecting, connected }

    var destination: SocketAddress
    var descriptor: Int32 = -1
    var state = State.disconnected
    /// Whole frames; `queue[0 ..< headSent]` is sent already; `boundary` is where the first
    /// frame not yet sent whole starts.
    var queue: [UInt8] = []
    var headSent = 0
    var boundary = 0
    let capacity: Int
    var retryAt: Int64 = 0
    var backoff: Int64 = 100_000_000
    static let maximumBackoff: Int64 = 10_000_000_000

    private(set) var sent = 0
    private(set) var droppedQueueFull = 0
    private(set) var droppedDisconnected = 0
    private(set) var connects = 0

    init(destination: SocketAddress, queueBytes: Int) {
        self.destination = destination
        capacity = max(queueBytes, 4096)
        queue.reserveCapacity(capacity)
    }

    /// Queues one message as an octet-counted frame and tries to send.
    mutating func enqueue(_ message: UnsafeBufferPointer<UInt8>) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
        let frame = withUnsafeMutableBytes(of: &digits) { d -> Int in
            var v = message.count, n = 0
            repeat { d[n] = UInt8(ascii: "0") + UInt8(v % 10); v /= 10; n += 1 } while v > 0 && n < 8
            return n
        }
        let total = frame + 1 + message.count
        if queue.count + total > capacity && headSent == boundary && boundary > 0 { compact() }
        guard queue.count + total <= capacity else {
            droppedQueueFull += 1
            flush()
            return
        }
        withUnsafeBytes(of: &digits) { d in for i in stride(from: frame - 1, through: 0, by: -1) { queue.append(d[i]) } }
        queue.append(UInt8(ascii: " "))
        queue.append(contentsOf: message)
        flush()
    }

    /// Sends what the socket takes; connects (again) when it is time.
    mutating func flush() {
        if state == .disconnected {
            guard !queue.isEmpty || connects == 0, SyslogStream.now() >= retryAt else { return }
            connect()
        }
        if state == .connecting {
            var p = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, 0) > 0 else { return }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { return lost() }
            state = .connected
            backoff = 100_000_000
        }
        while headSent < queue.count {
            let n = queue.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + headSent, $0.count - headSent, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return lost()
            }
            headSent += n
            advance()
        }
        if headSent == queue.count && headSent > 0 {
            queue.removeAll(keepingCapacity: true)
            headSent = 0
            boundary = 0
        }
    }

    /// Moves `boundary` past every frame now sent whole.
    private mutating func advance() {
        while boundary < queue.count {
            let length = frameLength(at: boundary)
            guard boundary + length <= headSent else { break }
            boundary += length
            sent += 1
        }
    }

    /// The whole length of the frame starting at `at` (its digits, the space, the message).
    private func frameLength(at: Int) -> Int {
        var i = at, value = 0
        while i < queue.count && queue[i] != UInt8(ascii: " ") {
            value = value * 10 + Int(queue[i] &- UInt8(ascii: "0"))
            i += 1
        }
        return i - at + 1 + value
    }

    /// Forgets the frames sent whole.
    private mutating func compact() {
        queue.removeFirst(boundary)
        headSent -= boundary
        boundary = 0
    }

    private mutating func connect() {
        let fd = socket(destination.address.isIPv4 ? AF_INET : AF_INET6,
                        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return scheduleRetry() }
        var storage = sockaddr_storage()
        let length = destination.write(to: &storage)
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        connects += 1
        descriptor = fd
        if result == 0 {
            state = .connected
            backoff = 100_000_000
        } else if errno == EINPROGRESS {
            state = .connecting
        } else {
            lost()
        }
    }

    /// The connection failed or broke: drop a half-sent frame, close, retry later.
    private mutating func lost() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        state = .disconnected
        if headSent > boundary {
            let cut = boundary + frameLength(at: boundary)
            droppedDisconnected += 1
            boundary = min(cut, queue.count)
        }
        queue.removeFirst(boundary)
        headSent = 0
        boundary = 0
        scheduleRetry()
    }

    private mutating func scheduleRetry() {
        retryAt = SyslogStream.now() + backoff
        backoff = min(backoff * 2, SyslogStream.maximumBackoff)
    }

    /// Points the stream at a new address (a reload resolved the name again).
    mutating func redirect(to address: SocketAddress) {
        guard address != destination else { return }
        destination = address
        if descriptor >= 0 { lost() }
        retryAt = 0
        backoff = 100_000_000
    }

    mutating func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
        state = .disconnected
    }

    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
