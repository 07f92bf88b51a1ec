import Foundation
import RampartTestSupport
import RampartVersion
import Testing

/// Issue 11: every executable answers `--version` (a user checking what a node or an image
/// runs), with the one release number the images are labelled with.
@Suite("Every executable answers --version")
struct VersionTests {
    @Test(arguments: ["rampart", "rampart-firewall", "rampart-manager", "rampart-node", "rampart-cni"])
    func printsTheRelease(name: String) throws {
        let binary = try #require(TestShell.executable(named: name, packageRoot: RampartProcess.packageRoot), "\(name) is not built")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--version"]
        // No CNI_COMMAND: the plugin must still answer, not print a CNI error.
        process.environment = ["PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(name) --version exited \(process.terminationStatus)")
        #expect(output.hasPrefix(RampartVersion.current), "\(name) --version printed \(output)")
    }
}
