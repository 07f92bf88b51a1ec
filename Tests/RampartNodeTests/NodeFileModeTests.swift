import Foundation
import RampartCNI
import RampartKube
import RampartNetlink
import RampartNode
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The agent's and the plugin's files are root-only: the socket 0600 in a 0700 folder, the
/// state file 0600 in a 0700 folder, the plugin's state directory 0700 with 0600 records,
/// and the logs 0640 (a log group may read them) even when they existed wider before.
@Suite(.serialized) struct NodeFileModeTests {
    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0o10000
    }

    @Test func agentFilesAreRootOnly() throws {
        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        var configuration = sandbox.configuration()
        // Folders the agent must create itself, and an event log someone left world-readable.
        configuration.socketPath = "\(sandbox.folder)/run/rampart/node.sock"
        configuration.statePath = "\(sandbox.folder)/lib/rampart/attachments.json"
        FileManager.default.createFile(atPath: configuration.events, contents: Data("old\n".utf8))
        chmod(configuration.events, 0o644)

        let agent = try NodeAgent(configuration: configuration,
                                  dependencies: .init(steering: SteeringRecorder().action,
                                                      credentials: ClusterCredentials(server: "https://127.0.0.1:1")))
        try agent.start()
        defer { agent.shutdown() }
        let attach = AgentRequest.attach(containerID: "c1", ifname: "eth0", netns: "/proc/1/ns/net", namespace: "shop",
                                         pod: "web-0", ips: ["10.244.1.7"], hostInterface: "cali1", steered: false)
        #expect(try AgentClient(socketPath: configuration.socketPath, timeout: .seconds(5)).send(attach).ok == true)

        #expect(Self.mode(configuration.socketPath) == 0o600)
        #expect(Self.mode("\(sandbox.folder)/run/rampart") == 0o700, "the socket's folder")
        #expect(Self.mode(configuration.statePath) == 0o600)
        #expect(Self.mode("\(sandbox.folder)/lib/rampart") == 0o700, "the state file's folder")
        #expect(Self.mode(configuration.events) == 0o640, "the event log")
    }

    @Test func pluginStateAndLogAreRootOnly() throws {
        let sandbox = try AgentSandbox()
        defer { sandbox.remove() }
        // A state directory made by a hostPath DirectoryOrCreate (0755), a leftover temporary
        // record and a log someone created world-readable.
        let directory = "\(sandbox.folder)/cni/rampart"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let key = AttachmentKey(containerID: "c1", interfaceName: "eth0")
        let store = AttachmentStore(directory: directory)
        FileManager.default.createFile(atPath: store.path(for: key) + ".tmp", contents: Data(), attributes: [.posixPermissions: 0o666])
        chmod(store.path(for: key) + ".tmp", 0o666)
        let log = "\(sandbox.folder)/cni.log"
        FileManager.default.createFile(atPath: log, contents: Data())
        chmod(log, 0o644)

        try store.save(AttachmentRecord(key: key, namespace: "shop", pod: "web-0", steered: false, hostInterface: "cali1",
                                        addresses: ["10.244.1.7"], rules: []))
        PluginLog(path: log, echoWarnings: false).record(.info, event: "steered", "test")

        #expect(Self.mode(directory) == 0o700, "the plugin's state directory")
        #expect(Self.mode(store.path(for: key)) == 0o600, "an attachment record")
        #expect(Self.mode(log) == 0o640, "the plugin's log")
        // A new log is created 0640.
        let fresh = "\(sandbox.folder)/fresh.log"
        PluginLog(path: fresh, echoWarnings: false).record(.info, event: "steered", "test")
        #expect(Self.mode(fresh) == 0o640)
    }
}
