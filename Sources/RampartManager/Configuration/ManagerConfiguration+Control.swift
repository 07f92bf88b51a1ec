import RampartConfig
import RampartWire

/// Where the manager pulls policy from Git (GitOps): a branch of a repository `git` can
/// fetch (a local path in the tests), one file in it, on a schedule.
public struct GitPolicySource: Sendable, Equatable {
    public var repository: String
    public var branch = "main"
    /// The policy file's path inside the repository.
    public var path = "policy.yaml"
    /// `all` or a firewall group.
    public var target = "all"
    public var intervalSeconds: Double = 30
    /// The folder the manager clones into (beside the state file by default).
    public var workTree: String?
}

/// The log store: firewalls ship EVE records as RFC 5424 messages over TCP, framed by octet
/// counting (RFC 6587 §3.4.1, RFC 5425's framing without TLS), to `listen`.
public struct LogStoreConfiguration: Sendable, Equatable {
    public var listen = "127.0.0.1:6514"
    /// Who may send: these networks; nil: loopback and the hosts of the firewalls' admin URLs.
    public var sources: [IPNetwork]?
    /// The SQLite file; unused when `postgres` is set.
    public var store = "/var/lib/rampart/logs.sqlite"
    /// The PostgreSQL server instead (`store: postgres://...` or a `postgres:` block).
    public var postgres: PostgresLogSettings?
    public var retentionDays = 30
    /// The store's bound in bytes (live pages); the oldest records go first.
    public var maxBytes: Int64 = 10 << 30

    public init() {}
}

/// Where a PostgreSQL log store is: libpq's connection keywords (a `postgres://` URI is kept
/// whole as `dbname`, which libpq expands), and the file holding the password: never inline.
public struct PostgresLogSettings: Sendable, Equatable {
    public var parameters: [String: String]
    public var passwordFile: String?

    public init(parameters: [String: String], passwordFile: String? = nil) {
        self.parameters = parameters
        self.passwordFile = passwordFile
    }

    /// The keys of a `postgres:` block and the libpq keyword each one sets.
    static let blockKeys = ["host": "host", "port": "port", "database": "dbname", "user": "user", "sslmode": "sslmode", "sslrootcert": "sslrootcert"]

    /// Why a `postgres://` URI is refused: a password in it (`user:secret@`, `?password=`).
    static func inlinePassword(in uri: String) -> Bool {
        let rest = uri.drop { $0 != ":" }.dropFirst(3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") { return true }
        return uri.split(separator: "?").dropFirst().joined().split(separator: "&").contains { $0.hasPrefix("password=") }
    }
}

extension ManagerConfiguration {
    static let controlKeys = ["policy", "logs", "audits"]

    /// `spec.policy` (`git:`) and `spec.logs`, read with the same reader as the rest.
    static func readControl(_ spec: [String: YAMLNode], into configuration: inout ManagerConfiguration, reader r: ConfigReader,
                            resolve: (String) -> String) {
        if let node = spec["policy"], let policy = r.fields(node, "spec.policy", allowed: ["git"]), let gitNode = policy["git"],
           let git = r.fields(gitNode, "spec.policy.git", allowed: ["repository", "branch", "path", "target", "intervalSeconds", "workTree"],
                              required: ["repository"]) {
            var source = GitPolicySource(repository: git["repository"].flatMap { r.string($0, "spec.policy.git.repository") } ?? "")
            if !source.repository.contains("://") && !source.repository.contains("@") { source.repository = resolve(source.repository) }
            if let node = git["branch"], let text = r.string(node, "spec.policy.git.branch") { source.branch = text }
            if let node = git["path"], let text = r.string(node, "spec.policy.git.path") { source.path = text }
            if let node = git["target"], let text = r.string(node, "spec.policy.git.target") { source.target = text }
            if let node = git["workTree"], let text = r.string(node, "spec.policy.git.workTree") { source.workTree = resolve(text) }
            if let node = git["intervalSeconds"] {
                if let value = node.text.flatMap(Double.init), value >= 1, value <= 86400 { source.intervalSeconds = value } else {
                    r.error(node.location, "spec.policy.git.intervalSeconds must be between 1 and 86400")
                }
            }
            if source.branch.hasPrefix("-") || source.branch.isEmpty { r.error(gitNode.location, "spec.policy.git.branch must be a branch name") }
            configuration.gitPolicy = source
        }
        if let node = spec["logs"], let logs = r.fields(node, "spec.logs", allowed: ["listen", "sources", "store", "postgres", "retentionDays", "maxBytes"]) {
            var settings = LogStoreConfiguration()
            if let node = logs["listen"] {
                if let text = node.text, text.contains(":") { settings.listen = text } else {
                    r.error(node.location, "spec.logs.listen must be address:port (e.g. 0.0.0.0:6514)")
                }
            }
            if let node = logs["sources"], let items = r.strings(node, "spec.logs.sources") {
                settings.sources = items.compactMap { text, at in
                    if let network = IPNetwork(text) { return network }
                    r.error(at.location, "spec.logs.sources: '\(text.prefix(80))' is not an address or network (10.0.0.0/24)")
                    return nil
                }
            }
            if let node = logs["store"], let text = r.string(node, "spec.logs.store") {
                if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                    if PostgresLogSettings.inlinePassword(in: text) {
                        r.error(node.location, "spec.logs.store: a password in the URI is refused; put it in a file named by spec.logs.postgres.passwordFile")
                    }
                    settings.postgres = PostgresLogSettings(parameters: ["dbname": text])
                } else {
                    settings.store = resolve(text)
                }
            }
            if let node = logs["postgres"],
               let block = r.fields(node, "spec.logs.postgres", allowed: Array(PostgresLogSettings.blockKeys.keys) + ["passwordFile"]) {
                var postgres = settings.postgres ?? PostgresLogSettings(parameters: [:])
                for (key, keyword) in PostgresLogSettings.blockKeys {
                    if let value = block[key], let text = r.string(value, "spec.logs.postgres.\(key)") {
                        if postgres.parameters["dbname"]?.contains("://") == true {
                            r.error(value.location, "spec.logs.postgres.\(key): the server is already given by the URI in spec.logs.store; give one or the other")
                        }
                        postgres.parameters[keyword] = key == "sslrootcert" ? resolve(text) : text
                    }
                }
                if let value = block["passwordFile"], let text = r.string(value, "spec.logs.postgres.passwordFile") { postgres.passwordFile = resolve(text) }
                settings.postgres = postgres
            }
            if let node = logs["retentionDays"] {
                if let n = node.text.flatMap({ Int($0) }), (1...36500).contains(n) { settings.retentionDays = n } else {
                    r.error(node.location, "spec.logs.retentionDays must be between 1 and 36500")
                }
            }
            if let node = logs["maxBytes"] {
                if let n = node.text.flatMap({ Int64($0) }), n >= 1 << 20 { settings.maxBytes = n } else {
                    r.error(node.location, "spec.logs.maxBytes must be a number of bytes, at least 1048576")
                }
            }
            configuration.logs = settings
        }
        readAudits(spec, into: &configuration, reader: r)
    }

    /// Every group a firewall names.
    public var firewallGroups: Set<String> { Set(firewalls.flatMap(\.groups)) }
}
