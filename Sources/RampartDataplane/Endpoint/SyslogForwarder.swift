#if canImport(Glibc)
import Glibc
#endif
import RampartWire

/// Forwards EVE records as RFC 5424 syslog messages over UDP, one datagram per record, or
/// over TCP with RFC 6587 octet counting (`SyslogStream`: bounded queue, reconnects):
/// `<PRI>1 TIMESTAMP HOSTNAME rampart-firewall PROCID EVENT_TYPE - JSON`.
///
/// Facility local0 (16); severity 4 (warning) for anomalies, 6 (informational) for every
/// other record. Sends never block: the socket is non-blocking and a send that fails (full
/// buffer, ICMP refusal from the collector) is counted in `failures`, never retried. A
/// message longer than `maximumLength` (2048 bytes, RFC 5424 §6.1's safe size) is cut at a
/// UTF-8 character boundary, so its JSON is then incomplete; `truncated` counts those.
/// Each worker owns its own forwarder (its own socket): nothing is shared.
///
/// ```swift
/// let syslog = try SyslogForwarder(destination: SocketAddress(parsing: "127.0.0.1:514")!)
/// syslog.send(eventType: "flow", severity: SyslogForwarder.informational, json: line.bytes)
/// ```
public final class SyslogForwarder {
    public static let facility: UInt8 = 16
    public static let warning: UInt8 = 4
    public static let informational: UInt8 = 6
    public static let maximumLength = 2048

    public private(set) var destination: SocketAddress
    /// The configured target (host name kept, so a reload can resolve it again); nil when
    /// built from an address.
    public let target: SyslogTarget?
    /// The UDP socket (-1 with TCP).
    let descriptor: Int32
    /// The TCP stream (nil with UDP).
    var stream: SyslogStream?
    /// One message, reused: no allocation per record.
    var writer = SyslogMessageWriter()
    var udpSent = 0
    var udpFailures = 0
    /// Messages cut to `maximumLength`.
    public var truncated: Int { writer.truncated }
    /// Bytes of frames a TCP stream may hold while the collector is slow or away.
    public static let defaultQueueBytes = 1 << 20

    /// Messages handed to the kernel whole (UDP datagrams; TCP frames written entirely).
    public var sent: Int { stream?.sent ?? udpSent }
    /// Messages lost, all reasons.
    public var failures: Int { udpFailures + (stream.map { $0.droppedQueueFull + $0.droppedDisconnected } ?? 0) }
    /// Messages lost by reason: send_failed (UDP), queue_full and disconnected (TCP).
    public var failuresByReason: [(reason: String, count: Int)] {
        [("send_failed", udpFailures), ("queue_full", stream?.droppedQueueFull ?? 0), ("disconnected", stream?.droppedDisconnected ?? 0)]
    }
    /// TCP connection attempts (0 with UDP).
    public var connects: Int { stream?.connects ?? 0 }

    /// Resolves `target` (getaddrinfo: call at start) and opens its transport: a
    /// non-blocking connected UDP socket, or a TCP stream that connects on its first flush.
    public convenience init(target: SyslogTarget, queueBytes: Int = SyslogForwarder.defaultQueueBytes) throws {
        let address = try target.resolve()
        try self.init(destination: address, target: target, queueBytes: queueBytes)
    }

    /// Opens a non-blocking UDP socket connected to `destination`.
    public convenience init(destination: SocketAddress) throws {
        try self.init(destination: destination, target: nil, queueBytes: 0)
    }

    init(destination: SocketAddress, target: SyslogTarget?, queueBytes: Int) throws {
        self.destination = destination
        self.target = target
        if target?.transport == .tcp {
            descriptor = -1
            stream = SyslogStream(destination: destination, queueBytes: queueBytes)
            stream?.flush()
            return
        }
        let fd = socket(destination.address.isIPv4 ? AF_INET : AF_INET6,
                        Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket (syslog)") }
        var storage = sockaddr_storage()
        let length = destination.write(to: &storage)
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else {
            let error = SystemError("connect syslog \(destination)")
            Glibc.close(fd)
            throw error
        }
        descriptor = fd
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
        stream?.close()
    }

    /// Sends what a TCP stream holds (and reconnects when due); nothing for UDP.
    public func flush() { stream?.flush() }

    /// Resolves the target's host again (on reload) and sends to the new address from now
    /// on. Throws, keeping the old address, when it no longer resolves.
    public func resolveAgain() throws {
        guard let target, IPAddress(target.host) == nil else { return }
        let address = try target.resolve()
        guard address != destination else { return }
        destination = address
        if stream != nil {
            stream?.redirect(to: address)
        } else {
            var storage = sockaddr_storage()
            let length = address.write(to: &storage)
            _ = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, length) }
            }
        }
    }

    /// Sends one record; `json` is the EVE line (its trailing newline is dropped).
    public func send(eventType: String, severity: UInt8, json: [UInt8], now: Timestamp? = nil) {
        json.withUnsafeBufferPointer { writer.write(eventType: eventType.utf8, severity: severity, json: $0, now: now) }
        if stream != nil {
            writer.message.withUnsafeBufferPointer { stream?.enqueue($0) }
            return
        }
        let n = writer.message.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n == writer.message.count { udpSent += 1 } else { udpFailures += 1 }
    }
}
