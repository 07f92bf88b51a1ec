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
        let total = Self.frameLength(message.count)
        if queue.count + total > capacity && headSent == boundary && boundary > 0 { compact() }
        guard queue.count + total <= capacity else {
            droppedQueueFull += 1
            flush()
            return
        }
        Self.appendFrame(message, to: &queue)
        flush()
    }

    /// The bytes of `message`'s frame: its length in decimal, a space, the message.
    static func frameLength(_ count: Int) -> Int {
        var digits = 1, v = count
        while v >= 10 { v /= 10; digits += 1 }
        return digits + 1 + count
    }

    /// Appends `LENGTH SP MESSAGE` (RFC 6587 §3.4.1): the one framing of syslog over TCP.
    static func appendFrame(_ message: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        SyslogMessageWriter.appendDecimal(message.count, width: 1, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: message)
    }

    /// Sends what the socket takes; connects (again) when it is time.
    mutating func flush() {
        if state == .disconnected {
            guard !queue.isEmpty || connects == 0, SyslogStream.now() >= retryAt else { return }
            connect()
        }
        if state == .connecting {
            switch Self.finishConnect(descriptor).state {
            case .connecting: return
            case .disconnected: return lost()
            case .connected:
                state = .connected
                backoff = 100_000_000
            }
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
        let (fd, result) = Self.dial(destination)
        guard fd >= 0 else { return scheduleRetry() }
        connects += 1
        descriptor = fd
        switch result {
        case .connected:
            state = .connected
            backoff = 100_000_000
        case .connecting:
            state = .connecting
        case .disconnected:
            lost()
        }
    }

    /// Opens a non-blocking TCP socket and starts connecting it to `destination`: the socket
    /// (-1 when none could be made) and whether it is connected, connecting, or refused.
    static func dial(_ destination: SocketAddress) -> (descriptor: Int32, state: State) {
        let fd = socket(destination.address.isIPv4 ? AF_INET : AF_INET6,
                        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, .disconnected) }
        var storage = sockaddr_storage()
        let length = destination.write(to: &storage)
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) }
        }
        if result == 0 { return (fd, .connected) }
        return (fd, errno == EINPROGRESS ? .connecting : .disconnected)
    }

    /// Whether a connect in progress has finished: connected, still connecting, or failed
    /// (then the socket's error is in `errno`'s place, returned second).
    static func finishConnect(_ descriptor: Int32, waitingMilliseconds: Int32 = 0) -> (state: State, error: Int32) {
        var p = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        guard poll(&p, 1, waitingMilliseconds) > 0 else { return (.connecting, 0) }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? (.connected, 0) : (.disconnected, error)
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
