#if canImport(Glibc)
import Glibc
#endif

/// Runs the `git` command-line tool (Debian's git) and collects what it prints. Spawned
/// with posix_spawn, the child's signal mask emptied and SIGPIPE back to its default: the
/// manager blocks its signals in every thread (ProcessSignals), and a child would inherit that.
///
/// ```swift
/// let out = try GitRunner.run(["-C", "/var/lib/rampart/git", "rev-parse", "HEAD"])
/// ```
enum GitRunner {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `git ARGUMENTS`; returns standard output, or throws with standard error and the status.
    static func run(_ arguments: [String], timeout: Double = 60) throws(Failure) -> String {
        var output: [Int32] = [-1, -1], errors: [Int32] = [-1, -1]
        guard pipe(&output) == 0, pipe(&errors) == 0 else { throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        posix_spawn_file_actions_addclose(&actions, output[0])
        posix_spawn_file_actions_addclose(&actions, errors[0])
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = (["git"] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment = ["GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "PATH=/usr/local/bin:/usr/bin:/bin"]
        if let home = getenv("HOME") { environment.append("HOME=\(String(cString: home))") } else { environment.append("HOME=/tmp") }
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "git", &actions, &attributes, argv, envp)
        close(output[1])
        close(errors[1])
        defer {
            close(output[0])
            close(errors[0])
        }
        guard spawned == 0 else { throw Failure(description: "cannot run git: \(String(cString: strerror(spawned))) (install Debian's git)") }
        // Both pipes are drained together so a chatty stderr cannot block the child.
        var out: [UInt8] = [], err: [UInt8] = []
        var open = [output[0], errors[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), 1000)
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            if Double(now.tv_sec - start.tv_sec) > timeout {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                throw Failure(description: "git \(arguments.joined(separator: " ")) took more than \(Int(timeout)) s")
            }
            guard ready > 0 else { continue }
            for entry in fds where entry.revents != 0 {
                let n = read(entry.fd, &buffer, buffer.count)
                if n <= 0 { open.removeAll { $0 == entry.fd }; continue }
                if entry.fd == output[0] { out += buffer[0 ..< n] } else { err += buffer[0 ..< n] }
                if out.count > 64 << 20 { kill(pid, SIGKILL) }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exited == 0 else {
            let message = String(decoding: err, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: "; ")
            throw Failure(description: "git \(arguments.first(where: { !$0.hasPrefix("-") && !$0.hasPrefix("/") }) ?? "") failed (exit \(exited)): \(message)")
        }
        return String(decoding: out, as: UTF8.self)
    }
}
