import Foundation
import Testing

/// `rampart inspect` and `rampart policy validate` as a user runs them: the built
/// executable, real files, exit codes and messages.
@Suite("rampart inspect and policy validate")
struct InspectCommandTests {
    @Test("inspects the bundled sample with the sample policy and tags, as the README's demo does")
    func sample() throws {
        let result = try RampartProcess.run([
            "inspect", "Samples/sample.pcap", "--policy", "Samples/policy.yaml", "--tags", "Samples/tags.yaml",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let events = try RampartProcess.events(result.stdout)
        let flows = events.filter { $0["event_type"] as? String == "flow" }
        #expect(flows.count >= 20)
        for flow in flows {
            for key in ["timestamp", "flow_id", "src_ip", "dest_ip", "proto", "app_proto", "flow", "rampart"] {
                #expect(flow[key] != nil, "flow record lacks \(key)")
            }
        }
        let tagged = flows.compactMap { $0["rampart"] as? [String: Any] }
            .filter { ($0["dest_tags"] as? [String])?.contains("label:app=web") == true }
        #expect(!tagged.isEmpty)
        #expect(result.stderr.contains("rampart inspect: Samples/sample.pcap"))
        #expect(result.stderr.contains("sessions"))
    }

    @Test("--out writes the events to a file and nothing to standard output")
    func outFile() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("eve.json").path
        let result = try RampartProcess.run(["inspect", "Tests/Captures/http.pcap", "--out", out, "--quiet"])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.isEmpty)
        let events = try RampartProcess.events(try String(contentsOfFile: out, encoding: .utf8))
        #expect(events.filter { $0["event_type"] as? String == "flow" && $0["proto"] as? String == "TCP" }.count == 5)
    }

    @Test("a capture cut short exits 1, says where, and still writes the events before the cut")
    func truncatedCapture() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = try Data(contentsOf: URL(fileURLWithPath: RampartProcess.path("Tests/Captures/http.pcap")))
        let cut = directory.appendingPathComponent("cut.pcap")
        try original.prefix(original.count / 2 + 7).write(to: cut)
        let result = try RampartProcess.run(["inspect", cut.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("record"))
        #expect(result.stderr.contains("truncated"))
        #expect(try RampartProcess.events(result.stdout).contains { $0["event_type"] as? String == "flow" })
    }

    @Test("a file that is not a capture exits 1 with a clear message")
    func notACapture() throws {
        let result = try RampartProcess.run(["inspect", "Samples/policy.yaml"])
        #expect(result.status == 1)
        #expect(result.stderr.lowercased().contains("pcap"))
        let missing = try RampartProcess.run(["inspect", "no/such/file.pcap"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no such file"))
    }

    @Test("an invalid policy exits 2 with FILE:LINE:COLUMN errors and inspects nothing")
    func invalidPolicy() throws {
        let directory = try RampartProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let policy = directory.appendingPathComponent("bad.yaml")
        try """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: bad}
            spec:
              rules:
                - name: one
                  action: alow
                - name: one
                  source: [10.0.0.0/33]
                  action: allow
            """.write(to: policy, atomically: true, encoding: .utf8)
        let result = try RampartProcess.run(["inspect", "Tests/Captures/http.pcap", "--policy", policy.path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("bad.yaml:7:"))
        #expect(result.stderr.contains("bad.yaml:8:") || result.stderr.contains("duplicate"))
        #expect(result.stderr.contains("bad.yaml:9:"))
        #expect(result.stderr.contains("3 errors"))

        let validate = try RampartProcess.run(["policy", "validate", policy.path])
        #expect(validate.status == 2)
        #expect(validate.stderr.contains("bad.yaml:7:"))
    }

    @Test("policy validate accepts the sample policy")
    func validateSample() throws {
        let result = try RampartProcess.run(["policy", "validate", "Samples/policy.yaml", "--tags", "Samples/tags.yaml"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid"))
    }

    @Test("an unwritable --out exits 3; a bad option exits 64")
    func outputAndUsageErrors() throws {
        let unwritable = try RampartProcess.run(["inspect", "Tests/Captures/http.pcap", "--out", "/no/such/dir/eve.json"])
        #expect(unwritable.status == 3)
        #expect(unwritable.stderr.contains("/no/such/dir/eve.json"))
        let usage = try RampartProcess.run(["inspect", "Tests/Captures/http.pcap", "--sessions", "3"])
        #expect(usage.status == 64)
        #expect(usage.stderr.contains("--sessions"))
    }

    @Test("every command's help has an example")
    func help() throws {
        for command in [["inspect"], ["policy", "validate"], ["bench", "engine"], ["bench", "policy"], ["bench", "ai"], []] {
            let result = try RampartProcess.run(command + ["--help"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("Example"), "no example in help of \(command)")
        }
    }
}
