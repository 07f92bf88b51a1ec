import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs scripts/firewall-e2e.sh against the built `rampart-firewall`: network namespaces,
/// a kernel VXLAN device, policy routing, curl and python's http.server (root only).
@Suite("Firewall end to end", .serialized)
struct FirewallEndToEndTests {
    static var executable: URL? {
        var candidates: [URL] = []
        if let argv0 = CommandLine.arguments.first {
            let directory = URL(fileURLWithPath: argv0).deletingLastPathComponent()
            candidates.append(directory.appendingPathComponent("rampart-firewall"))
            candidates.append(directory.deletingLastPathComponent().appendingPathComponent("rampart-firewall"))
        }
        for configuration in ["debug", "release"] {
            candidates.append(Fixtures.packageRoot.appendingPathComponent(".build/\(configuration)/rampart-firewall"))
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// "" runs one worker per core (two here), "1" a single worker handling signals itself.
    @Test(arguments: ["", "1"])
    func curlThroughTheFirewallObeysPolicyAndReloads(_ workers: String) throws {
        guard getuid() == 0 else {
            print("skipped: the firewall end-to-end test needs root (network namespaces)")
            return
        }
        let binary = try #require(Self.executable, "rampart-firewall is not built")
        let (status, output) = try shell("E2E_WORKERS=\(workers) scripts/firewall-e2e.sh '\(binary.path)'")
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL PASSED"), "\(output)")
    }

    /// Runs a bash command from the package root with every signal unblocked and INT, TERM,
    /// HUP and PIPE at their defaults (Foundation's Process passes on the caller's mask).
    func shell(_ command: String) throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-fw-e2e-\(UUID().uuidString).log").path
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
        let arguments = ["/bin/bash", "-c", "cd '\(Fixtures.packageRoot.path)' && \(command)"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, &attributes, &argv, environ)
        guard spawned == 0 else { return (-1, "posix_spawn failed: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let exited = status & 0x7F == 0
        return (exited ? (status >> 8) & 0xFF : -1, output)
    }
}
