import Foundation
import RampartInspect
import RampartPolicy
import Testing

/// The URL filtering `override` action: the password page, the firewall's own answer to the
/// form (the password never reaches the site), who it lets through and for how long.
@Suite("URL filtering override")
struct URLOverrideTests {
    /// SHA-256 of "open sesame+1", the password of these tests.
    static let hash = "sha256:37d8d099d9632b33b5c661885ec2476b59fd246a16c136ce6a8f2e344a7e90f2"
    /// The password as a form sends it: the space as `+`, the plus percent-encoded.
    static let formPassword = "open+sesame%2B1"

    static func policy(password: String? = hash) -> String {
        URLFilteringTests.policy(profile: "o", extra: """
                - name: o
                  categories: {adult: override, gambling: block}
                  unknown: allow
                  notResolved: allow
                  overrideMinutes: 5
            \(password.map { "      overridePassword: \($0)" } ?? "")
            """)
    }

    static func answer(_ url: String, _ password: String) -> String {
        let encoded = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
        return "\(URLBlockPage.overridePath)?url=\(encoded)&password=\(password)"
    }

    static func conversation() throws -> URLFilteringTests.Conversation {
        let lists = try URLFilteringTests.store([("adult.example", "adult"), ("shop.example/adult/", "adult")])
        return try URLFilteringTests.Conversation(policy: policy(), lists: lists)
    }

