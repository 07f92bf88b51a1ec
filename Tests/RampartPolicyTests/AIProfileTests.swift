import Testing
@testable import RampartPolicy

/// `aiSecurityProfiles`: read, attached to allow rules like the other kinds, grouped, and
/// its mistakes reported where they are.
@Suite struct AIProfileTests {
    static let profiles = """
      aiSecurityProfiles:
        - name: ai-strict
          description: block injections and leaks
          actions: {prompt-injection: block, secret: block, personal-data: alert, model-not-allowed: block, runaway-stream: allow}
          injectionThreshold: 0.7
          responses: false
          models: [gpt-4o-mini, "claude-*"]
          tools: ["search_*", get_weather]
          limits: {requestsPerMinute: 600, tokensPerMinute: 200000, maxPromptBytes: 65536, maxStreamBytes: 1048576, maxStreamEvents: 1000}
        - name: ai-watch
      urlFilteringProfiles:
        - name: url-lax
          categories: {gambling: alert}
      profileGroups:
        - name: ai-default
          profiles: [ai-strict, url-lax]

    """

    @Test func readAndAttached() throws {
        let doc = try Fixture.load(Fixture.policy(Self.profiles + """
          rules:
            - name: allow-llm
              action: allow
              profiles: [ai-default]
            - name: allow-watch
              action: allow
              profiles: ai-watch
        """))
        let p = doc.profiles.ai
        #expect(p.count == 2)
        let strict = p[0]
        #expect(strict.action(.promptInjection) == .block && strict.action(.secret) == .block)
        #expect(strict.action(.personalData) == .alert && strict.action(.runawayStream) == .allow)
        #expect(strict.action(.toolNotAllowed) == .alert)  // not named: alert
        #expect(strict.injectionThreshold == 0.7 && !strict.responses)
        #expect(strict.models == ["gpt-4o-mini", "claude-*"] && strict.tools == ["search_*", "get_weather"])
        #expect(strict.requestsPerMinute == 600 && strict.tokensPerMinute == 200_000)
        #expect(strict.maxPromptBytes == 65536 && strict.maxStreamBytes == 1_048_576 && strict.maxStreamEvents == 1000)
        #expect(p[1] == AISecurityProfile(name: "ai-watch"))
        #expect(doc.rules[0].profiles == RuleProfiles(url: 0, ai: 0))
        #expect(doc.rules[1].profiles == RuleProfiles(ai: 1))
        #expect(doc.profiles.names(of: doc.rules[0].profiles).map(\.name) == ["url-lax", "ai-strict"])
    }

    @Test func mistakesAreReportedWhereTheyAre() {
        let e = Fixture.errors(Fixture.policy("""
          aiSecurityProfiles:
            - name: a
              actions: {prompt-injecton: block, secret: drop}
              injectionThreshold: 2
              models: [""]
              limits: {requestsPerMinute: 0, perHour: 5}
            - name: a
          rules:
            - name: r
              action: deny
              profiles: [a]
        """))
        #expect(e.count == 8, "\(e)")
        #expect(e.contains { $0.contains("prompt-injecton") && $0.contains("did you mean 'prompt-injection'") })
        #expect(e.contains { $0.contains("unknown AI action 'drop'; expected one of allow, alert, block") })
        #expect(e.contains { $0.contains("injectionThreshold") })
        #expect(e.contains { $0.contains("a name in models must be 1 to 256 printable bytes") })
        #expect(e.contains { $0.contains("limits.requestsPerMinute") })
        #expect(e.contains { $0.contains("perHour") })
        #expect(e.contains { $0.contains("duplicate profile name 'a'") })
        #expect(e.contains { $0.contains("16:17: rule 'r' has action 'deny'") })
    }

    @Test func oneAIProfilePerRule() {
        let e = Fixture.errors(Fixture.policy(Self.profiles + """
          rules:
            - name: r
              action: allow
              profiles: [ai-default, ai-watch]
        """))
        #expect(e.count == 1 && e[0].contains("gets two AI security profiles"), "\(e)")
    }
}
