#if canImport(Glibc)
import Glibc
#endif

/// A detached POSIX thread with a name (shown by `top -H` and in core dumps). Foundation's
/// `Thread` would do the same, but it is not in FoundationEssentials, and the rest of
/// Foundation links ICU's 34 MB of locale data into the image.
///
/// ```swift
/// NamedThread.start(name: "rampart-admin") { serveForever() }
/// ```
public enum NamedThread {
    final class Body {
        let name: String
        let run: () -> Void
        init(_ name: String, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new detached thread; traps only when the system refuses to create
    /// a thread at start-up, which leaves nothing sensible to do.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name, body)).toOpaque()
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
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            fatalError("cannot start thread \(name): error \(status)")
        }
        pthread_detach(thread)
    }
}
