import Foundation
import RampartCNI
#if canImport(Glibc)
import Glibc
#endif

/// A stand-in node agent for the tests: a unix-socket server on its own thread speaking
/// AgentProtocol, answering with `handler` (nil: read the request, then say nothing).
public final class AgentStub: @unchecked Sendable {
    public typealias Handler = @Sendable (AgentRequest) -> AgentResponse?
    public let path: String
    private let listener: Int32
    private let lock = NSLock()
    private var handler: Handler
    private var received: [AgentRequest] = []
    private var stopped = false
    private var finished = false
    private let thread: Thread

    public init(handler: @escaping Handler) throws {
        path = "/tmp/rampart-agent-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        self.handler = handler
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0, listen(fd, 64) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "agent stub bind \(path): errno \(errno)"])
        }
        listener = fd
        let box = Box()
        thread = Thread { box.stub?.serve() }
        box.stub = self
        thread.start()
    }

    private final class Box: @unchecked Sendable { weak var stub: AgentStub? }

    public var requests: [AgentRequest] { lock.withLock { received } }

    public func respond(_ handler: @escaping Handler) { lock.withLock { self.handler = handler } }

    /// Stops serving and waits for the serving thread before closing the listener: were the
    /// descriptor closed first, a later stub could be given the same number and this
    /// thread, still looping, would accept (and answer) that stub's connections.
    public func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        while lock.withLock({ !finished }) { usleep(1000) }
        close(listener)
        unlink(path)
    }

    private func serve() {
        defer { lock.withLock { finished = true } }
        while !lock.withLock({ stopped }) {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if lock.withLock({ stopped }) { return }
                if errno == EINTR { continue }
                return
            }
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !data.contains(0x0A) {
                let n = read(client, &buffer, buffer.count)
                guard n > 0 else { break }
                data.append(contentsOf: buffer[0..<n])
            }
            let line = String(decoding: data.prefix { $0 != 0x0A }, as: UTF8.self)
            if let request = try? AgentRequest.parse(line: line) {
                let handler = lock.withLock { () -> Handler in received.append(request); return self.handler }
                if let answer = handler(request) {
                    let out = Array(answer.line().utf8)
                    _ = out.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                } else {
                    usleep(300_000)
                }
            }
            close(client)
        }
    }
}
