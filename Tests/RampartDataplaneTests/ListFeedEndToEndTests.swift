import Foundation
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `rampart-firewall` with an external dynamic list served by Python's
/// http.server on loopback (Last-Modified and If-Modified-Since as a real web server does):
/// the first copy is fetched and put in force by a reload, a new copy replaces it, an error
/// page and a source that is gone leave the last good copy in force and say so.
@Suite("External dynamic lists, end to end", .serialized)
struct ListFeedEndToEndTests {
    @Test func theFirewallFetchesRefreshesAndKeepsTheLastGoodCopy() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-edl-\(UUID().uuidString.prefix(8))")
        let www = folder.appendingPathComponent("www")
        try FileManager.default.createDirectory(at: www, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let list = www.appendingPathComponent("bad.txt")
        try "bad.example\nworse.example\n".write(to: list, atomically: true, encoding: .utf8)
        let web = freePort()
        let probes = UInt16(freePort())
        try """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            metadata: {name: edl-test}
            spec:
              listen: 127.0.0.1:\(freePort(type: Int32(SOCK_DGRAM.rawValue)))
              admin: off
              probes: 127.0.0.1:\(probes)
              events: /dev/null
              workers: 1
              lists:
                - {name: feed, url: "http://127.0.0.1:\(web)/bad.txt", refresh: 1, path: feed.list}
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: edl-test}
            spec:
              rules: []
            """.write(to: folder.appendingPathComponent("firewall.yaml"), atomically: true, encoding: .utf8)
        let firewall = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot))
        // TestShell runs `cd FOLDER && COMMAND`: the first line must not be the one sent to
        // the background, or the cd goes with it.
        let (_, started) = try TestShell.run("""
            true
            python3 -m http.server \(web) --bind 127.0.0.1 --directory '\(www.path)' >/dev/null 2>&1 </dev/null & echo $!
            '\(firewall.path)' --config firewall.yaml >/dev/null 2>err </dev/null & echo $!
            """, in: folder)
        let pids = started.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        try #require(pids.count == 2, "\(started)")
        var serverPID = pids[0]
        defer {
            for pid in [serverPID, pids[1]] where pid > 0 {
                kill(pid, SIGTERM)
                var status: Int32 = 0
                for _ in 0 ..< 250 where waitpid(pid, &status, WNOHANG) == 0 { usleep(20_000) }
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
            }
        }
        func metrics() -> String { Wire.exchange(probes, "GET /metrics HTTP/1.1\r\n\r\n") }
        func log() -> String { (try? String(contentsOf: folder.appendingPathComponent("err"), encoding: .utf8)) ?? "" }

        #expect(eventually(15) { metrics().contains("rampart_list_feed_entries{list=\"feed\"} 2") }, "\(metrics())\n\(log())")
        // The new copy was put in force by a reload that loaded it.
        #expect(eventually(5) { metrics().contains("rampart_policy_generation 1") }, "\(log())")
        #expect(log().contains("\"event\":\"list-updated\""))

        // If-Modified-Since has one-second resolution: change the file a second later.
        sleep(1)
        try "bad.example\nworse.example\nnew.example\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(eventually(10) { metrics().contains("rampart_list_feed_entries{list=\"feed\"} 3") }, "\(metrics())")
        #expect(eventually(5) { metrics().contains("rampart_policy_generation 2") }, "\(log())")
        #expect(metrics().contains("rampart_list_feed_fetches_total{list=\"feed\",outcome=\"unchanged\"}"))

        sleep(1)
        try "<html><body>maintenance</body></html>\n".write(to: list, atomically: true, encoding: .utf8)
        #expect(eventually(10) { metrics().contains("rampart_list_feed_stale{list=\"feed\"} 1") }, "\(metrics())")
        #expect(log().contains("\"event\":\"list-refused\"") && log().contains("the last good copy (3 entries) stays in force"), "\(log())")
        #expect(try String(contentsOf: folder.appendingPathComponent("feed.list"), encoding: .utf8).contains("new.example"))

        kill(serverPID, SIGTERM)
        var status: Int32 = 0
        waitpid(serverPID, &status, 0)
        serverPID = 0
        #expect(eventually(10) { log().contains("\"event\":\"list-fetch-failed\"") }, "\(log())")
        #expect(metrics().contains("rampart_list_feed_entries{list=\"feed\"} 3") && metrics().contains("rampart_policy_generation 2"))
    }

    @Test func aListEntryThatCannotWorkIsRefusedWithItsLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-edl-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
            apiVersion: rampart.io/v1
            kind: FirewallConfiguration
            spec:
              listen: 127.0.0.1:6080
              lists:
                - {name: a, url: "ftp://x.example/list"}
                - {name: ../escape, url: "https://x.example/list"}
                - {name: b, path: b.txt, refresh: 60}
                - {name: c}
            ---
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            spec: {rules: []}
            """.write(to: folder.appendingPathComponent("f.yaml"), atomically: true, encoding: .utf8)
        let firewall = try #require(TestShell.executable(named: "rampart-firewall", packageRoot: Fixtures.packageRoot))
        let (status, output) = try TestShell.run("'\(firewall.path)' --config f.yaml --check 2>&1", in: folder)
        #expect(status == 2, "\(output)")
        #expect(output.contains("f.yaml:6:22: a list url must be http://... or https://..., found 'ftp://x.example/list'"), "\(output)")
        #expect(output.contains("f.yaml:7:14: list '../escape': the name of a list kept under /var/lib/rampart/lists is letters"), "\(output)")
        #expect(output.contains("f.yaml:8:39: refresh is for a list with a url"), "\(output)")
        #expect(output.contains("f.yaml:9:7: list 'c' needs a path (a file or a UT1 folder) or a url"), "\(output)")
    }
}
