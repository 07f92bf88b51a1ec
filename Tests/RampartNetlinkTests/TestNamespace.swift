import Foundation
import RampartNetlink
import RampartTestSupport

/// A throw-away network namespace `rnl-<random>` for one test; every netlink socket a test
/// opens lives in one of these, never in the root namespace.
struct TestNamespace {
    let name: String
    var path: String { "/run/netns/\(name)" }

    static func create() throws -> TestNamespace {
        let name = "rnl-" + String(UInt64.random(in: 0..<UInt64(1) << 40), radix: 16)
        let (status, output) = try TestShell.run("ip netns add \(name)", in: URL(fileURLWithPath: "/"))
        guard status == 0 else { throw TestFailure("ip netns add \(name): \(output)") }
        return TestNamespace(name: name)
    }

    func delete() {
        _ = try? TestShell.run("ip netns del \(name)", in: URL(fileURLWithPath: "/"))
    }

    /// Runs `command` inside the namespace (`ip netns exec`), failing on a non-zero status.
    @discardableResult
    func run(_ command: String) throws -> String {
        let (status, output) = try TestShell.run("ip netns exec \(name) \(command)", in: URL(fileURLWithPath: "/"))
        guard status == 0 else { throw TestFailure("\(command) in \(name) exited \(status): \(output)") }
        return output
    }

    /// `ip -j ARGS` inside the namespace, parsed.
    func ipJSON(_ arguments: String) throws -> [[String: Any]] {
        try json(run("ip -j \(arguments)"))
    }

    func json(_ text: String) throws -> [[String: Any]] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [] }
        guard let value = try JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [[String: Any]] else {
            throw TestFailure("not a JSON array: \(trimmed)")
        }
        return value
    }

    func openSocket() throws -> NetlinkSocket {
        try NetworkNamespace(path: path).openSocket(timeout: .seconds(5))
    }
}

/// Creates `count` namespaces, runs `body`, and deletes them whatever happens.
func withNamespaces(_ count: Int, _ body: ([TestNamespace]) throws -> Void) throws {
    var created: [TestNamespace] = []
    defer { for namespace in created { namespace.delete() } }
    for _ in 0..<count { created.append(try TestNamespace.create()) }
    try body(created)
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The inode of the calling thread's network namespace, to prove it was restored.
func currentNamespaceInode() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")) ?? "?"
}

let isRoot = getuid() == 0
