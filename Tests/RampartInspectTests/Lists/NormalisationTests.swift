import RampartTestSupport
import Testing

@testable import RampartInspect

private func path(_ text: String) -> String {
    String(decoding: URLPathNormalizer.normalized(Array(text.utf8)), as: UTF8.self)
}

@Suite("Names and URLs in normal form: case, trailing dot, IDNA, percent-escapes, dot segments")
struct NormalisationTests {
    @Test func asciiNamesAreLoweredAndTrimmed() {
        #expect(DomainName.normalize("WWW.Example.COM.") == .success("www.example.com"))
        #expect(DomainName.normalize("*.example.com") == .success("example.com"))
        #expect(DomainName.normalize(".afshin.ir") == .success("afshin.ir"))
        #expect(DomainName.normalize("my_site.tripod.com") == .success("my_site.tripod.com"))
        #expect(DomainName.normalize("zip") == .success("zip"))
    }

    @Test func badNamesSayWhy() {
        #expect(DomainName.normalize("") == .failure(.emptyName))
        #expect(DomainName.normalize(".") == .failure(.emptyName))
        #expect(DomainName.normalize("a..b") == .failure(.emptyLabel))
        #expect(DomainName.normalize("exa mple.com") == .failure(.badCharacter(0x20)))
        #expect(DomainName.normalize("ex!ample.com") == .failure(.badCharacter(0x21)))
        #expect(DomainName.normalize(String(repeating: "a", count: 64) + ".com") == .failure(.labelTooLong(64)))
        let long = Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".")
        #expect(DomainName.normalize(long) == .failure(.nameTooLong(304)))
        #expect(DomainName.normalize("10.0.0.256") == .failure(.numericTopLabel))
        #expect(DomainName.normalize("a\u{00A0}b.com") == .failure(.badCharacter(0xA0)))
        #expect(DomainName.normalize("☃.com") == .failure(.badCharacter(0x2603)))
        #expect(IndicatorListProblem.labelTooLong(70).message == "a label of 70 bytes; expected at most 63")
        #expect(IndicatorListProblem.badCharacter(0x20).message.hasPrefix("U+0020 is not allowed"))
        #expect(IndicatorListProblem.badCharacter(0x21).message.hasPrefix("'!' is not allowed"))
    }

    /// Real IDNs, their A-labels as browsers and registries write them (checked against
    /// Python's punycode codec and RFC 3492's samples).
    @Test(arguments: [
        ("bücher.example", "xn--bcher-kva.example"),
        ("Bücher.Example", "xn--bcher-kva.example"),
        ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
        ("ПРИМЕР.РФ", "xn--e1afmkfd.xn--p1ai"),
        ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
        ("münchen.de", "xn--mnchen-3ya.de"),
        ("mañana.com", "xn--maana-pta.com"),
        ("straße.de", "xn--strae-oqa.de"),
        ("他们为什么不说中文.cn", "xn--ihqwcrb4cv8a8dqg056pqjye.cn"),
        ("www.bücher.example.", "www.xn--bcher-kva.example"),
        ("例え。テスト", "xn--r8jz45g.xn--zckzah"),
        // NFC: "e" + combining acute is the same name as "é".
        ("cafe\u{301}.fr", "xn--caf-dma.fr"),
        ("café.fr", "xn--caf-dma.fr"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ])
    func unicodeNamesBecomeALabels(unicode: String, ascii: String) {
        #expect(DomainName.normalize(unicode) == .success(ascii))
    }

    @Test func punycodeRoundTrips() {
        #expect(Punycode.encode(Array("bücher".unicodeScalars)) == "bcher-kva")
        #expect(Punycode.encode(Array("Pročprostěnemluvíčesky".unicodeScalars)) == "Proprostnemluvesky-uyb24dma41a")
        #expect(Punycode.decode("bcher-kva") == "bücher")
        #expect(Punycode.decode("egbpdaj6bu4bxfgehfvwxn") == "ليهمابتكلموشعربي؟")
        #expect(Punycode.decode("ihqwcrb4cv8a8dqg056pqjye") == "他们为什么不说中文")
        #expect(Punycode.decode("!!") == nil)
        var random = SeededRandom(seed: 0x1D4A)
        let alphabet = Array("abcxyzäöüßéñçøåπσδλжщыъ例え中文テスト0123456789-".unicodeScalars)
        for _ in 0..<500 {
            let label = (0..<Int.random(in: 1...20, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            let encoded = try! #require(Punycode.encode(label))
            var text = ""
            text.unicodeScalars.append(contentsOf: label)
            #expect(Punycode.decode(encoded) == text)
        }
    }

    @Test func pathsAreNormalised() {
        #expect(path("") == "/")
        #expect(path("/") == "/")
        #expect(path("a/b") == "/a/b")
        #expect(path("/a/./b/../c") == "/a/c")
        #expect(path("/a/b/..") == "/a/")
        #expect(path("/a/b/.") == "/a/b/")
        #expect(path("/../../x") == "/x")
        #expect(path("//a///b//") == "/a/b/")
        #expect(path("/a/%2e%2E/b") == "/b")
        #expect(path("/a/.%2e/b") == "/b")
        #expect(path("/%7Euser/%41%62c") == "/~user/Abc")
        #expect(path("/a%2fb%3F") == "/a%2Fb%3F")
        #expect(path("/100%") == "/100%25")
        #expect(path("/%zz") == "/%25zz")
        #expect(path("/a b/é") == "/a%20b/%C3%A9")
        #expect(path("/x?q=%2f&r=/a/../b") == "/x?q=%2F&r=/a/../b")
        #expect(path("/x?") == "/x")
        #expect(path("/x#frag") == "/x")
        #expect(path("/x?a=1#frag") == "/x?a=1")
        #expect(path("/Case/Kept") == "/Case/Kept")
        #expect(path("?q=1") == "/?q=1")
    }

    @Test func normalisationIsIdempotent() {
        var random = SeededRandom(seed: 0xD07)
        let pieces = ["/", "//", ".", "..", "a", "B", "%2e", "%2E", "%41", "%2f", "%", "?", "&", "#", " ", "é", "~", "%7e", "x=1"]
        for _ in 0..<2000 {
            let text = (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let once = URLPathNormalizer.normalized(Array(text.utf8))
            #expect(URLPathNormalizer.normalized(once) == once, "\(text)")
            #expect(once.first == UInt8(ascii: "/"))
        }
    }

    @Test func theOutputMustFit() {
        let input = Array("/a b c".utf8)
        var twelve = [UInt8](repeating: 0, count: 10)
        let fits = input.withUnsafeBytes { source in
            twelve.withUnsafeMutableBytes { URLPathNormalizer.normalize(source, into: $0) }
        }
        #expect(fits == 10)
        var eleven = [UInt8](repeating: 0, count: 9)
        let tooSmall = input.withUnsafeBytes { source in
            eleven.withUnsafeMutableBytes { URLPathNormalizer.normalize(source, into: $0) }
        }
        #expect(tooSmall == nil)
    }

    @Test func listedURLsAreSplitAndNormalised() throws {
        func parsed(_ text: String) -> String? {
            guard case .success(let url) = ListedURL.parse(text) else { return nil }
            return url.hostText + url.pathText
        }
        #expect(parsed("HTTP://Bücher.Example:8080/a/../Shop?x=%7e#top") == "xn--bcher-kva.example/Shop?x=~")
        #expect(parsed("example.com") == "example.com/")
        #expect(parsed("example.com/") == "example.com/")
        #expect(parsed("//example.com/x") == "example.com/x")
        #expect(parsed("https://user:pw@example.com/x") == "example.com/x")
        #expect(parsed("178.128.25.172/watch") == "178.128.25.172/watch")
        #expect(parsed("http://[2001:DB8::1]:80/x") == "[2001:db8::1]/x")
        #expect(parsed("ckl4vcnhwzyszdarrxpvdru4b4.naitang2.top//?v=1") == "ckl4vcnhwzyszdarrxpvdru4b4.naitang2.top/?v=1")
        #expect(ListedURL.parse("http:///x") == .failure(.urlWithoutHost))
        #expect(ListedURL.parse("example.com:http/x") == .failure(.badPort))
        #expect(ListedURL.parse("exa mple.com/x") == .failure(.badCharacter(0x20)))
        #expect(ListedURL.parse("300.1.1.1/x") == .failure(.badAddress))
        #expect(ListedURL.parse("example.com/" + String(repeating: "é", count: 400)) == .failure(.urlPathTooLong(2401)))
    }
}
