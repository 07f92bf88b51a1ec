import RampartDataplane
import Testing

/// Issue 19: a changed `listen:` was ignored on reload without a word. A reload applies only
/// the policy; every other changed setting is named so the log can say it needs a restart.
@Suite("A reload names the settings that need a restart")
struct ReloadRestartSettingsTests {
    static func file(_ spec: String) throws -> FirewallConfiguration {
        try ConfigurationFile.parse("""
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: t}
            spec: {\(spec)}
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: t}
            spec:
              rules: [{name: all, action: allow}]
            """, file: "fw.yaml").firewall
    }

    @Test func changedListenEventsAndSessionsAreNamedPolicyOnlyChangesAreNot() throws {
        let running = try Self.file("listen: 0.0.0.0:6080, events: /var/log/a.json, sessions: 1024")
        let same = try Self.file("listen: 0.0.0.0:6080, events: /var/log/a.json, sessions: 1024")
        #expect(running.changesNeedingRestart(in: same).isEmpty)
        let moved = try Self.file("listen: 0.0.0.0:7080, events: /var/log/b.json, sessions: 1024")
        #expect(running.changesNeedingRestart(in: moved) == [
            "spec.listen: 0.0.0.0:6080 -> 0.0.0.0:7080",
            "spec.events: /var/log/a.json -> /var/log/b.json",
        ])
    }
}
