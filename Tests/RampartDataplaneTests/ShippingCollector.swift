import Foundation
import Glibc
import Testing

/// A syslog collector over TCP on 127.0.0.1 that can be down (nothing listens on its port,
/// so connections are refused) and come up again on the same port. It keeps every whole
/// RFC 6587 frame of every connection, in arrival order.
final class ShippingCollector {
    let port: UInt16
    private var listener: Int32 = -1
    private var connection: Int32 = -1
    /// Bytes of the current connection not yet a whole frame.
    private var pending: [UInt8] = []
    private(set) var frames: [[UInt8]] = []
    private(set) var connections = 0

    /// Reserves a free port; listens on it when `up`.
    init(up: Bool) throws {
        let fd = try Self.listen(port: 0)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        if !up { down() }
    }

    deinit { down() }

    /// Listens on the port again (SO_REUSEADDR: no wait for old connections' TIME_WAIT).
    func up() throws {
        guard listener < 0 else { return }
        listener = try Self.listen(port: port)
    }

    /// Closes the listener and the connection: new connections are refused.
    func down() {
        hangUp()
        if listener >= 0 { close(listener) }
        listener = -1
    }

    /// Drops the current connection (as a collector restart would); frames kept.
    func hangUp() {
        if connection >= 0 { close(connection) }
        connection = -1
        pending = []
    }

    /// Accepts and reads until `done(frames)` holds or `seconds` pass (a generous deadline,
    /// never a timing assertion); returns the frames.
    @discardableResult
    func collect(seconds: Double = 60, until done: ([[UInt8]]) -> Bool) -> [[UInt8]] {
        let deadline = Date().addingTimeInterval(seconds)
        while !done(frames) && Date() < deadline {
            if listener >= 0 {
                var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 0) > 0 {
                    let accepted = accept(listener, nil, nil)
                    if accepted >= 0 {
                        hangUp()
                        connection = accepted
                        connections += 1
                    }
                }
            }
            guard connection >= 0 else {
                usleep(10_000)
                continue
            }
            var p = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 10) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            if n <= 0 {
                hangUp()
                continue
            }
            pending += buffer[0 ..< n]
            takeFrames()
        }
        return frames
    }

    private func takeFrames() {
        var i = 0
        while i < pending.count {
            guard let space = pending[i...].firstIndex(of: 32), let n = Int(String(decoding: pending[i ..< space], as: UTF8.self)),
                  space + 1 + n <= pending.count else { break }
            frames.append(Array(pending[(space + 1) ..< (space + 1 + n)]))
            i = space + 1 + n
        }
        pending.removeFirst(i)
    }

    private static func listen(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = port.bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound, Glibc.listen(fd, 8) == 0 else {
            close(fd)
            throw CollectorError(port: port)
        }
        return fd
    }

    struct CollectorError: Error { var port: UInt16 }
}

/// Log lines captured from `EventDelivery`.
final class CapturedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func add(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    /// The lines whose "event" is `event`, parsed.
    func events(_ event: String) -> [[String: Any]] {
        all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.filter { $0["event"] as? String == event }
    }
}
