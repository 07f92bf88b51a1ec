import Testing
@testable import RampartInspect

@Suite("Registrable domain")
struct RegistrableDomainTests {
    static func split(_ name: String) -> (String, String) {
        var name = name
        return name.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            let parts = RegistrableDomain(raw)
            return (String(decoding: raw[parts.registrable], as: UTF8.self), String(decoding: raw[parts.label], as: UTF8.self))
        }
    }

    @Test func compactPublicSuffixRule() {
        #expect(Self.split("www.example.com") == ("example.com", "example"))
        #expect(Self.split("example.com.") == ("example.com", "example"))
        #expect(Self.split("a.b.example.co.uk") == ("example.co.uk", "example"))
        #expect(Self.split("shop.example.com.au") == ("example.com.au", "example"))
        #expect(Self.split("x.y.example.de") == ("example.de", "example"))
        #expect(Self.split("abcxyz.ddns.net") == ("abcxyz.ddns.net", "abcxyz"))
        #expect(Self.split("deep.abcxyz.DDNS.net") == ("abcxyz.DDNS.net", "abcxyz"))
        #expect(Self.split("co.uk") == ("co.uk", "co"))
        #expect(Self.split("localhost") == ("localhost", "localhost"))
        #expect(Self.split("") == ("", ""))
        #expect(Self.split("a..b.com") == ("b.com", "b"))
    }
}
