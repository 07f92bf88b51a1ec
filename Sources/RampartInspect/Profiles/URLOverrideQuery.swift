/// The query of a URL filtering `override` form's answer (`GET /.well-known/rampart-override?
/// url=…&password=…`, which the firewall answers itself): reading it, the URL it names kept
/// on the host the password is for, and the target as logged with the password masked.
/// Pure text functions over what a client sent, so any bytes must be safe here
/// (Fuzz/override).
///
/// ```swift
/// let query = URLOverrideQuery.query(of: "/.well-known/rampart-override?url=%2Fa&password=pw")!
/// URLOverrideQuery.value(query, name: "password")                  // "pw" as bytes
/// URLOverrideQuery.sameHostPath(Array("http://other.example/x".utf8), host: "h.example")   // "/"
/// ```
enum URLOverrideQuery {
    /// The path the firewall answers on an `override` host (the form's action).
    static let path = "/.well-known/rampart-override"

    /// The query of a request to the form's path, nil for any other target.
    static func query(of target: String) -> Substring? {
        let head = target.prefix { $0 != "?" }
        guard head == path else { return nil }
        return target.dropFirst(head.count).dropFirst()
    }

    /// A query parameter's value, percent-decoded (`+` is a space, as forms send it): the
    /// first pair whose name is `name` exactly (not decoded).
    static func value(_ query: Substring, name: String) -> [UInt8]? {
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key = pair.prefix { $0 != "=" }
            guard key == name else { continue }
            return percentDecoded(pair.dropFirst(key.count).dropFirst())
        }
        return nil
    }

    static func percentDecoded(_ text: Substring) -> [UInt8] {
        let hex = URLPathNormalizer.hexValue
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
                i += 1
            }
        }
        return out
    }

    /// Whether two digests are equal, in time independent of where they differ.
    static func sameDigest(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// The path of `url` when it names `host` (or is a path), else `/`: the override
    /// answer redirects only within the host the password was given for.
    static func sameHostPath(_ url: [UInt8], host: String) -> String {
        let text = String(decoding: url, as: UTF8.self)
        if text.hasPrefix("/") && !text.hasPrefix("//") && !text.hasPrefix("/\\") { return text }
        guard let rest = afterScheme(text) else { return "/" }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        guard normalizedHost(rest[..<slash]) == normalizedHost(Substring(host)) else { return "/" }
        return slash == rest.endIndex ? "/" : String(rest[slash...])
    }

    /// A host as compared for the redirect: lower case, no port, no trailing dot.
    static func normalizedHost(_ host: Substring) -> String {
        var name = host.prefix { $0 != ":" }
        if name.hasSuffix(".") { name = name.dropLast() }
        return name.lowercased()
    }

    /// The part of `http://host/path` after the scheme, if the target has one.
    static func afterScheme(_ target: String) -> Substring? {
        for scheme in ["http://", "https://"] where target.utf8.count > scheme.utf8.count {
            let head = target.prefix(scheme.count)
            if head.lowercased() == scheme { return target.dropFirst(scheme.count) }
        }
        return nil
    }

    /// A request target as logged: an override answer's password replaced by `[masked]`
    /// (the form is a GET, so the password is in the target, and logs must not hold it).
    static func loggable(_ target: String) -> String {
        guard target.hasPrefix(path + "?") else { return target }
        let query = target.dropFirst(path.utf8.count + 1)
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair in
            pair.prefix { $0 != "=" } == "password" ? "password=[masked]" : String(pair)
        }
        return path + "?" + pairs.joined(separator: "&")
    }
}
