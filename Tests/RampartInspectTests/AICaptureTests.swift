import Testing
@testable import RampartInspect

/// The AI security profile over a real capture (Tests/Captures/ai.pcap, recorded by
/// scripts/make-ai-capture.sh with the openai, anthropic and MCP SDKs against
/// Tests/AIServers/ai_server.py): what an alerting profile reports, and where a blocking
/// one answers.
@Suite struct AICaptureTests {
    static func policy(_ actions: String) -> String {
        """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: ai}
        spec:
          aiSecurityProfiles:
            - name: watch
              actions: {\(actions)}
              tools: [add]
          rules:
            - name: llm
              action: allow
              profiles: [watch]
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """
    }

    @Test func alertingProfile() throws {
        let run = try EngineRun("Tests/Captures/ai.pcap", policy: Self.policy("prompt-injection: alert, secret: alert, tool-not-allowed: alert"))
        let summary = run.ai.map { r in "\(r.provider) \(r.operation) \(r.direction) \(r.action) " + r.detections.map { "\($0.kind)/\($0.type)/\($0.span)" }.joined(separator: ",") }
        #expect(summary.sorted() == [
            "mcp mcp request alerted tool-not-allowed/tool/dele***********ng",
            "openai-compatible chat.completions request alerted prompt-injection/ignore-instructions/Igno**************************ns",
            "openai-compatible chat.completions response alerted secret/aws-access-key-id/AKIA**************LE",
        ], "\(summary)")
        #expect(!run.verdicts.contains(.respond) && !run.verdicts.contains(where: { if case .reset = $0 { true } else { false } }))
        // The benign exchanges (OpenAI whole and streamed, Anthropic streamed, MCP add) left no record.
        #expect(run.ai.allSatisfy { !$0.detections.isEmpty })
    }

    @Test func blockingProfile() throws {
        let run = try EngineRun("Tests/Captures/ai.pcap", policy: Self.policy("prompt-injection: block, tool-not-allowed: block"))
        #expect(run.verdicts.filter { $0 == .respond }.count == 2)
        // The secret in the answer is alerted: a kind the profile does not name.
        #expect(run.ai.map(\.action) == ["blocked", "alerted", "blocked"])
    }
}
