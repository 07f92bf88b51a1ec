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
    static let appName = Array("rampart-firewall".utf8)

    public private(set) var destination: SocketAddress
    /// The configured target (host name kept, so a reload can resolve it again); nil when
    /// built from an address.
    public let target: SyslogTarget?
    /// The UDP socket (-1 with TCP).
    let descriptor: Int32
    /// The TCP stream (nil with UDP).
    var stream: SyslogStream?
    /// HOSTNAME and PROCID, fixed at start: " host rampart-firewall 1234 ".
    let header: [UInt8]
    /// One message, reused: no allocation per record.
    var message: [UInt8] = []
    var udpSent = 0
    var udpFailures = 0
    public private(set) var truncated = 0
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
        header = Array(" \(Self.hostname()) rampart-firewall \(getpid()) ".utf8)
        message.reserveCapacity(Self.maximumLength + 64)
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
        message.removeAll(keepingCapacity: true)
        message.append(UInt8(ascii: "<"))
        appendDecimal(Int(Self.facility) * 8 + Int(severity & 7), width: 1)
        message.append(contentsOf: [UInt8(ascii: ">"), UInt8(ascii: "1"), UInt8(ascii: " ")])
        appendTimestamp(now ?? Self.realtime())
        message.append(contentsOf: header)
        // MSGID: 1...32 printable US-ASCII characters (RFC 5424 §6.2.7).
        var idLength = 0
        for byte in eventType.utf8 where idLength < 32 && byte > 32 && byte < 127 {
            message.append(byte)
            idLength += 1
        }
        if idLength == 0 { message.append(UInt8(ascii: "-")) }
        message.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: " ")])
        var body = json.count
        if body > 0 && json[body - 1] == 0x0A { body -= 1 }
        let room = Self.maximumLength - message.count
        if body > room {
            truncated += 1
            body = max(room, 0)
            // Never end inside a UTF-8 sequence: back off continuation bytes (10xxxxxx)
            // and the lead byte whose sequence would not fit.
            while body > 0 && json[body] & 0xC0 == 0x80 { body -= 1 }
        }
        json.withUnsafeBufferPointer { message.append(contentsOf: $0[0 ..< body]) }
        if stream != nil {
            message.withUnsafeBufferPointer { stream?.enqueue($0) }
            return
        }
        let n = message.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n == message.count { udpSent += 1 } else { udpFailures += 1 }
    }

    /// RFC 3339 in UTC with microseconds: 2026-11-23T14:40:34.123456Z.
    func appendTimestamp(_ time: Timestamp) {
        var seconds = time_t(time.seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        appendDecimal(Int(parts.tm_year) + 1900, width: 4)
        message.append(UInt8(ascii: "-"))
        appendDecimal(Int(parts.tm_mon) + 1, width: 2)
        message.append(UInt8(ascii: "-"))
        appendDecimal(Int(parts.tm_mday), width: 2)
        message.append(UInt8(ascii: "T"))
        appendDecimal(Int(parts.tm_hour), width: 2)
        message.append(UInt8(ascii: ":"))
        appendDecimal(Int(parts.tm_min), width: 2)
        message.append(UInt8(ascii: ":"))
        appendDecimal(Int(parts.tm_sec), width: 2)
        message.append(UInt8(ascii: "."))
        appendDecimal(Int(max(time.subsecondNanoseconds, 0) / 1000), width: 6)
        message.append(UInt8(ascii: "Z"))
    }

    /// `value` in decimal, zero-padded to at least `width` digits.
    func appendDecimal(_ value: Int, width: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = max(value, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
                count += 1
            } while (v > 0 || count < width) && count < buffer.count
            for i in stride(from: count - 1, through: 0, by: -1) { message.append(buffer[i]) }
        }
    }

    static func realtime() -> Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Timestamp(seconds: Int64(now.tv_sec), nanoseconds: Int64(now.tv_nsec))
    }

    /// The host name as RFC 5424 allows it (1...255 printable US-ASCII), else "-".
    static func hostname() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, 255) == 0 else { return "-" }
        let bytes = name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 > 32 && $0 < 127 }) else { return "-" }
        return String(decoding: bytes, as: UTF8.self)
    }
}
