import Foundation
import RampartTestSupport
import Testing
@testable import RampartManager
import RampartHTTP
import RampartConfig

/// The console's access layer without a browser: password hashes, the users file, sessions,
/// CSRF and origin checks, the failure lock-out, bearer tokens, the login audit, and the map's
/// grouping. The browser test (Tests/Console/browser_test.py) drives the same through Chromium.
@Suite("Console access")
struct ConsoleAccessTests {
    @Test func passwordHashesVerifyOnlyTheirPassword() throws {
        let text = PasswordHash.make(password: "correct horse", iterations: 100_000)
        let hash = try #require(PasswordHash(text))
        #expect(text.hasPrefix("pbkdf2-sha256:100000:"))
        #expect(hash.verifies("correct horse"))
        #expect(!hash.verifies("correct horsE"))
        #expect(!hash.verifies(""))
        // A fresh salt each time: two hashes of one password differ.
        #expect(PasswordHash.make(password: "correct horse", iterations: 100_000) != text)
        // RFC 7914's PBKDF2-HMAC-SHA256 vector ("passwd", salt "salt", 1 iteration).
        #expect(PasswordHash.hex(PasswordHash.derive("passwd", salt: Array("salt".utf8), iterations: 1)).hasPrefix("55ac046e56e3089fec1691c22544b605"))
        #expect(PasswordHash("pbkdf2-sha256:1000:zz:00") == nil)
        #expect(PasswordHash("bcrypt:12:00:00") == nil)
    }

    @Test func usersFileErrorsNameTheLine() throws {
        let good = PasswordHash.make(password: "password one", iterations: 100_000)
        let users = try ConsoleUsers.parse("# comment\nadmin alice \(good)\n\nviewer bob \(good) # trailing\n", path: "u")
        #expect(users.users["alice"]?.role == .admin)
        #expect(users.users["bob"]?.role == .viewer)
        #expect(users.authenticate(name: "alice", password: "password one")?.name == "alice")
        #expect(users.authenticate(name: "alice", password: "nope") == nil)
        #expect(users.authenticate(name: "mallory", password: "password one") == nil)
        func error(_ text: String) -> String {
            do { _ = try ConsoleUsers.parse(text, path: "u"); return "" } catch { return error.description }
        }
        #expect(error("root alice \(good)").hasPrefix("u:1: unknown role 'root'"))
        #expect(error("admin alice\n").hasPrefix("u:1: expected 'ROLE NAME HASH'"))
        #expect(error("\nadmin alice plain").hasPrefix("u:2: the hash of 'alice'"))
        #expect(error("admin alice pbkdf2-sha256:1000:\(String(repeating: "ab", count: 16)):\(String(repeating: "cd", count: 32))").contains("under 100000"))
        #expect(error("admin a \(good)\nviewer a \(good)").hasPrefix("u:2: user 'a' is given twice"))
    }

