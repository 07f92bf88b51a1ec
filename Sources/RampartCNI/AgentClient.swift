#if canImport(Glibc)
import Glibc
#endif

/// Talks to the node agent: one request per connection over a unix stream socket, the
/// whole exchange bounded by `timeout` (a CNI ADD must not hang on a stuck agent).
///
/// ```swift
/// let agent = AgentClient(socketPath: "/run/rampart/node.sock", timeout: .milliseconds(300))
/// let answer = try agent.send(.decide(namespace: "shop", pod: "web-1", containerID: id))
/// ```
public struct AgentClient: Sendable {
    public var socketPath: String
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration = .milliseconds(300)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// Why the agent gave no usable answer.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Sends `request` and reads one answer line.
    public func send(_ request: AgentRequest) throws(Failure) -> AgentResponse {
        let line = try exchange(request.line())
        do { return try AgentResponse.parse(line: line) } catch { throw Failure(reason: "agent answer unreadable: \(error)") }
    }

    /// Delivers `request` without waiting for the answer: for notices (`attach`) whose
    /// answer changes nothing the plugin does, so ADD does not pay a second round trip.
    /// The agent reads the line after the plugin has gone; a refused connection still throws.
    public func notify(_ request: AgentRequest) throws(Failure) {
        _ = try exchange(request.line(), awaitAnswer: false)
    }

    private func exchange(_ text: String, awaitAnswer: Bool = true) throws(Failure) -> String {
        let deadline = ContinuousClock.now + timeout
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw Failure(reason: "socket: \(AgentClient.errorText(errno))") }
        defer { close(fd) }

        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw Failure(reason: "agent socket path \(socketPath) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            let code = errno
            guard code == EINPROGRESS || code == EAGAIN else {
                throw Failure(reason: "connecting to agent at \(socketPath): \(AgentClient.errorText(code))")
            }
            try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "connecting to agent at \(socketPath)")
        }

        var out = Array(text.utf8)[...]
        while !out.isEmpty {
            let sent = out.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 { out = out.dropFirst(sent); continue }
            let code = errno
            guard sent < 0, code == EAGAIN || code == EINTR else {
                throw Failure(reason: "writing to agent at \(socketPath): \(AgentClient.errorText(code))")
            }
            try wait(fd, for: Int16(POLLOUT), until: deadline, doing: "writing to agent")
        }
        guard awaitAnswer else { return "" }

        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                received.append(contentsOf: buffer[0..<count])
                if let newline = received.firstIndex(of: 0x0A) {
                    return String(decoding: received[..<newline], as: UTF8.self)
                }
                guard received.count < 1 << 20 else { throw Failure(reason: "agent answer longer than 1 MiB") }
                continue
            }
            if count == 0 {
                guard !received.isEmpty else { throw Failure(reason: "agent closed the connection without answering") }
                return String(decoding: received, as: UTF8.self)
            }
            let code = errno
            guard code == EAGAIN || code == EINTR else { throw Failure(reason: "reading from agent: \(AgentClient.errorText(code))") }
            try wait(fd, for: Int16(POLLIN), until: deadline, doing: "waiting for the agent's answer")
        }
    }

    private func wait(_ fd: Int32, for events: Int16, until deadline: ContinuousClock.Instant, doing what: String) throws(Failure) {
        while true {
            let left = deadline - ContinuousClock.now
            let (seconds, attoseconds) = left.components
            let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
            guard milliseconds > 0 else { throw Failure(reason: "\(what): no answer within \(timeout)") }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Int32(clamping: milliseconds))
            if ready > 0 {
                if descriptor.revents & Int16(POLLERR) != 0 {
                    var code: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                    throw Failure(reason: "\(what): \(AgentClient.errorText(code == 0 ? EIO : code))")
                }
                return
            }
            if ready < 0 && errno != EINTR { throw Failure(reason: "\(what): poll: \(AgentClient.errorText(errno))") }
        }
    }

    static func errorText(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}
