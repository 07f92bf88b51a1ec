#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A detached POSIX thread with a name (shown by `top -H` and in core dumps). Foundation's
/// `Thread` would do the same, but it is not in FoundationEssentials, and the rest of
/// Foundation links ICU's 34 MB of locale data into the image.
///
/// ```swift
/// NamedThread.start(name: "rampart-admin") { serveForever() }
/// let watch = NamedThread.start(name: "watch pods") { reflector.run(until: stop) }
/// while !watch.isFinished { stop.sleep(0.01) }
/// ```
public enum NamedThread {
    /// What a caller may keep of a started thread: whether its body has returned.
    public final class Handle: Sendable {
        private let finished = Atomic<Bool>(false)
        /// True once the body has returned.
        public var isFinished: Bool { finished.load(ordering: .acquiring) }
        fileprivate func finish() { finished.store(true, ordering: .releasing) }
    }

    final class Body {
        let name: String
        let run: () -> Void
        let handle: Handle
        init(_ name: String, _ run: @escaping () -> Void, _ handle: Handle) {
            self.name = name
            self.run = run
            self.handle = handle
        }
    }

    /// Starts `body` on a new detached thread; traps only when the system refuses to create
    /// a thread, which leaves nothing sensible to do. The name is cut to the kernel's 15 bytes.
    @discardableResult
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> Handle {
        let handle = Handle()
        let context = Unmanaged.passRetained(Body(name, body, handle)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            // Glibc's module hides pthread_setname_np; the thread names itself through /proc
            // (the kernel keeps 15 bytes).
            let fd = open("/proc/thread-self/comm", O_WRONLY)
            if fd >= 0 {
                let bytes = Array(body.name.utf8.prefix(15))
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
            body.run()
            body.handle.finish()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            fatalError("cannot start thread \(name): error \(status)")
        }
        pthread_detach(thread)
        return handle
    }
}
