import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension TestShell {
    /// What an end-to-end script is given of the executables it needs.
    public enum ExecutableArgument: Sendable {
        /// Each executable's path, one argument each, in the order named.
        case paths
        /// The folder of the first: the script finds its siblings there.
        case folder
    }

    /// The one body of every Swift wrapper around an end-to-end script (scripts/*-e2e.sh):
    /// not root, say so and pass; find the built executables (each missing one fails the
    /// test); run the script with them; exit 77 is the script's "cannot run here" (a tool
    /// missing), printed and passed; anything else must be 0 with every line of `expecting`
    /// in its output, which the failure shows whole.
    ///
    /// ```swift
    /// try TestShell.runEndToEnd(
    ///     script: "scripts/firewall-e2e.sh", executables: ["rampart-firewall"], environment: ["E2E_WORKERS": "1"],
    ///     packageRoot: Fixtures.packageRoot, test: "firewall end-to-end")
    /// ```
    ///
    /// - Parameters:
    ///   - test: names the test in the message printed without root: "the \(test) test needs root".
    ///   - environment: set for the script alone, on its command line.
    public static func runEndToEnd(
        script: String,
        executables: [String],
        passing argument: ExecutableArgument = .paths,
        environment: [String: String] = [:],
        packageRoot: URL,
        test: String,
        expecting: [String] = ["ALL PASSED"],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        guard getuid() == 0 else {
            print("skipped: the \(test) test needs root (network namespaces)")
            return
        }
        var paths: [String] = []
        for name in executables {
            let found = try #require(
                executable(named: name, packageRoot: packageRoot), "\(name) is not built", sourceLocation: sourceLocation)
            paths.append(found.path)
        }
        var arguments = paths
        if argument == .folder, let first = paths.first {
            arguments = [URL(fileURLWithPath: first).deletingLastPathComponent().path]
        }
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)' " }.joined()
        let command = assignments + script + arguments.map { " '\($0)'" }.joined()
        let (status, output) = try run(command, in: packageRoot)
        if status == 77 {
            print("skipped: \(output)")
            return
        }
        #expect(status == 0, "\(output)", sourceLocation: sourceLocation)
        for line in expecting {
            #expect(output.contains(line), "\(output)", sourceLocation: sourceLocation)
        }
    }
}
