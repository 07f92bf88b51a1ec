/// Finds credentials in text: cloud keys, API tokens, private keys, JWTs and connection
/// strings with a password. The shapes follow the public catalogue of gitleaks
/// (MIT; docs/ai-security.md), written as byte scanners keyed on each secret's prefix
/// instead of regular expressions, with validators that keep look-alikes out: the exact
/// length and alphabet, AWS's key-id prefixes, a JWT's header decoding to JSON with `alg`,
/// a PEM body after a private key's header, a connection string's password not being a
/// placeholder.
enum AISecretScanner {
    struct Match {
        var type: StaticString
        var start: Int
        var length: Int
    }

    /// Calls `found` for each secret in `text`, in order.
    ///
    /// Which bytes may start one is read from `classes` without a branch per byte: a fifth
    /// of prose's letters are trigger letters, and a branch on each (then on the byte before
    /// it) is mispredicted often enough to be most of the scan's time.
    static func scan(_ text: UnsafeRawBufferPointer, _ found: (Match) -> Void) {
        classes.withUnsafeBufferPointer { scan(text, classes: $0, found) }
    }

    private static func scan(_ text: UnsafeRawBufferPointer, classes: UnsafeBufferPointer<UInt8>, _ found: (Match) -> Void) {
        let n = text.count
        guard n > 0, let base = text.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var i = 0
        // 1 when the byte before `i` is a word byte (a trigger letter there starts no word).
        var wordBefore: UInt8 = 0
        while i < n {
            let b = base[i]
            let c = classes[Int(b)]
            let candidate = (c & ~(wordBefore << 1) & 2) | (c & 4)
            wordBefore = c & 1
            guard candidate != 0 else {
                i += 1
                continue
            }
            var m: Match?
            switch b {
            case UInt8(ascii: "A"): m = aws(text, i) ?? google(text, i) ?? azure(text, i)
            case UInt8(ascii: "g"): m = github(text, i) ?? gitlab(text, i)
            case UInt8(ascii: "x"): m = slack(text, i)
            case UInt8(ascii: "s"), UInt8(ascii: "r"): m = apiKey(text, i)
            case UInt8(ascii: "-"): m = privateKey(text, i)
            case UInt8(ascii: "e"): m = jwt(text, i)
            case UInt8(ascii: ":"): m = connectionString(text, i)
            default: break
            }
            if let m {
                found(m)
                i = max(i + 1, m.start + m.length)
                wordBefore = classes[Int(base[i - 1])] & 1
            } else {
                i += 1
            }
        }
    }

