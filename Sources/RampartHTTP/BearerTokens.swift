#if canImport(Glibc)
import Glibc
#endif

/// What a request needs: reading, or one kind of change.
public enum HTTPPermission: String, Sendable {
    /// Every GET (and HEAD).
    case read
    /// `POST /tags` on a firewall.
    case writeTags = "write tags"
    /// `POST /reload` on a firewall.
    case writePolicy = "write policy"
}

/// A token's role. Every role may read; a writer may also make its one kind of change.
public enum TokenRole: String, Sendable, CaseIterable {
    case readOnly = "read-only"
    case tagWriter = "tag-writer"
    case policyWriter = "policy-writer"

    public func allows(_ permission: HTTPPermission) -> Bool {
        switch permission {
        case .read: true
        case .writeTags: self == .tagWriter
        case .writePolicy: self == .policyWriter
        }
    }
}

/// Who sent a request: a token's name and roles, a client certificate's identity and the
/// roles the TLS configuration gives it, or `anonymous` on an open listener.
public struct HTTPPrincipal: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var roles: [TokenRole]
    public init(name: String, roles: [TokenRole]) {
        self.name = name
        self.roles = roles
    }
    public func allows(_ permission: HTTPPermission) -> Bool { roles.contains { $0.allows(permission) } }
    public var description: String { "\(name) (\(roles.map(\.rawValue).joined(separator: ",")))" }
    /// The caller on a loopback listener without a tokens file.
    public static let anonymous = HTTPPrincipal(name: "anonymous", roles: TokenRole.allCases)
}

/// The bearer tokens an API listener accepts, read from a file of lines
/// `ROLE[,ROLE] NAME TOKEN` (`#` starts a comment):
///
/// ```text
/// # role            name       token (at least 16 characters)
/// tag-writer        manager    2b4c0f3e9d8a7c6b5a4f3e2d1c0b9a8f
/// read-only         grafana    a1b2c3d4e5f60718293a4b5c6d7e8f90
/// tag-writer,policy-writer ops 0f1e2d3c4b5a69788796a5b4c3d2e1f0
/// ```
///
/// The file must not be readable by every user (mode 0600 or 0640); a token is compared
/// in time that does not depend on how much of it matches.
public struct BearerTokens: Sendable {
    struct Entry: Sendable {
        var principal: HTTPPrincipal
        var token: [UInt8]
    }
    let entries: [Entry]
    /// The file it came from (for messages).
    public let path: String

    public static let minimumLength = 16
    /// How many tokens there are.
    public var count: Int { entries.count }

    /// Reads and checks `path`; errors say what to change.
    public static func load(path: String) throws(HTTPConfigurationError) -> BearerTokens {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw HTTPConfigurationError("\(path): cannot read the tokens file (\(String(cString: strerror(errno)))); create it with lines 'ROLE NAME TOKEN' and mode 0600")
        }
        if info.st_mode & 0o007 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw HTTPConfigurationError("\(path): the tokens file is readable by every user (mode \(mode)); run chmod 600 \(path) (or 640 for one group; in Kubernetes, a Secret volume with defaultMode: 0400)")
        }
        guard let file = fopen(path, "r") else {
            throw HTTPConfigurationError("\(path): cannot open the tokens file (\(String(cString: strerror(errno))))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n <= 0 { break }
            bytes += chunk[0 ..< n]
            if bytes.count > 1 << 20 { throw HTTPConfigurationError("\(path): the tokens file is over 1 MiB") }
        }
        return try parse(String(decoding: bytes, as: UTF8.self), path: path)
    }

    /// Parses the text of a tokens file; every problem is reported at once as `path:line: message`.
    public static func parse(_ text: String, path: String) throws(HTTPConfigurationError) -> BearerTokens {
        var entries: [Entry] = []
        var problems: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let at = "\(path):\(index + 1)"
            guard fields.count == 3 else {
                problems.append("\(at): expected 'ROLE NAME TOKEN' (three fields), found \(fields.count)")
                continue
            }
            var roles: [TokenRole] = []
            for word in fields[0].split(separator: ",") {
                if let role = TokenRole(rawValue: String(word)) { roles.append(role) } else {
                    problems.append("\(at): unknown role '\(word)'; expected \(TokenRole.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }
            let name = String(fields[1])
            let token = Array(fields[2].utf8)
            if token.count < minimumLength {
                problems.append("\(at): the token of '\(name)' is \(token.count) characters; use at least \(minimumLength) (e.g. head -c 32 /dev/urandom | base64)")
            }
            if entries.contains(where: { $0.principal.name == name }) { problems.append("\(at): the name '\(name)' is used twice") }
            if entries.contains(where: { $0.token == token }) { problems.append("\(at): the token of '\(name)' is also another name's") }
            entries.append(Entry(principal: HTTPPrincipal(name: name, roles: roles), token: token))
        }
        if entries.isEmpty && problems.isEmpty { problems.append("\(path): no tokens; add lines 'ROLE NAME TOKEN'") }
        if !problems.isEmpty { throw HTTPConfigurationError(problems.joined(separator: "\n")) }
        return BearerTokens(entries: entries, path: path)
    }

    /// The principal whose token is `presented`, or nil. Every entry is compared, each in
    /// time that depends only on the presented token's length.
    public func principal(presenting presented: some Collection<UInt8>) -> HTTPPrincipal? {
        let offered = Array(presented)
        var found: HTTPPrincipal?
        for entry in entries where BearerTokens.constantTimeEqual(offered, entry.token) {
            found = entry.principal
        }
        return found
    }

    /// Whether `a == b`, reading every byte of `a` whatever matches.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: a.count ^ b.count)
        let bCount = b.count
        b.withUnsafeBufferPointer { secret in
            for i in 0 ..< a.count {
                // Index within b without a data-dependent branch on the secret's bytes.
                let j = bCount == 0 ? 0 : i % bCount
                let other: UInt8 = bCount == 0 ? 0 : secret[j]
                difference |= UInt(a[i] ^ other)
            }
        }
        return difference == 0
    }
}

/// A configuration problem of a listener, in words that say what to change.
public struct HTTPConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
