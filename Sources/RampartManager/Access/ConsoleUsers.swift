import FoundationEssentials
import RampartPOSIX
import RampartHTTP

#if canImport(Glibc)
import Glibc
#endif

/// The console's users, read from a file of lines `ROLE NAME HASH` (`#` starts a comment),
/// the hash made by `rampart-manager passwd`:
///
/// ```text
/// # role    name    password hash (rampart-manager passwd NAME)
/// admin     alice   pbkdf2-sha256:600000:5f0c…:9a41…
/// viewer    bob     pbkdf2-sha256:600000:0d2e…:77b3…
/// ```
///
/// Like the tokens file it must not be readable by every user (mode 0600 or 0640).
public struct ConsoleUsers: Sendable {
    public struct User: Sendable, Equatable {
        public var name: String
        public var role: ConsoleRole
        public var hash: PasswordHash
    }

    public let users: [String: User]
    public let path: String

    public init(users: [User], path: String = "") {
        self.users = Dictionary(users.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.path = path
    }

    public static func load(path: String) throws(HTTPConfigurationError) -> ConsoleUsers {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw HTTPConfigurationError("\(path): cannot read the console's users file (\(String(cString: strerror(errno)))); create it with lines 'ROLE NAME HASH' from rampart-manager passwd, mode 0600")
        }
        if info.st_mode & 0o007 != 0 {
            throw HTTPConfigurationError("\(path): the users file is readable by every user (mode \(String(info.st_mode & 0o777, radix: 8))); run chmod 600 \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw HTTPConfigurationError("\(path): cannot read the console's users file as UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(HTTPConfigurationError) -> ConsoleUsers {
        var users: [User] = []
        var seen: Set<String> = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let at = "\(path):\(index + 1)"
            guard fields.count == 3 else { throw HTTPConfigurationError("\(at): expected 'ROLE NAME HASH', got \(fields.count) fields") }
            guard let role = ConsoleRole(rawValue: String(fields[0])) else {
                throw HTTPConfigurationError("\(at): unknown role '\(fields[0])'; use viewer, operator or admin")
            }
            guard let hash = PasswordHash(fields[2]) else {
                throw HTTPConfigurationError("\(at): the hash of '\(fields[1])' is not 'pbkdf2-sha256:ITERATIONS:SALT:HASH'; make one with rampart-manager passwd \(fields[1])")
            }
            guard hash.iterations >= PasswordHash.minimumIterations else {
                throw HTTPConfigurationError("\(at): the hash of '\(fields[1])' has \(hash.iterations) iterations, under \(PasswordHash.minimumIterations); make a new one with rampart-manager passwd \(fields[1])")
            }
            guard seen.insert(String(fields[1])).inserted else { throw HTTPConfigurationError("\(at): user '\(fields[1])' is given twice") }
            users.append(User(name: String(fields[1]), role: role, hash: hash))
        }
        return ConsoleUsers(users: users, path: path)
    }

    /// The user when `password` is theirs. An unknown name costs the same hashing time as a
    /// known one, so timing does not tell which names exist.
    public func authenticate(name: String, password: String) -> User? {
        guard let user = users[name] else {
            _ = ConsoleUsers.decoy.verifies(password)
            return nil
        }
        return user.hash.verifies(password) ? user : nil
    }

    private static let decoy = PasswordHash("pbkdf2-sha256:\(PasswordHash.defaultIterations):\(String(repeating: "00", count: 16)):\(String(repeating: "00", count: 32))")!
}
