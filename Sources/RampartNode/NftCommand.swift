#if canImport(Glibc)
import Glibc
#endif

/// Runs the `nft` program (Debian's nftables) with one argument, a whole script, and
/// returns its exit status and output. A long script (bucket maps: one element per bucket)
/// goes through standard input (`nft -f -`): one argument may hold at most 128 KiB. The agent needs nftables for one static rule (see
/// `SessionSpreader`); writing nftables' netlink batches by hand for it would be more code
/// than the rest of the spreading, and the per-bucket changes go through rtnetlink anyway.
///
/// The child inherits the calling thread's network namespace, so call it inside
/// `NetworkNamespace.perform` to act on another namespace.
///
/// ```swift
/// let (status, output) = try NftCommand.run("list table netdev rampart")
/// ```
enum NftCommand {
    /// Where Debian installs it, then the image's folder, then the PATH.
    static let candidates = ["/usr/sbin/nft", "/sbin/nft", "/usr/local/bin/nft", "/usr/local/sbin/nft"]

    static func path() -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }

    static func run(_ script: String) throws(NodeError) -> (status: Int32, output: String) {
        guard let program = path() else {
            throw .tunnel("nft is not installed (Debian package nftables): it is needed to spread sessions over several firewalls")
        }
        let viaInput = script.utf8.count > 16 * 1024
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw .tunnel("nft: pipe: errno \(errno)") }
        var inputEnds: [Int32] = [-1, -1]
        if viaInput {
            guard pipe(&inputEnds) == 0 else {
                close(pipeEnds[0])
                close(pipeEnds[1])
                throw .tunnel("nft: pipe: errno \(errno)")
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        if viaInput {
            posix_spawn_file_actions_addclose(&actions, inputEnds[1])
            posix_spawn_file_actions_adddup2(&actions, inputEnds[0], 0)
            posix_spawn_file_actions_addclose(&actions, inputEnds[0])
        }
        let arguments = viaInput ? [program, "-f", "-"] : [program, script]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, program, &actions, nil, &argv, environ)
        close(pipeEnds[1])
        if viaInput { close(inputEnds[0]) }
        guard spawned == 0 else {
            close(pipeEnds[0])
            if viaInput { close(inputEnds[1]) }
            throw .tunnel("starting \(program): errno \(spawned)")
        }
        if viaInput {
            // nft reads its whole input before it says anything but a parse error (a few
            // lines, well within the output pipe), so writing first cannot deadlock.
            var bytes = Array(script.utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { write(inputEnds[1], $0.baseAddress, $0.count) }
                if written > 0 { bytes = bytes.dropFirst(written) } else if written < 0 && errno == EINTR { continue } else { break }
            }
            close(inputEnds[1])
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
            if count > 0 { output.append(contentsOf: buffer[0..<count]) } else if count < 0 && errno == EINTR { continue } else { break }
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}
