import Foundation
import Testing
@testable import RampartNode

@Suite struct PluginLogFollowerTests {
    @Test func countsEveryEventOnceAcrossRestartsAndRotation() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-follow-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = "\(folder)/cni.log", offset = "\(folder)/offset"
        func append(_ text: String) {
            let handle = FileHandle(forWritingAtPath: log) ?? { FileManager.default.createFile(atPath: log, contents: nil); return FileHandle(forWritingAtPath: log)! }()
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try? handle.close()
        }
        let metrics = NodeMetrics()
        append(#"{"time":"t","level":"warning","event":"agent_unreachable","msg":"x"}"# + "\n")
        append(#"{"time":"t","level":"info","event":"steered","msg":"y"}"# + "\n" + #"{"time":"t","level":"info","event":"stee"#)
        PluginLogFollower(path: log, offsetFile: offset).poll(into: metrics)
        #expect(metrics.value("rampart_cni_events_total", ["event": "agent_unreachable", "level": "warning"]) == 1)
        #expect(metrics.value("rampart_cni_events_total", ["event": "steered", "level": "info"]) == 1)

        // The half-written line is finished later; a new follower (an agent restart) goes
        // on from the saved offset: nothing is counted twice.
        append(#"red","msg":"z"}"# + "\n")
        let restarted = PluginLogFollower(path: log, offsetFile: offset)
        restarted.poll(into: metrics)
        #expect(metrics.value("rampart_cni_events_total", ["event": "steered", "level": "info"]) == 2)
        #expect(metrics.value("rampart_cni_events_total", ["event": "agent_unreachable", "level": "warning"]) == 1)

        // Rotated: the new, shorter file is read from its start.
        try #"{"level":"error","event":"tunnel_missing"}"#.appending("\n").write(toFile: log, atomically: true, encoding: .utf8)
        restarted.poll(into: metrics)
        #expect(metrics.value("rampart_cni_events_total", ["event": "tunnel_missing", "level": "error"]) == 1)
        #expect(metrics.render().contains("# TYPE rampart_cni_events_total counter"))
    }

    @Test func oddLinesAreSkipped() {
        #expect(PluginLogFollower.field("event", in: #"{"event":"a b"}"#) == nil)
        #expect(PluginLogFollower.field("event", in: #"{"event":"}"#) == nil)
        #expect(PluginLogFollower.field("event", in: "not json") == nil)
        #expect(PluginLogFollower.field("event", in: #"{"event":"gc"}"#) == "gc")
    }
}