    @Test func sessionsExpireWhenIdleAndAfterTheirLifetimeAndAreBounded() {
        let table = SessionTable(idle: 60, lifetime: 300, limit: 3)
        let a = table.open(user: "a", role: .viewer, now: 0)
        #expect(a.id.count == 64 && a.csrf.count == 64 && a.id != a.csrf)
        #expect(table.find(a.id, now: 59)?.user == "a")
        #expect(table.find(a.id, now: 118)?.user == "a", "each request restarts the idle clock")
        #expect(table.find(a.id, now: 179) == nil, "idle for 61 s")
        let b = table.open(user: "b", role: .viewer, now: 0)
        for t in stride(from: 50.0, through: 250, by: 50) { #expect(table.find(b.id, now: t) != nil) }
        #expect(table.find(b.id, now: 300) == nil, "past its lifetime however busy")
        let s = (0..<4).map { table.open(user: "u\($0)", role: .viewer, now: 400 + Double($0)) }
        #expect(table.count == 3 && table.evicted == 1)
        #expect(table.find(s[0].id, now: 410) == nil && table.find(s[3].id, now: 410) != nil, "the oldest is dropped when full")
    }

    @Test func clusterMapGroupsPodsByWorkloadAndColoursEdges() {
        func pod(_ ns: String, _ name: String, workload: String?, app: String) -> (cluster: String, tags: [String]) {
            var tags = ["kind:pod", "cluster:lab", "ns:\(ns)", "pod:\(ns)/\(name)", "label:app=\(app)"]
            if let workload { tags += ["workload:\(workload)", "workload-kind:deployment"] }
            return ("lab", tags)
        }
        let addresses: [String: (cluster: String, tags: [String])] = [
            "10.0.0.1": pod("shop", "web-1", workload: "web", app: "web"), "fd00::1": pod("shop", "web-1", workload: "web", app: "web"),
            "10.0.0.2": pod("shop", "web-2", workload: "web", app: "web"),
            "10.0.0.3": pod("db", "pg-0", workload: "pg", app: "postgresql"),
            "10.0.0.4": pod("db", "shell", workload: nil, app: "debug"),
            "10.96.0.1": ("lab", ["kind:service", "ns:shop", "service:shop/web"]),
        ]
        let flows = [
            FlowSummary(source: "10.0.0.1", destination: "10.0.0.3", application: "postgresql", allowed: 5, denied: 0, threats: 0),
            FlowSummary(source: "10.0.0.2", destination: "10.0.0.3", application: "postgresql", allowed: 1, denied: 2, threats: 0),
            FlowSummary(source: "10.0.0.4", destination: "10.0.0.3", application: "ssh", allowed: 0, denied: 0, threats: 1),
            FlowSummary(source: "192.0.2.9", destination: "10.0.0.3", application: "http", allowed: 1, denied: 0, threats: 0),
        ]
        let map = ClusterMap(addresses: addresses, flows: flows)
        #expect(map.pods == 4, "a dual-stack pod counts once; services are not pods")
        #expect(map.clusters.map(\.name) == ["lab"])
        #expect(map.clusters[0].namespaces.map(\.name) == ["db", "shop"])
        #expect(map.clusters[0].namespaces[0].workloads.map(\.id) == ["lab/db/pg", "lab/db/shell"])
        #expect(map.clusters[0].namespaces[1].workloads.first?.pods == 2)
        #expect(map.edges.map(\.verdict) == ["threat", "denied"], "unknown addresses draw no edge; a denial colours the web→pg edge")
        #expect(map.edges[1].allowed == 6 && map.edges[1].denied == 2)
        let filtered = ClusterMap(addresses: addresses, flows: flows, application: "postgresql")
        #expect(Set(filtered.clusters.flatMap { $0.namespaces.flatMap { $0.workloads.map(\.id) } }) == ["lab/db/pg", "lab/shop/web"])
        let shop = ClusterMap(addresses: addresses, flows: nil, namespace: "shop")
        #expect(shop.clusters[0].namespaces.map(\.name) == ["shop"] && !shop.flows)
    }

    @Test func signInNeedsItsCSRFTokenAndStateChangesNeedTheSessions() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-console-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = ManagerConfiguration()
        configuration.state = folder.appendingPathComponent("state.sqlite").path
        let manager = try Manager(configuration: configuration)
        let users = ConsoleUsers(users: [.init(name: "alice", role: .admin, hash: PasswordHash(PasswordHash.make(password: "password one", iterations: 100_000))!),
                                         .init(name: "bob", role: .viewer, hash: PasswordHash(PasswordHash.make(password: "password two", iterations: 100_000))!)])
        let logins = try LoginLog(path: configuration.state)
        let console = ConsoleAPI(manager: manager, users: users, logins: logins)
        func post(_ path: String, _ body: String = "", _ headers: [String: String]) -> HTTPReply {
            console.handle(HTTPRequest(method: "POST", path: path, headers: headers, body: Array(body.utf8), client: "192.0.2.1"))
        }
        func cookies(_ reply: HTTPReply) -> [String] { reply.headers.filter { $0.0 == "Set-Cookie" }.map(\.1) }
        let page = console.handle(HTTPRequest(method: "GET", path: "/console/login"))
        let loginCookie = try #require(cookies(page).first?.split(separator: ";").first.map(String.init))
        let loginToken = String(loginCookie.split(separator: "=")[1])
        #expect(page.headers.contains { $0.0 == "Content-Security-Policy" && $0.1.contains("default-src 'self'") })
        let body = #"{"user":"alice","password":"password one"}"#
        #expect(post("/console/api/login", body, [:]).status == 403, "no sign-in token")
        #expect(post("/console/api/login", body, ["cookie": loginCookie, "x-csrf-token": "0" + loginToken.dropFirst()]).status == 403)
        #expect(post("/console/api/login", body, ["cookie": loginCookie, "x-csrf-token": loginToken, "origin": "https://evil.example", "host": "console"]).status == 403)
        let wrong = post("/console/api/login", #"{"user":"alice","password":"nope"}"#, ["cookie": loginCookie, "x-csrf-token": loginToken])
        #expect(wrong.status == 401 && cookies(wrong).isEmpty)
        let ok = post("/console/api/login", body, ["cookie": loginCookie, "x-csrf-token": loginToken, "origin": "https://console", "host": "console"])
        #expect(ok.status == 200)
        let setCookie = try #require(cookies(ok).first)
        #expect(setCookie.contains("; Secure") && setCookie.contains("; HttpOnly") && setCookie.contains("; SameSite=Strict"))
        let session = String(setCookie.split(separator: ";")[0])
        let csrf = try #require(try JSONSerialization.jsonObject(with: Data(ok.body)) as? [String: Any])["csrf"] as? String
        #expect(console.handle(HTTPRequest(method: "GET", path: "/console/api/map", headers: ["cookie": session])).status == 200)
        #expect(console.handle(HTTPRequest(method: "GET", path: "/console/api/map")).status == 401)
        #expect(console.handle(HTTPRequest(method: "GET", path: "/console/")).status == 302)
        #expect(post("/console/api/logout", "", ["cookie": session]).status == 403, "no CSRF token")
        #expect(post("/console/api/logout", "", ["cookie": session, "x-csrf-token": String(csrf!.reversed())]).status == 403)
        // A bearer token (the HTTP server checked it and set the principal) needs no CSRF token.
        var automated = HTTPRequest(method: "GET", path: "/console/api/logins")
        automated.principal = HTTPPrincipal(name: "ci", roles: [.readOnly])
        #expect(console.handle(automated).status == 403, "a read-only token is a viewer")
        automated.principal = HTTPPrincipal(name: "ci", roles: [.policyWriter])
        #expect(console.handle(automated).status == 403, "a policy-writer token is an operator, not an admin")
        #expect(console.handle(HTTPRequest(method: "GET", path: "/console/api/logins", headers: ["cookie": session])).status == 200)
        #expect(post("/console/api/logout", "", ["cookie": session, "x-csrf-token": csrf!]).status == 200)
        #expect(console.handle(HTTPRequest(method: "GET", path: "/console/api/map", headers: ["cookie": session])).status == 401)
        // Five failures lock the name for a while, and the lock-out is audited too.
        for _ in 0..<5 { #expect(post("/console/api/login", #"{"user":"bob","password":"x"}"#, ["cookie": loginCookie, "x-csrf-token": loginToken]).status == 401) }
        #expect(post("/console/api/login", #"{"user":"bob","password":"password two"}"#, ["cookie": loginCookie, "x-csrf-token": loginToken]).status == 429)
        let records = try logins.recent(limit: 100)
        #expect(records.count(where: { $0.event == "login-failed" && $0.user == "bob" }) == 6)
        #expect(records.contains { $0.event == "login" && $0.user == "alice" && $0.client == "192.0.2.1" && $0.detail == "admin" })
        #expect(records.contains { $0.event == "login-failed" && $0.user == "alice" && $0.detail == "wrong password" })
        #expect(records.contains { $0.event == "logout" && $0.user == "alice" })
    }

    @Test func thePolicyPageCommitsAsTheOperatorAndCountsHits() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-console-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var configuration = ManagerConfiguration()
        configuration.state = folder.appendingPathComponent("state.sqlite").path
        let manager = try Manager(configuration: configuration)
        let console = ConsoleAPI(manager: manager, users: ConsoleUsers(users: []), logins: try LoginLog(path: configuration.state))
        console.flows = { _ in
            [FlowSummary(source: "lab/shop/web", destination: "lab/shop/db", application: "postgresql", allowed: 7, denied: 0, threats: 0,
                         rule: "web-db", sourceIsWorkload: true, destinationIsWorkload: true),
             FlowSummary(source: "lab/shop/web", destination: "lab/shop/db", application: "ssh", allowed: 0, denied: 2, threats: 0,
                         rule: "interzone-default", sourceIsWorkload: true, destinationIsWorkload: true)]
        }
        let policy = """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: shop}
            spec:
              zones:
                - {name: pods, networks: [10.244.0.0/16]}
              rules:
                - {name: web-db, from: [pods], to: [pods], services: [tcp/5432], action: allow}
            """
        func call(_ method: String, _ path: String, _ query: [String: String] = [:], body: String = "", roles: [TokenRole]) -> HTTPReply {
            var request = HTTPRequest(method: method, path: path, query: query, body: Array(body.utf8))
            request.principal = HTTPPrincipal(name: "ci", roles: roles)
            return console.handle(request)
        }
        #expect(call("POST", "/console/api/policy/commits", ["message": "m"], body: policy, roles: [.readOnly]).status == 403, "a viewer may not commit")
        #expect(call("POST", "/console/api/policy/validate", body: policy, roles: [.readOnly]).status == 200, "but may validate")
        let invalid = call("POST", "/console/api/policy/validate", body: policy.replacing("allow}", with: "explode}"), roles: [.readOnly])
        #expect(invalid.status == 422 && String(decoding: invalid.body, as: UTF8.self).contains("policy.yaml:8:"))
        let committed = call("POST", "/console/api/policy/commits", ["message": "from the console"], body: policy, roles: [.policyWriter])
        #expect(committed.status == 201, "\(String(decoding: committed.body, as: UTF8.self))")
        #expect(String(decoding: committed.body, as: UTF8.self).contains("\"author\":\"ci\""), "the console's user is the author")
        let page = call("GET", "/console/api/policy", roles: [.readOnly])
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any])
        let rules = try #require(answer["rules"] as? [[String: Any]])
        #expect(rules.map { $0["name"] as? String } == ["web-db", "interzone-default"])
        #expect(rules[0]["allowed"] as? Int == 7 && rules[0]["inPolicy"] as? Bool == true && rules[0]["line"] as? Int == 8)
        #expect(rules[1]["denied"] as? Int == 2 && rules[1]["inPolicy"] as? Bool == false)
        #expect((answer["commits"] as? [[String: Any]])?.count == 1)
        let detail = call("GET", "/console/api/policy/commits/1", roles: [.readOnly])
        #expect(detail.status == 200 && String(decoding: detail.body, as: UTF8.self).contains("+    - {name: web-db"))
        // Without a log store, log search says so (the same answer as GET /logs).
        #expect(call("GET", "/console/api/logs", ["ns": "shop", "action": ""], roles: [.readOnly]).status == 404)
        // The workload page's rules with hits, from the same sums.
        let workload = call("GET", "/console/api/workload", ["id": "lab/shop/db"], roles: [.readOnly])
        #expect(String(decoding: workload.body, as: UTF8.self).contains("\"name\":\"web-db\""))
    }

    @Test func theScriptNeverWritesMarkup() {
        // Names come from clusters and firewalls: the page must only ever set them as text.
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!ConsoleAssets.script.contains(sink), "app.js uses \(sink)")
        }
    }

    @Test func consoleConfigurationIsReadAndChecked() throws {
        let configuration = try ManagerConfiguration.parse("""
            apiVersion: rampart.io/v1
            kind: ManagerConfiguration
            metadata: {name: m}
            spec:
              console:
                listen: 127.0.0.1:9693
                usersFile: console-users
                sessionIdleMinutes: 15
                flowMinutes: 5
            """, file: "/etc/rampart/m.yaml")
        #expect(configuration.console?.usersFile == "/etc/rampart/console-users")
        #expect(configuration.console?.sessionIdleMinutes == 15 && configuration.console?.flowMinutes == 5 && configuration.console?.sessionHours == 8)
        #expect(throws: ConfigErrors.self) {
            try ManagerConfiguration.parse("""
                apiVersion: rampart.io/v1
                kind: ManagerConfiguration
                metadata: {name: m}
                spec:
                  console: {listen: 127.0.0.1:9693, usersFile: u, sessionHours: 0}
                """, file: "m.yaml")
        }
    }

    @Test func theConsoleRefusesPlainHTTPOffLoopback() throws {
        var configuration = ManagerConfiguration()
        configuration.state = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-console-\(UUID().uuidString.prefix(8)).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: configuration.state) }
        let console = ConsoleAPI(manager: try Manager(configuration: configuration), users: ConsoleUsers(users: []), logins: try LoginLog(path: configuration.state))
        #expect(throws: HTTPConfigurationError.self) { try console.listener(address: "0.0.0.0:0", tokens: nil) }
    }

    /// The browser test itself: Chromium from Debian against the built manager (scripts/setup.sh installs it).
    @Test func inChromium() throws {
        guard let manager = TestShell.executable(named: "rampart-manager", packageRoot: packageRoot) else {
            Issue.record("rampart-manager is not built")
            return
        }
        let (status, output) = try TestShell.run("/usr/bin/python3 Tests/Console/browser_test.py --manager '\(manager.path)' --pods 5000 2>&1", in: packageRoot)
        #expect(status == 0, "\(output)")
    }
}
