import RampartWire

/// A URL as a list gives it, split and normalised the way the store holds it: a host (a
/// domain name in normal form, a dotted IPv4 address, or a bracketed IPv6 address in its
/// RFC 5952 text) and a path with its query (`URLPathNormalizer`'s form, `/` at least).
///
/// Accepted shapes: `scheme://host/path`, `//host/path` and `host/path` (UT1's); a user
/// (`user@`) and a port (`:8080`) are dropped, as is the fragment. Ports are not part of
/// the match.
///
/// ```swift
/// ListedURL.parse("HTTP://Bücher.example:8080/a/../Shop?x=%7e")
/// // host "xn--bcher-kva.example", path "/Shop?x=~"
/// ```
public struct ListedURL: Hashable, Sendable {
    public var host: [UInt8]
    public var path: [UInt8]

    public static let maximumPathLength = 2048

    /// A URL from parts already in normal form (`normalizedHost`, `URLPathNormalizer`).
    public init(host: [UInt8], path: [UInt8]) {
        self.host = host
        self.path = path
    }

    public var hostText: String { String(decoding: host, as: UTF8.self) }
    public var pathText: String { String(decoding: path, as: UTF8.self) }

    /// The host (as written, without user and port) and the raw request target of a URL's
    /// text: what a lookup takes before normalising.
    public struct Components {
        public var host: Range<Int>
        /// The host was bracketed (`[2001:db8::1]`); `host` excludes the brackets.
        public var isBracketed: Bool
        /// Path, query and fragment, from the first `/`, `?` or `#` after the host.
        public var target: Range<Int>
    }

    /// Splits a URL's bytes; nil with the problem when the authority is unusable.
    public static func components(_ bytes: UnsafeRawBufferPointer) -> Result<Components, IndicatorListProblem> {
        let n = bytes.count
        var i = 0
        // A scheme: a letter, then letters, digits, '+', '-' or '.', then "://".
        if n > 0, IndicatorHash.folded(bytes[0]) &- 0x61 < 26 {
            var j = 1
            while j < n {
                let b = IndicatorHash.folded(bytes[j])
                if b &- 0x61 < 26 || b &- 0x30 < 10 || b == 0x2B || b == 0x2D || b == 0x2E { j += 1 } else { break }
            }
            if j + 2 < n, bytes[j] == 0x3A, bytes[j + 1] == 0x2F, bytes[j + 2] == 0x2F { i = j + 3 }
        }
        if i == 0 && n >= 2 && bytes[0] == 0x2F && bytes[1] == 0x2F { i = 2 }
        var authorityEnd = i
        while authorityEnd < n && bytes[authorityEnd] != 0x2F && bytes[authorityEnd] != 0x3F && bytes[authorityEnd] != 0x23 {
            authorityEnd += 1
        }
        var hostStart = i
        for k in i..<authorityEnd where bytes[k] == 0x40 { hostStart = k + 1 }
        var hostEnd = authorityEnd
        var bracketed = false
        if hostStart < authorityEnd && bytes[hostStart] == 0x5B {
            guard let close = (hostStart..<authorityEnd).first(where: { bytes[$0] == 0x5D }) else { return .failure(.badAddress) }
            bracketed = true
            if close + 1 < authorityEnd {
                guard bytes[close + 1] == 0x3A, isPort(bytes, close + 2, authorityEnd) else { return .failure(.badPort) }
            }
            return .success(Components(host: (hostStart + 1)..<close, isBracketed: true, target: authorityEnd..<n))
        }
        if let colon = (hostStart..<authorityEnd).last(where: { bytes[$0] == 0x3A }) {
            guard isPort(bytes, colon + 1, authorityEnd) else { return .failure(.badPort) }
            hostEnd = colon
        }
        guard hostEnd > hostStart else { return .failure(.urlWithoutHost) }
        return .success(Components(host: hostStart..<hostEnd, isBracketed: bracketed, target: authorityEnd..<n))
    }

    static func isPort(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        // An empty port ("host:") is allowed by RFC 3986 and means the default.
        guard end - start <= 5 else { return false }
        var value = 0
        for k in start..<end {
            guard bytes[k] &- 0x30 < 10 else { return false }
            value = value * 10 + Int(bytes[k] - 0x30)
        }
        return value <= 65535
    }

    /// The host of a URL in normal form: a bracketed IPv6 address, a dotted IPv4 address, or
    /// a domain name (`DomainName`).
    public static func normalizedHost(_ bytes: UnsafeRawBufferPointer, bracketed: Bool) -> Result<[UInt8], IndicatorListProblem> {
        let text = String(decoding: bytes, as: UTF8.self)
        if bracketed {
            guard let address = IPAddress(text), !text.contains("%") else { return .failure(.badAddress) }
            return .success(Array("[\(address)]".utf8))
        }
        if bytes.allSatisfy({ $0 &- 0x30 < 10 || $0 == 0x2E }) {
            guard let address = IPAddress(text), address.isIPv4 else { return .failure(.badAddress) }
            return .success(Array(address.description.utf8))
        }
        var out: [UInt8] = []
        if let problem = DomainName.normalize(bytes, into: &out) { return .failure(problem) }
        return .success(out)
    }

    /// Parses and normalises a listed URL.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<ListedURL, IndicatorListProblem> {
        let parts: Components
        switch components(bytes) {
        case .success(let c): parts = c
        case .failure(let problem): return .failure(problem)
        }
        let host: [UInt8]
        switch normalizedHost(UnsafeRawBufferPointer(rebasing: bytes[parts.host]), bracketed: parts.isBracketed) {
        case .success(let h): host = h
        case .failure(let problem): return .failure(problem)
        }
        let path = URLPathNormalizer.normalized(UnsafeRawBufferPointer(rebasing: bytes[parts.target]))
        guard path.count <= maximumPathLength else { return .failure(.urlPathTooLong(path.count)) }
        return .success(ListedURL(host: host, path: path))
    }

    /// Parses and normalises a listed URL given as text.
    public static func parse(_ text: String) -> Result<ListedURL, IndicatorListProblem> {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }
}
