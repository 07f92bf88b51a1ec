#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A `NETLINK_ROUTE` socket: one request at a time, each with its own sequence number,
/// acknowledged (`NLM_F_ACK`) or dumped (`NLM_F_DUMP` until `NLMSG_DONE`). Receives time
/// out (`SO_RCVTIMEO`) so a lost reply never hangs the caller. The socket belongs to the
/// network namespace it was created in; see `NetworkNamespace.openSocket()`.
///
/// ```swift
/// let socket = try NetworkNamespace(path: "/run/netns/pod1").openSocket()
/// for link in try socket.links() { print(link.name, link.isUp) }
/// ```
public final class NetlinkSocket: Sendable {
    /// The file descriptor, open until the socket is deinitialised.
    public let descriptor: Int32
    private let sequence: Mutex<UInt32>

    /// Opens a socket in the calling thread's current network namespace.
    ///
    /// - Parameters:
    ///   - timeout: how long one receive may wait before `.timedOut` (at least 1 ms).
    ///   - receiveBufferSize: the kernel-side buffer (`SO_RCVBUF`) for large dumps.
    ///
    /// ```swift
    /// let socket = try NetlinkSocket(timeout: .seconds(2))
    /// ```
    public init(timeout: Duration = .seconds(5), receiveBufferSize: Int32 = 1 << 20) throws(NetlinkError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), SocketOption.netlinkRoute)
        guard fd >= 0 else { throw .system(operation: "opening a netlink socket", errno: Glibc.errno) }
        descriptor = fd
        sequence = Mutex(UInt32(truncatingIfNeeded: time(nil)))

        // A zero SO_RCVTIMEO would mean "wait forever", so the timeout is at least 1 ms.
        let bounded = max(timeout, .milliseconds(1))
        let seconds = bounded.components.seconds
        let micros = bounded.components.attoseconds / 1_000_000_000_000
        var interval = timeval(tv_sec: Int(seconds), tv_usec: Int(micros))
        var one: Int32 = 1
        var size = receiveBufferSize
        let length = socklen_t(MemoryLayout<timeval>.size)
        guard setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, length) == 0,
              setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &interval, length) == 0
        else {
            let code = Glibc.errno
            // Every stored property is set, so deinit runs after this throw and closes `fd`.
            throw .system(operation: "setting the netlink socket timeout", errno: code)
        }
        // Best effort: a smaller buffer or no extended acks only cost detail, not function.
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SocketOption.solNetlink, SocketOption.extAck, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SocketOption.solNetlink, SocketOption.capAck, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(descriptor) }

    /// Sends `request` with `NLM_F_ACK` and waits for the kernel's acknowledgement,
    /// returning any reply messages that came before it (e.g. for a single `RTM_GETLINK`).
    /// A negative errno in the reply becomes `.kernel(operation:errno:message:)`.
    ///
    /// ```swift
    /// var request = NetlinkRequest(type: 16, flags: 0)
    /// try socket.execute(request, operation: "setting link eth0 up")
    /// ```
    @discardableResult
    public func execute(_ request: NetlinkRequest, operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        let acked = NetlinkRequest(copying: request, addingFlags: NLFlag.ack)
        return try exchange(acked, operation: operation, isDump: false).0
    }

    /// Sends `request` with `NLM_F_DUMP` and collects every message until `NLMSG_DONE`.
    /// A dump interrupted by a concurrent change (`NLM_F_DUMP_INTR`) is retried.
    ///
    /// ```swift
    /// let replies = try socket.dump(NetlinkRequest(type: 18, flags: 0), operation: "listing links")
    /// ```
    public func dump(_ request: NetlinkRequest, operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        let dumping = NetlinkRequest(copying: request, addingFlags: NLFlag.dump)
        var attempt = 0
        while true {
            let (messages, interrupted) = try exchange(dumping, operation: operation, isDump: true)
            attempt += 1
            if !interrupted || attempt >= 5 { return messages }
        }
    }

    private func exchange(_ request: NetlinkRequest, operation: String, isDump: Bool) throws(NetlinkError) -> ([NetlinkMessage], Bool) {
        try sequence.withLock { (next: inout UInt32) throws(NetlinkError) -> ([NetlinkMessage], Bool) in
            next &+= 1
            let seq = next
            try send(request.finalized(sequence: seq), operation: operation)
            var collected: [NetlinkMessage] = []
            var interrupted = false
            while true {
                let datagram = try receive(operation: operation)
                for message in try NetlinkMessage.parse(datagram, operation: operation) {
                    // Replies to an earlier request that timed out are stale: skip them.
                    guard message.sequence == seq else { continue }
                    if message.flags & NLFlag.dumpInterrupted != 0 { interrupted = true }
                    switch message.type {
                    case NLMsg.error:
                        try Self.checkError(message, operation: operation)
                        if !isDump { return (collected, interrupted) }
                    case NLMsg.done:
                        if let code = ByteReader(message.payload).i32(at: 0), code < 0 {
                            throw .kernel(operation: operation, errno: code == Int32.min ? EINVAL : -code, message: nil)
                        }
                        return (collected, interrupted)
                    case NLMsg.noop:
                        continue
                    case NLMsg.overrun:
                        throw .system(operation: operation, errno: ENOBUFS)
                    default:
                        collected.append(message)
                    }
                }
            }
        }
    }

    /// Throws for a negative errno; returns for an acknowledgement (errno 0).
    static func checkError(_ message: NetlinkMessage, operation: String) throws(NetlinkError) {
        let reader = ByteReader(message.payload)
        guard let code = reader.i32(at: 0) else {
            throw .malformedReply(operation: operation, reason: "error message without errno")
        }
        if code == 0 { return }
        var text: String?
        if message.flags & NLFlag.ackTLVs != 0 {
            // nlmsgerr is errno + the original header, followed by the original payload
            // unless the kernel capped it.
            var offset = 4 + NetlinkMessage.headerSize
            if message.flags & NLFlag.capped == 0, let originalLength = reader.u32(at: 4) {
                offset = 4 + netlinkAligned(Int(originalLength))
            }
            if offset < message.payload.count,
               let attributes = try? NetlinkAttributes(parsing: reader.slice(from: offset), operation: operation) {
                text = attributes.string(1)  // NLMSGERR_ATTR_MSG
            }
        }
        throw .kernel(operation: operation, errno: code == Int32.min ? EINVAL : -code, message: text)
    }

    private func send(_ datagram: [UInt8], operation: String) throws(NetlinkError) {
        var kernel = KernelAddress()
        while true {
            let sent = datagram.withUnsafeBytes { raw in
                withUnsafePointer(to: &kernel) { address in
                    address.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<KernelAddress>.size))
                    }
                }
            }
            if sent >= 0 { return }
            let code = Glibc.errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(operation: operation) }
            throw .system(operation: operation, errno: code)
        }
    }

    /// Receives one datagram, sized first with `MSG_PEEK | MSG_TRUNC` so a large dump
    /// part is never cut short.
    private func receive(operation: String) throws(NetlinkError) -> [UInt8] {
        var probe = [UInt8](repeating: 0, count: 1)
        while true {
            let size = recv(descriptor, &probe, 1, Int32(MSG_PEEK | MSG_TRUNC))
            if size < 0 {
                let code = Glibc.errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(operation: operation) }
                throw .system(operation: operation, errno: code)
            }
            var buffer = [UInt8](repeating: 0, count: max(size, 16))
            let received = recv(descriptor, &buffer, buffer.count, 0)
            if received < 0 {
                let code = Glibc.errno
                if code == EINTR { continue }
                if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(operation: operation) }
                throw .system(operation: operation, errno: code)
            }
            return Array(buffer.prefix(received))
        }
    }
}

/// `struct sockaddr_nl` for the kernel (port 0, no groups); Glibc does not export it.
private struct KernelAddress {
    var family = UInt16(AF_NETLINK)
    var pad: UInt16 = 0
    var portID: UInt32 = 0
    var groups: UInt32 = 0
}

extension NetlinkRequest {
    init(copying other: NetlinkRequest, addingFlags extra: UInt16) {
        self = other
        setFlags(other.flags | extra)
    }
}