    /// Per byte: 1 a word byte (letter, digit, `_`), 2 a letter that starts a secret at a
    /// word's start (`g`, `x`, `s`, `r`, `e`), 4 a byte looked at wherever it is (`A`: an
    /// Azure `AccountKey=` may follow a `;`, `-` of a PEM header, `:` of `://`).
    static let classes: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for c in 0..<256 {
            let b = UInt8(c)
            t[c] = (isWordByte(b) ? 1 : 0) | ("gxsre".utf8.contains(b) ? 2 : 0) | ("A-:".utf8.contains(b) ? 4 : 0)
        }
        return t
    }()

    static let awsPrefixes: [StaticString] = ["AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "APKA", "ABIA", "ACCA"]
    static let schemes: [StaticString] = ["postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis",
                                          "rediss", "amqp", "amqps", "mssql", "sqlserver", "jdbc:postgresql", "clickhouse"]

    // MARK: - Shapes

    static func aws(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        // AKIA (long-term), ASIA (temporary), AGPA/AIDA/AROA/ANPA/ANVA/APKA (other key ids) + 16 of A-Z2-7.
        guard boundary(t, i), i + 20 <= t.count else { return nil }
        guard awsPrefixes.contains(where: { has(t, i, $0) }) else { return nil }
        for k in (i + 4)..<(i + 20) {
            let c = t[k]
            guard (c >= 0x41 && c <= 0x5A) || (c >= 0x32 && c <= 0x37) else { return nil }
        }
        guard i + 20 == t.count || !isWord(t[i + 20]) else { return nil }
        return Match(type: "aws-access-key-id", start: i, length: 20)
    }

    static func google(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard boundary(t, i), has(t, i, "AIza") else { return nil }
        let e = run(t, i + 4, isURLSafe)
        guard e - i == 39 else { return nil }
        return Match(type: "google-api-key", start: i, length: 39)
    }

    static func azure(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard has(t, i, "AccountKey=") else { return nil }
        let e = run(t, i + 11, isBase64)
        guard e - (i + 11) >= 86 && e - (i + 11) <= 90 else { return nil }
        return Match(type: "azure-storage-key", start: i + 11, length: e - i - 11)
    }

    static func github(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard boundary(t, i) else { return nil }
        if has(t, i, "github_pat_") {
            let e = run(t, i + 11, isWordByte)
            guard e - i >= 82 && e - i <= 100 else { return nil }
            return Match(type: "github-token", start: i, length: e - i)
        }
        guard i + 40 <= t.count, t[i + 1] == UInt8(ascii: "h"), t[i + 3] == UInt8(ascii: "_") else { return nil }
        let kind = t[i + 2]
        guard kind == UInt8(ascii: "p") || kind == UInt8(ascii: "o") || kind == UInt8(ascii: "u") || kind == UInt8(ascii: "s")
            || kind == UInt8(ascii: "r") else { return nil }
        let e = run(t, i + 4, isAlnum)
        guard e - i == 40, e == t.count || !isWordByte(t[e]) else { return nil }
        return Match(type: "github-token", start: i, length: 40)
    }

    static func gitlab(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard boundary(t, i), has(t, i, "glpat-") else { return nil }
        let e = run(t, i + 6, isURLSafe)
        guard e - i >= 26 && e - i <= 64 else { return nil }
        return Match(type: "gitlab-token", start: i, length: e - i)
    }

    static func slack(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard boundary(t, i), i + 15 <= t.count, has(t, i, "xox"), t[i + 4] == UInt8(ascii: "-") else { return nil }
        let kind = t[i + 3]
        guard kind == UInt8(ascii: "b") || kind == UInt8(ascii: "p") || kind == UInt8(ascii: "a") || kind == UInt8(ascii: "r")
            || kind == UInt8(ascii: "s") || kind == UInt8(ascii: "e") else { return nil }
        let e = run(t, i + 5, { isAlnum($0) || $0 == UInt8(ascii: "-") })
        var digits = 0
        for k in (i + 5)..<e where t[k] >= 0x30 && t[k] <= 0x39 { digits += 1 }
        guard e - i >= 24, digits >= 6 else { return nil }
        return Match(type: "slack-token", start: i, length: e - i)
    }

    /// OpenAI (`sk-proj-`, `sk-svcacct-`, `sk-admin-`, legacy `sk-…T3BlbkFJ…`), Anthropic
    /// (`sk-ant-`), Stripe (`sk_live_`, `rk_live_`).
    static func apiKey(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard boundary(t, i), i + 3 < t.count, t[i + 1] == UInt8(ascii: "k") else { return nil }
        if has(t, i, "sk_live_") || has(t, i, "rk_live_") {
            let e = run(t, i + 8, isAlnum)
            guard e - i >= 32 else { return nil }
            return Match(type: "stripe-secret-key", start: i, length: e - i)
        }
        guard t[i] == UInt8(ascii: "s"), t[i + 2] == UInt8(ascii: "-") else { return nil }
        let e = run(t, i + 3, isURLSafe)
        let length = e - i
        if has(t, i, "sk-ant-") {
            guard length >= 40 else { return nil }
            return Match(type: "anthropic-api-key", start: i, length: length)
        }
        if has(t, i, "sk-proj-") || has(t, i, "sk-svcacct-") || has(t, i, "sk-admin-") {
            guard length >= 40, mixed(t, i + 8, e) else { return nil }
            return Match(type: "openai-api-key", start: i, length: length)
        }
        // Legacy keys carry "T3BlbkFJ" (base64 of "OpenAI") in the middle.
        guard length >= 40, contains(t, i, e, "T3BlbkFJ") else { return nil }
        return Match(type: "openai-api-key", start: i, length: length)
    }

    static func privateKey(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard has(t, i, "-----BEGIN ") else { return nil }
        var k = i + 11
        let limit = min(t.count, i + 60)
        while k < limit && t[k] != UInt8(ascii: "-") { k += 1 }
        guard k + 5 <= t.count, has(t, k, "-----"), contains(t, i + 11, k, "PRIVATE KEY") else { return nil }
        // The PEM body: base64 lines (and escaped "\n" in JSON-ish text) until the END line.
        var e = k + 5
        var body = 0
        while e < t.count && t[e] != UInt8(ascii: "-") {
            if isBase64(t[e]) { body += 1 }
            e += 1
        }
        guard body >= 64 else { return nil }
        let end = min(t.count, e + 40)
        var stop = e
        if stop < t.count && has(t, stop, "-----END ") {
            stop += 9
            while stop < end && t[stop] != UInt8(ascii: "-") { stop += 1 }
            stop = min(t.count, stop + 5)
        }
        return Match(type: "private-key", start: i, length: stop - i)
    }

    static func jwt(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard boundary(t, i), has(t, i, "eyJ") else { return nil }
        let h = run(t, i, isBase64URL)
        guard h - i >= 10, h < t.count, t[h] == UInt8(ascii: ".") else { return nil }
        let p = run(t, h + 1, isBase64URL)
        guard p - h > 4, p < t.count, t[p] == UInt8(ascii: ".") else { return nil }
        let s = run(t, p + 1, isBase64URL)
        guard s - p > 16 else { return nil }
        // The header must decode to JSON naming its algorithm.
        var header = InlineArray<96, UInt8>(repeating: 0)
        var acc: UInt32 = 0, bits = 0, n = 0
        for k in i..<min(h, i + 128) {
            let c = t[k]
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case UInt8(ascii: "-"): v = 62
            default: v = 63
            }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 && n < 96 {
                bits -= 8
                header[n] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                n += 1
            }
        }
        var hasAlg = false
        for k in 0..<max(0, n - 4) where header[k] == UInt8(ascii: "\"") && header[k + 1] == UInt8(ascii: "a")
            && header[k + 2] == UInt8(ascii: "l") && header[k + 3] == UInt8(ascii: "g") {
            hasAlg = true
        }
        guard header[0] == UInt8(ascii: "{"), hasAlg else { return nil }
        return Match(type: "jwt", start: i, length: s - i)
    }

    /// `scheme://user:password@host`, for the databases and brokers whose URLs carry passwords.
    static func connectionString(_ t: UnsafeRawBufferPointer, _ i: Int) -> Match? {
        guard i + 3 < t.count, t[i + 1] == UInt8(ascii: "/"), t[i + 2] == UInt8(ascii: "/") else { return nil }
        var s = i
        while s > 0 && s > i - 16 && (isAlnum(t[s - 1]) || t[s - 1] == UInt8(ascii: "+")) { s -= 1 }
        var scheme = false
        for name in schemes where name.utf8CodeUnitCount == i - s && has(t, s, name) { scheme = true }
        guard scheme else { return nil }
        // user:password@ with a password that is not a placeholder.
        var k = i + 3
        var colon = -1
        var at = -1
        while k < t.count && k < i + 256 {
            let c = t[k]
            if c == UInt8(ascii: "@") { at = k; break }
            if c == UInt8(ascii: "/") || c == 0x20 || c == UInt8(ascii: "\"") || c == 0x0A { break }
            if c == UInt8(ascii: ":") && colon < 0 { colon = k }
            k += 1
        }
        guard colon > 0, at > colon + 1 else { return nil }
        let password = UnsafeRawBufferPointer(rebasing: t[(colon + 1)..<at])
        if password.first == UInt8(ascii: "$") || password.first == UInt8(ascii: "<") || password.first == UInt8(ascii: "{")
            || password.allSatisfy({ $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "x") }) {
            return nil
        }
        for placeholder: StaticString in ["password", "pass", "secret", "changeme", "PASSWORD", "pwd"]
        where JSONText.equals(password, placeholder) { return nil }
        var e = at + 1
        while e < t.count && !(t[e] == 0x20 || t[e] == UInt8(ascii: "\"") || t[e] == 0x0A || t[e] == UInt8(ascii: "'")) { e += 1 }
        return Match(type: "connection-string", start: s, length: e - s)
    }

    // MARK: - Bytes

    @inline(__always) static func isAlnum(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
    }
    @inline(__always) static func isWordByte(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") }
    @inline(__always) static func isWord(_ c: UInt8) -> Bool { isAlnum(c) }
    @inline(__always) static func isURLSafe(_ c: UInt8) -> Bool { isAlnum(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") }
    @inline(__always) static func isBase64URL(_ c: UInt8) -> Bool { isURLSafe(c) }
    @inline(__always) static func isBase64(_ c: UInt8) -> Bool {
        isAlnum(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
    }

    @inline(__always) static func boundary(_ t: UnsafeRawBufferPointer, _ i: Int) -> Bool { i == 0 || !isWordByte(t[i - 1]) }

    @inline(__always)
    static func has(_ t: UnsafeRawBufferPointer, _ i: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= t.count else { return false }
        for k in 0..<n where t[i + k] != s.utf8Start[k] { return false }
        return true
    }

    static func run(_ t: UnsafeRawBufferPointer, _ i: Int, _ accept: (UInt8) -> Bool) -> Int {
        var e = i
        while e < t.count && accept(t[e]) { e += 1 }
        return e
    }

    static func contains(_ t: UnsafeRawBufferPointer, _ from: Int, _ to: Int, _ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard to - from >= n else { return false }
        for k in from...(to - n) where has(t, k, s) { return true }
        return false
    }

    /// Random-looking: upper case, lower case and digits all present.
    static func mixed(_ t: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        var u = false, l = false, d = false
        for k in from..<to {
            let c = t[k]
            if c >= 0x41 && c <= 0x5A { u = true } else if c >= 0x61 && c <= 0x7A { l = true } else if c >= 0x30 && c <= 0x39 { d = true }
        }
        return u && l && d
    }
}
