/// The JA4 TLS client fingerprint (FoxIO, BSD-3): `t13d1516h2_8daaf6152771_e5627efa2ab1`.
///
/// a: transport (`t` TCP, `q` QUIC), version (highest supported_versions entry, else the
///    ClientHello's legacy version), `d` with SNI / `i` without, two-digit counts of cipher
///    suites and extensions (GREASE ignored, capped at 99), first and last character of the
///    first ALPN value (`00` when none; hex digits when not alphanumeric).
/// b: first 12 hex of SHA-256 over the sorted cipher list (`0035,1301,...`).
/// c: first 12 hex of SHA-256 over the sorted extension list without SNI (0000) and ALPN
///    (0010), then `_` and the signature algorithms in the order sent.
/// An empty list hashes to `000000000000`.
///
/// ```swift
/// JA4.fingerprint(hello)   // "t13d1516h2_8daaf6152771_e5627efa2ab1"
/// JA4.raw(hello)           // "t13d1516h2_002f,0035,..._0005,000a,..._0403,0804,..."
/// ```
enum JA4 {
    /// The hashed fingerprint.
    static func fingerprint(_ hello: TLSClientHello, transport: Character = "t") -> String {
        let parts = lists(hello)
        let b = parts.ciphers.isEmpty ? "000000000000" : truncatedHash(parts.ciphers)
        let c = parts.extensions.isEmpty ? "000000000000" : truncatedHash(parts.extensionsAndSignatures)
        return prefix(hello, transport: transport) + "_" + b + "_" + c
    }

    /// JA4_r: the same fields with the lists in clear instead of hashed.
    static func raw(_ hello: TLSClientHello, transport: Character = "t") -> String {
        let parts = lists(hello)
        return prefix(hello, transport: transport) + "_" + parts.ciphers + "_" + parts.extensionsAndSignatures
    }

    /// JA4_a.
    static func prefix(_ hello: TLSClientHello, transport: Character = "t") -> String {
        let ciphers = hello.cipherSuites.filter { !TLSClientHello.isGREASE($0) }.count
        let extensions = hello.extensions.filter { !TLSClientHello.isGREASE($0) }.count
        var a = String(transport)
        a += versionCode(hello.offeredVersion)
        a += hello.extensions.contains(0x0000) ? "d" : "i"
        a += twoDigits(ciphers) + twoDigits(extensions)
        a += alpnCode(hello.firstALPN)
        return a
    }

    private static func lists(_ hello: TLSClientHello) -> (ciphers: String, extensions: String, extensionsAndSignatures: String) {
        let ciphers = hello.cipherSuites.filter { !TLSClientHello.isGREASE($0) }.sorted()
            .map(ProbeText.hex4).joined(separator: ",")
        let extensions = hello.extensions
            .filter { !TLSClientHello.isGREASE($0) && $0 != 0x0000 && $0 != 0x0010 }.sorted()
            .map(ProbeText.hex4).joined(separator: ",")
        let signatures = hello.signatureAlgorithms.filter { !TLSClientHello.isGREASE($0) }
            .map(ProbeText.hex4).joined(separator: ",")
        return (ciphers, extensions, signatures.isEmpty ? extensions : extensions + "_" + signatures)
    }

    private static func truncatedHash(_ text: String) -> String {
        SHA256.hash(Array(text.utf8)).hexPrefix(12)
    }

    private static func twoDigits(_ n: Int) -> String {
        let v = min(n, 99)
        return v < 10 ? "0\(v)" : "\(v)"
    }

    static func versionCode(_ version: UInt16) -> String {
        switch version {
        case 0x0304: return "13"
        case 0x0303: return "12"
        case 0x0302: return "11"
        case 0x0301: return "10"
        case 0x0300: return "s3"
        case 0x0002: return "s2"
        case 0xFEFF: return "d1"
        case 0xFEFD: return "d2"
        case 0xFEFC: return "d3"
        default: return "00"
        }
    }

    /// First and last character of the first ALPN value; hex digits when either end is not
    /// alphanumeric (spec: first and last characters of the value's hex form).
    static func alpnCode(_ value: [UInt8]) -> String {
        guard let first = value.first, let last = value.last else { return "00" }
        func alphanumeric(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        if alphanumeric(first), alphanumeric(last) {
            return String(Character(Unicode.Scalar(first))) + String(Character(Unicode.Scalar(last)))
        }
        let digits: [Character] = Array("0123456789abcdef")
        return String([digits[Int(first >> 4)], digits[Int(last & 0xF)]])
    }
}
