#if canImport(Glibc)
import Glibc
#endif
import RampartHTTP
import RampartPOSIX
import RampartWire

/// The log store's door: a TCP listener for the firewalls' event shippers (RFC 5424 over
/// TCP, octet-counted). One thread polls the listening socket and every connection; each
/// connection has its own `SyslogFrameDecoder`. Whole messages go to `deliver`, which may
/// block when the store is behind: the thread then stops reading and TCP's flow control
/// holds the firewalls back (their shippers keep the records in their event files, and
/// resend what was not acknowledged), so nothing is dropped for speed.
///
/// Who may connect: the networks in `sources`; anyone else is closed at once, counted and
/// logged (syslog over TCP has no authentication of its own).
///
/// ```swift
/// let receiver = try SyslogReceiver(listen: "0.0.0.0:6514", sources: [net]) { messages in queue.append(messages) }
/// receiver.start()
/// ```
public final class SyslogReceiver: @unchecked Sendable {
    public let local: String
    public static let maximumConnections = 256
    private let fd: Int32
    private let sources: [IPNetwork]
    private let deliver: ([SyslogMessage]) -> Void
    private let log: @Sendable (String) -> Void
    private let stopSignal = StopSignal()
    private var thread: NamedThread.Handle?
    private let lock = Lock()
    private var counters = (accepted: 0, refused: 0, malformed: 0, framingErrors: 0, messages: 0, open: 0)

    public init(listen: String, sources: [IPNetwork], log: @escaping @Sendable (String) -> Void = { _ in },
                deliver: @escaping ([SyslogMessage]) -> Void) throws(HTTPConfigurationError) {
        guard let address = ListenAddress(listen) else {
            throw HTTPConfigurationError("spec.logs.listen '\(listen)' must be IP:port, e.g. 0.0.0.0:6514")
        }
        let (fd, port) = try address.bindListening(backlog: 128)
        self.fd = fd
        var bound = address
        bound.port = port
        local = bound.description
        self.sources = sources
        self.deliver = deliver
        self.log = log
    }

    public var counts: (accepted: Int, refused: Int, malformed: Int, framingErrors: Int, messages: Int, open: Int) { lock.withLock { counters } }

    public func start() {
        thread = NamedThread.start(name: "syslog in") { [self] in loop() }
    }

    public func stop() {
        stopSignal.stop()
        if let thread { while !thread.isFinished { usleep(5_000) } }
        close(fd)
    }

    private func loop() {
        var connections: [Int32: (peer: String, decoder: SyslogFrameDecoder)] = [:]
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while !stopSignal.isStopped {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
            fds += connections.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), 100) > 0 else { continue }
            if fds[0].revents != 0 { accept(into: &connections) }
            for entry in fds.dropFirst() where entry.revents != 0 {
                guard var connection = connections[entry.fd] else { continue }
                let n = read(entry.fd, &buffer, buffer.count)
                if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                var messages: [SyslogMessage] = []
                var closing = n <= 0
                if n > 0 {
                    let malformedBefore = connection.decoder.malformed
                    do throws(SyslogFrameError) {
                        messages = try connection.decoder.feed(buffer[0 ..< n])
                    } catch {
                        closing = true
                        lock.withLock { counters.framingErrors += 1 }
                        log(ManagerLog.line("warning", event: "log-framing-error", fields: [
                            "peer": .string(connection.peer), "error": .string(error.description),
                        ]))
                    }
                    let malformed = connection.decoder.malformed - malformedBefore
                    lock.withLock {
                        counters.messages += messages.count
                        counters.malformed += malformed
                    }
                    connections[entry.fd] = connection
                }
                if !messages.isEmpty { deliver(messages) }
                if closing {
                    close(entry.fd)
                    connections[entry.fd] = nil
                    lock.withLock { counters.open = connections.count }
                }
            }
        }
        for fd in connections.keys { close(fd) }
    }

    private func accept(into connections: inout [Int32: (peer: String, decoder: SyslogFrameDecoder)]) {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
            }
            guard client >= 0 else { return }
            _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let peer = ListenAddress.peer(storage)
            let admitted = IPAddress(peer).map { address in sources.contains { $0.contains(address) } } ?? false
            guard admitted, connections.count < SyslogReceiver.maximumConnections else {
                close(client)
                lock.withLock { counters.refused += 1 }
                log(ManagerLog.line("warning", event: "log-connection-refused", fields: [
                    "peer": .string(peer),
                    "reason": .string(admitted ? "\(SyslogReceiver.maximumConnections) connections already open" : "not in spec.logs.sources"),
                ]))
                continue
            }
            connections[client] = (peer, SyslogFrameDecoder())
            lock.withLock {
                counters.accepted += 1
                counters.open = connections.count
            }
        }
    }
}
