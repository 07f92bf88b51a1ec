import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `rampart-manager` and `rampart-firewall` with bearer tokens on both APIs: the
/// manager's pushes carry its token (the firewall logs who made each change), its API asks
/// for one, its probe listener does not, and an API open to the network does not start.
@Suite("Manager and firewall with tokens", .serialized)
struct ManagerAuthTests {
    @Test func pushesCarryTheTokenAndTheAPIAsksForOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-mauth-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (admin, probes, api, apiProbes) = (freePort(), freePort(), freePort(), freePort())
        let writer = "fw-writer-0123456789", reader = "api-reader-0123456789"
        func write(_ text: String, _ name: String, mode: mode_t = 0o600) throws {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            chmod(folder.appendingPathComponent(name).path, mode)
        }
        try write("tag-writer manager \(writer)\n", "fw-tokens")
        try write("read-only ops \(reader)\n", "api-tokens")
        try write("\(writer)\n", "fw.token")
        try write("""
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: t}
            spec:
              listen: 127.0.0.1:\(freePort(type: Int32(SOCK_DGRAM.rawValue)))
              admin: 127.0.0.1:\(admin)
              probes: 127.0.0.1:\(probes)
              auth: {tokensFile: \(folder.path)/fw-tokens}
              events: /dev/null
              workers: 1
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: t}
            spec:
              zones: [{name: pods, networks: [10.244.0.0/16]}]
              rules: [{name: web, from: [pods], to: [pods], action: allow}]
            """, "firewall.yaml")
        try write("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            spec:
              listen: 127.0.0.1:\(api)
              probes: 127.0.0.1:\(apiProbes)
              auth: {tokensFile: api-tokens}
              state: \(folder.path)/m.sqlite
              firewalls:
                - {name: fw-1, admin: "http://127.0.0.1:\(admin)", tokenFile: fw.token}
            """, "m.yaml")
        let firewall = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: packageRoot))
        let manager = try #require(TestShell.executable(named: "rampart-manager", packageRoot: packageRoot))
        let (status, output) = try TestShell.run("""
            true
            '\(firewall.path)' --config firewall.yaml 2>fw.log & fw=$!
            '\(manager.path)' run --config m.yaml 2>m.log & m=$!
            for i in $(seq 100); do curl -sf http://127.0.0.1:\(apiProbes)/healthz >/dev/null && grep -q 'accepted' fw.log && break; sleep 0.1; done
            echo "api-anonymous $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(api)/clusters)"
            echo "api-reader $(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer \(reader)' http://127.0.0.1:\(api)/clusters)"
            echo "api-probes $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(apiProbes)/healthz)"
            echo "fw-anonymous $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:\(admin)/tags)"
            kill -TERM $m $fw; wait $m $fw
            cat fw.log m.log
            """, in: folder)
        #expect(status == 0, "\(output)")
        #expect(output.contains("api-anonymous 401") && output.contains("api-reader 200") && output.contains("api-probes 200"), "\(output)")
        #expect(output.contains("fw-anonymous 401"), "\(output)")
        #expect(output.contains("admin: POST /tags accepted (202) from manager at 127.0.0.1"), "\(output)")
        #expect(!output.contains("refused"), "\(output)")
    }

    @Test func anOpenAPIOffLoopbackDoesNotStart() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-mopen-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "apiVersion: rampart.io/v1\nkind: ManagerConfiguration\nspec: {listen: \"0.0.0.0:\(freePort())\", state: \(folder.path)/m.sqlite}\n"
            .write(to: folder.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        let manager = try #require(TestShell.executable(named: "rampart-manager", packageRoot: packageRoot))
        let (status, output) = try TestShell.run("'\(manager.path)' run --config m.yaml 2>&1; echo \"exit $?\"", in: folder)
        #expect(status == 0 && output.contains("exit 1") && output.contains("add spec.auth.tokensFile"), "\(output)")
        let (_, validated) = try TestShell.run("'\(manager.path)' validate --config m.yaml 2>&1; echo \"exit $?\"", in: folder)
        #expect(validated.contains("not loopback") && validated.contains("exit 2"), "\(validated)")
    }
}
