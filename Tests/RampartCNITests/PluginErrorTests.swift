import Foundation
import RampartCNITestSupport
import Testing
@testable import RampartCNI

/// Every well-known error code the plugin can answer without touching the kernel, seen
/// through `CNIPlugin.run` as a runtime sees it (JSON on standard output, exit 1).
@Suite struct PluginErrorTests {
    func run(_ env: [String: String], _ stdin: String) throws -> (code: Int?, json: JSONValue, exit: Int32) {
        let output = CNIPlugin().run(environment: env, input: Array(stdin.utf8))
        let json = output.standardOutput.isEmpty ? JSONValue.null : try JSONValue.parse(output.standardOutput)
        return (json["code"]?.intValue, json, output.exitCode)
    }

    @Test func versionAnswer() throws {
        let r = try run(["CNI_COMMAND": "VERSION"], #"{"cniVersion":"1.1.0"}"#)
        #expect(r.exit == 0)
        #expect(r.json.serialized() == #"{"cniVersion":"1.1.0","supportedVersions":["0.4.0","1.0.0","1.1.0"]}"#)
    }

    @Test func codes() throws {
        let env = Fixtures.environment
        #expect(try run(Fixtures.environment("ADD", ["CNI_CONTAINERID": nil]), Fixtures.config()).code == 4)
        #expect(try run(env, "{not json").code == 6)
        #expect(try run(env, "").code == 6)
        #expect(try run(env, Fixtures.config(version: "0.3.0")).code == 1)
        let missing = try run(env, Fixtures.config(previous: nil))
        #expect(missing.code == 7)
        #expect(missing.json["msg"]?.stringValue?.contains("chained plugin") == true)
        #expect(try run(env, Fixtures.config(extra: #""vni":9999"#)).code == 7)
        #expect(try run(env, Fixtures.config(previous: #"{"ips":[{"address":"x"}]}"#)).code == 6)
        // The primary succeeded, but the namespace is gone: container unknown.
        #expect(try run(Fixtures.environment("ADD", ["CNI_NETNS": "/nonexistent/netns"]), Fixtures.config()).code == 3)
        // GC without the list of valid attachments would remove everything: refused.
        #expect(try run(["CNI_COMMAND": "GC"], Fixtures.config(previous: nil)).code == 7)
        let r = try run(env, Fixtures.config(version: "1.0.0", extra: #""vni":"x""#))
        #expect(r.exit == 1)
        #expect(r.json["cniVersion"]?.stringValue == "1.0.0")
        #expect(r.json["details"] == nil || r.json["details"]?.stringValue != nil)
    }

    @Test func statusWithoutAgentIs50() throws {
        let config = Fixtures.config(extra: #""agentSocket":"/nonexistent/rampart.sock""#, previous: nil)
        let r = try run(["CNI_COMMAND": "STATUS"], config)
        #expect(r.code == 50)
        #expect(r.exit == 1)
    }

    @Test func statusFollowsTheAgent() throws {
        let agent = try AgentStub { request in
            request.op == .status ? AgentResponse(ready: false, reasons: ["firewall 10.200.0.2 unhealthy"]) : AgentResponse(ok: true)
        }
        defer { agent.stop() }
        let config = Fixtures.config(extra: #""agentSocket":"\#(agent.path)""#, previous: nil)
        let notReady = try run(["CNI_COMMAND": "STATUS"], config)
        #expect(notReady.code == 51)
        #expect(notReady.json["details"]?.stringValue?.contains("unhealthy") == true)
        agent.respond { _ in AgentResponse(ready: true, reasons: []) }
        let ready = try run(["CNI_COMMAND": "STATUS"], config)
        #expect(ready.exit == 0)
        #expect(ready.json == .null)
    }

    @Test func agentClientTimesOutOnASilentAgent() throws {
        let agent = try AgentStub { _ in nil }
        defer { agent.stop() }
        let client = AgentClient(socketPath: agent.path, timeout: .milliseconds(100))
        #expect(throws: AgentClient.Failure.self) { try client.send(.status) }
        #expect(agent.requests.first?.op == .status)
    }
}
