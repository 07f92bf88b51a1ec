import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the end-to-end tests share: running the project's scripts and finding its built
/// executables. A library of the test targets only, never shipped.
public enum TestShell {
    /// Runs a bash command in `directory` with every signal unblocked and INT, TERM, PIPE
    /// and HUP at their defaults. Foundation's `Process` passes on the test thread's
    /// signal mask, and a script whose children cannot be stopped by a signal hangs.
    ///
    /// ```swift
    /// let (status, output) = try TestShell.run("scripts/make-captures.sh /tmp/x", in: packageRoot)
    /// ```
    public static func run(_ command: String, in directory: URL) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory
            .appendingPathComponent("rampart-shell-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let arguments = ["/bin/bash", "-c", "cd '\(directory.path)' && \(command)"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, &attributes, &argv, environ)
        guard spawned == 0 else {
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "posix_spawn failed: \(spawned)"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitCode, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// The built executable `name`: beside the test bundle, or in the package's
    /// `.build/debug` or `.build/release`.
    public static func executable(named name: String, packageRoot: URL) -> URL? {
        var candidates: [URL] = []
        if let argv0 = CommandLine.arguments.first {
            let bundleDirectory = URL(fileURLWithPath: argv0).deletingLastPathComponent()
            candidates.append(bundleDirectory.appendingPathComponent(name))
            candidates.append(bundleDirectory.deletingLastPathComponent().appendingPathComponent(name))
        }
        for configuration in ["debug", "release"] {
            candidates.append(packageRoot.appendingPathComponent(".build/\(configuration)/\(name)"))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