    @Test("the page asks for the password with a GET form to the firewall's path, the URL in a hidden field")
    func page() throws {
        var c = try Self.conversation()
        #expect(c.get("adult.example", "/a?b=1") == .respond)
        let response = try #require(c.engine.urlResponse)
        #expect(response.verdict.action == .override && response.url == "http://adult.example/a?b=1" && response.redirect == nil)
        let page = String(decoding: URLBlockPage.response(for: response, template: nil), as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(page.contains(#"<form method="get" action="/.well-known/rampart-override">"#))
        #expect(page.contains(#"<input type="hidden" name="url" value="http://adult.example/a?b=1">"#))
        #expect(page.contains(#"type="password" name="password""#) && page.contains("for 5 minutes"))
        #expect(!page.contains("Wrong password"))
    }

    @Test("a wrong password: the page again, counted, recorded override-refused; the host stays held")
    func wrongPassword() throws {
        var c = try Self.conversation()
        #expect(c.get("adult.example", Self.answer("http://adult.example/a", "open+sesame+1")) == .respond)
        let response = try #require(c.engine.urlResponse)
        #expect(response.verdict.overrideAnswer == .refused && response.redirect == nil)
        let page = String(decoding: URLBlockPage.response(for: response, template: nil), as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.1 403 Forbidden\r\n") && page.contains("Wrong password"))
        #expect(page.contains(#"value="http://adult.example/a""#))   // the form still names the URL asked for
        #expect(c.engine.statistics.urlOverridesRefused == 1)
        #expect(c.get("adult.example", "/a") == .respond)
        #expect(c.get("adult.example", Self.answer("/a", "")) == .respond)   // no password at all
        #expect(c.engine.statistics.urlOverridesRefused == 2)
        c.engine.finish(sink: &c.sink)
        let refused = c.sink.flows.filter { $0.metadata?.urlFiltering?.recordedAction == "override-refused" }
        #expect(refused.count == 2)
    }

    @Test("the right password: 303 back to the URL; that client passes to that host for overrideMinutes, no other client does")
    func rightPassword() throws {
        var c = try Self.conversation()
        #expect(c.get("adult.example", Self.answer("http://adult.example/a?b=1", Self.formPassword)) == .respond)
        let response = try #require(c.engine.urlResponse)
        #expect(response.verdict.overrideAnswer == .accepted && response.redirect == "http://adult.example/a?b=1")
        let page = String(decoding: URLBlockPage.response(for: response, template: nil), as: UTF8.self)
        #expect(page.hasPrefix("HTTP/1.1 303 See Other\r\nLocation: http://adult.example/a?b=1\r\n"), "\(page)")
        #expect(c.engine.statistics.urlOverridesRefused == 0)
        #expect(c.get("adult.example", "/a?b=1") == .forward)
        #expect(c.get("ADULT.example:80", "/other") == .forward)
        #expect(c.get("adult.example", "/a", from: "10.0.0.9") == .respond)    // another client
        #expect(c.get("adult.example", "/a", from: "10.0.0.1") == .forward)
        c.wait(4 * 60)
        #expect(c.get("adult.example", "/still") == .forward)
        c.wait(2 * 60)
        #expect(c.get("adult.example", "/late") == .respond)    // 5 minutes are over
        #expect(c.engine.urlResponse?.verdict.action == .override)
        c.engine.finish(sink: &c.sink)
        #expect(c.sink.flows.contains { $0.metadata?.urlFiltering?.recordedAction == "override-accepted" })
        #expect(c.sink.flows.filter { $0.metadata?.urlFiltering?.continued == true }.count == 4)
    }

    @Test("the redirect stays on the host the password was given for (no open redirect)")
    func noOpenRedirect() throws {
        for (url, expected) in [("http://evil.example/x", "http://adult.example/"),
                                ("https://evil.example/", "http://adult.example/"),
                                ("//evil.example/x", "http://adult.example/"),
                                ("/\\evil.example/x", "http://adult.example/"),
                                ("javascript:alert(1)", "http://adult.example/"),
                                ("http://adult.example./p", "http://adult.example/p"),
                                ("/p?q=1", "http://adult.example/p?q=1")] {
            var c = try Self.conversation()
            #expect(c.get("adult.example", Self.answer(url, Self.formPassword)) == .respond)
            #expect(c.engine.urlResponse?.redirect == expected, "\(url)")
        }
    }

    @Test("an override on a URL prefix: the form's answer is judged by the URL it names, so the firewall answers it")
    func urlPrefixOverride() throws {
        var c = try Self.conversation()
        #expect(c.get("shop.example", "/") == .forward)
        #expect(c.get("shop.example", "/adult/x") == .respond)
        #expect(c.get("shop.example", Self.answer("/adult/x", Self.formPassword)) == .respond)
        #expect(c.engine.urlResponse?.redirect == "http://shop.example/adult/x")
        #expect(c.get("shop.example", "/adult/x") == .forward)
    }

    @Test("logs never hold the password: the answer's target is logged with it masked")
    func passwordMasked() throws {
        var c = try Self.conversation()
        c.get("adult.example", Self.answer("/a", Self.formPassword))
        c.get("adult.example", Self.answer("/a", "wrong-one"))
        c.engine.finish(sink: &c.sink)
        var lines: [String] = []
        for flow in c.sink.flows {
            var line = JSONLine()
            flow.writeEVE(into: &line)
            lines.append(String(decoding: line.bytes, as: UTF8.self))
            for type in flow.applicationEventTypes {
                line.reset()
                flow.writeApplicationEVE(type, into: &line)
                lines.append(String(decoding: line.bytes, as: UTF8.self))
            }
        }
        #expect(lines.contains { $0.contains("password=[masked]") })
        for text in lines { #expect(!text.contains("sesame") && !text.contains("wrong-one"), "\(text)") }
        #expect(URLBlockPage.loggable("/p?password=x") == "/p?password=x")   // another path is not the form's
        #expect(URLBlockPage.loggable("/.well-known/rampart-override?password=a&url=%2F&password=b")
            == "/.well-known/rampart-override?password=[masked]&url=%2F&password=[masked]")
    }

    @Test("policy validate: override without overridePassword, or a malformed one, is an error with its position")
    func validation() {
        func errors(_ text: String) -> [String] {
            do {
                _ = try PolicyLoader.load(yaml: text, file: "p.yaml")
                return []
            } catch {
                return "\(error)".split(separator: "\n").map(String.init)
            }
        }
        let missing = errors(Self.policy(password: nil))
        #expect(missing.contains { $0.contains("p.yaml:") && $0.contains("uses override but has no overridePassword") }, "\(missing)")
        let plain = errors(Self.policy(password: "open-sesame"))
        #expect(plain.contains { $0.contains("p.yaml:") && $0.contains("overridePassword must be 'sha256:' and 64 hex digits") }, "\(plain)")
        #expect(!plain.joined().contains("open-sesame"), "the value may be the password: never echoed")
        let short = errors(Self.policy(password: "sha256:abcd"))
        #expect(short.contains { $0.contains("overridePassword must be") }, "\(short)")
        #expect(errors(Self.policy()).isEmpty)
    }
}
