import CLinux
import FoundationEssentials
import RampartPOSIX
import RampartKube

#if canImport(Glibc)
import Glibc
#endif

/// The agent's bound, listening unix socket (the plugin's questions; HTTP goes through
/// RampartHTTP), whose accept loop runs until a stop
/// signal, handing each connection to its own short-lived thread so one slow client never
/// holds up the plugin's next question.
///
/// ```swift
/// let socket = try ListeningSocket.unix(path: "/run/rampart/node.sock", mode: 0o600)
/// NamedThread.start(name: "agent-socket") { socket.serve(until: stop) { fd in handle(fd) } }
/// ```
public final class ListeningSocket: Sendable {
    public let descriptor: Int32
    /// The unix path or `host:port` actually bound (port 0 resolved).
    public let address: String
    private let unixPath: String?

    private init(descriptor: Int32, address: String, unixPath: String?) {
        self.descriptor = descriptor
        self.address = address
        self.unixPath = unixPath
    }

    deinit {
        close(descriptor)
        if let unixPath { unlink(unixPath) }
    }

    /// Binds a unix socket at `path` (replacing a stale one), restricted to `mode`.
    public static func unix(path: String, mode: mode_t = 0o600) throws(NodeError) -> ListeningSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .configuration("socket path \(path) is longer than \(MemoryLayout.size(ofValue: address.sun_path) - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let folder = PathName.folder(of: path)
        // A folder the agent creates is root-only; an existing one (/run) is left as it is.
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(operation: "creating a unix socket", errno: errno) }
        unlink(path)
        // The umask during bind decides the file's first mode: no moment with wider access.
        let previous = umask(0o777 & ~mode)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindError = errno
        umask(previous)
        guard bound == 0 else {
            close(fd)
            throw .socket(operation: "binding \(path)", errno: bindError)
        }
        chmod(path, mode)
        guard listen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw .socket(operation: "listening on \(path)", errno: code)
        }
        return ListeningSocket(descriptor: fd, address: path, unixPath: path)
    }

    /// Accepts until `stop`; each connection's descriptor goes to `handle` on its own
    /// thread and is closed after it returns. Blocking: give it its own thread.
    public func serve(until stop: StopSignal, receiveTimeout: Double = 5, handle: @escaping @Sendable (Int32) -> Void) {
        while !stop.isStopped {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            guard ready > 0 else { continue }
            // Close-on-exec from the start: a child started meanwhile never inherits it.
            let client = clinux_accept_cloexec(descriptor, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - Double(Int(receiveTimeout))) * 1e6))
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            NamedThread.start(name: "rampart-conn") {
                handle(client)
                close(client)
            }
        }
    }

    /// Reads until `terminator` has arrived (returned without it), the peer closes, or
    /// `limit` bytes; nil on a timeout or error before any terminator.
    public static func read(from fd: Int32, until terminator: [UInt8], limit: Int = 65536) -> [UInt8]? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while data.count < limit {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return data.isEmpty ? nil : data }
            data += chunk[0..<count]
            if let range = data.firstRange(of: terminator) { return Array(data[..<range.lowerBound]) }
        }
        return nil
    }

    /// Writes all of `bytes`; false when the peer went away.
    @discardableResult
    public static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += sent
        }
        return true
    }
}
